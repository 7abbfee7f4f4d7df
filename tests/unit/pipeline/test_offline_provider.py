import subprocess
import sys
from pathlib import Path

import pytest

from enhancer.config import get_app_config
from enhancer.errors import PermanentError
from enhancer.language import detect_language
from enhancer.profiles import chapter_output_model
from enhancer.providers.base import EnrichmentRequest, ReduceRequest
from enhancer.providers.offline import (
    YAKE_LANGUAGES,
    OfflineProvider,
    clean_keywords,
    concepts_for,
    extractive_summary,
    match_domains,
    split_sentences,
    stopwords,
    term_key,
)

TEXT = (
    "Python is a programming language used for data pipelines and machine learning. "
    "A Kafka cluster stores events in partitions, and Spark jobs read them in batch processing. "
    "Engineers should monitor latency and throughput of every queue with metrics and alarms. "
    "The weather was pleasant on the day the team met to discuss the architecture. "
    "Unit testing and code review keep the Python code base healthy as the team grows. "
    "Deploy the service to AWS Lambda and watch the logging output for errors."
)


@pytest.fixture
def provider(config_dir: Path) -> OfflineProvider:
    return OfflineProvider(get_app_config(config_dir).metadata_keywords)


@pytest.mark.parametrize("profile_name", ["default", "technical_book", "academic_paper", "report"])
def test_every_profile_gets_output_that_fits_its_model(
    provider: OfflineProvider, config_dir: Path, profile_name: str
) -> None:
    _, profile = get_app_config(config_dir).extraction_profiles.get(profile_name)
    request = EnrichmentRequest(
        document_id="d",
        chapter_index=0,
        chapter_title="Intro",
        text=TEXT,
        profile_name=profile_name,
        profile=profile,
        language="en",
    )

    outcome = provider.enrich_chapter(request)

    chapter_output_model(profile_name, profile).model_validate(outcome.metadata.model_dump())
    assert outcome.llm.provider == "offline"
    assert outcome.llm.model == "yake-lexrank"
    assert (outcome.llm.input_tokens, outcome.llm.output_tokens, outcome.llm.estimated_cost_usd) == (0, 0, 0)
    assert outcome == provider.enrich_chapter(request).model_copy(
        update={"llm": outcome.llm}
    )  # deterministic apart from latency


def test_technical_fields_come_from_the_text(provider: OfflineProvider, config_dir: Path) -> None:
    _, profile = get_app_config(config_dir).extraction_profiles.get("technical_book")
    request = EnrichmentRequest(
        document_id="d",
        chapter_index=0,
        chapter_title="Intro",
        text=TEXT,
        profile_name="technical_book",
        profile=profile,
    )

    metadata = provider.enrich_chapter(request).metadata.model_dump()

    assert {"Python", "Kafka", "Spark"} <= set(metadata["technologies"])
    assert metadata["difficulty"] in {"beginner", "intermediate", "advanced"}
    assert "Software engineering" in metadata["concepts"]


def test_summary_is_whole_central_sentences_in_reading_order() -> None:
    summary = extractive_summary(TEXT, ["Kafka", "Python", "Spark"], 2)
    chosen = split_sentences(summary)
    assert len(chosen) == 2
    assert set(chosen) <= set(split_sentences(TEXT))
    assert [TEXT.index(s) for s in chosen] == sorted(TEXT.index(s) for s in chosen)
    assert "weather" not in summary  # it shares no word with the rest: least central


# What the annual-report sample did to the first offline provider: a page that starts mid-sentence, a cut
# sentence at the end of a chunk, the same sentence over and over, headings glued to the prose.
CUT = (
    "second data centre region next year. The security programme closed all findings rated high.\n"
    "Chapter 2\nRevenue and Growth\n"
    "Revenue from managed data services grew steadily, driven mainly by customers migrating workloads.\n"
    "The board recommends continued investment in automation and a review of the pricing model. The\n\n"
    "board recommends continued investment in automation and a review of the pricing model.\n"
    "Revenue from managed data services grew steadily, driven mainly by customers migrating workloads.\n"
    "Customer surveys rated documentation and onboarding highly, while pricing transparency remained\n"
    "the most frequent request. Revenue from managed data services grew steadily, driven mainly by\n"
    "customers"
)


def test_sentences_are_whole_and_unique() -> None:
    sentences = split_sentences(CUT)
    assert sentences == [
        "The security programme closed all findings rated high.",
        "Revenue from managed data services grew steadily, driven mainly by customers migrating workloads.",
        "The board recommends continued investment in automation and a review of the pricing model.",
        "Customer surveys rated documentation and onboarding highly, while pricing transparency remained "
        "the most frequent request.",
    ]


def test_summary_never_repeats_or_cuts_a_sentence() -> None:
    summary = extractive_summary(CUT, [], 3)
    chosen = split_sentences(summary)
    assert len(chosen) == len({s.lower() for s in chosen}) == 3
    assert summary.endswith(".")
    assert summary[0].isupper()
    assert "Revenue and Growth" not in summary
    assert "Chapter 2" not in summary


def test_keywords_are_deduplicated_by_case_stem_and_containment() -> None:
    text = (
        "Managed data services grew. The managed data services team rated the pods. Pods restart often. "
        "A pod restarts when the probe fails. The Kubernetes cluster runs pods. Customer surveys rated it."
    )
    candidates = [
        "managed data",
        "grew",
        "Managed data services",
        "rated",
        "pods",
        "Pod",
        "the",
        "Kubernetes",
    ]
    keywords = clean_keywords(candidates, text, 10, "en")
    assert keywords == ["managed data services", "pods", "Kubernetes"]
    assert len({term_key(k) for k in keywords}) == len(keywords)


def test_concepts_have_one_casing_per_topic(config_dir: Path) -> None:
    config = get_app_config(config_dir).metadata_keywords
    text = "Security matters. The security review found an exploit, an attack and a vulnerability in TLS."
    domains = match_domains(text, config)
    concepts = concepts_for(text, domains, [], 10, "en")
    assert "Security" in concepts
    assert len({c.lower() for c in concepts}) == len(concepts)


def test_domains_need_min_hits(config_dir: Path) -> None:
    config = get_app_config(config_dir).metadata_keywords
    assert "Networking" not in match_domains(TEXT, config).labels
    assert "Networking" in match_domains("TCP and UDP packets cross the router.", config).labels


def test_text_without_words_is_invalid_output(provider: OfflineProvider, config_dir: Path) -> None:
    _, profile = get_app_config(config_dir).extraction_profiles.get("default")
    request = EnrichmentRequest(
        document_id="d",
        chapter_index=3,
        chapter_title="",
        text="... 12 34 !!",
        profile_name="default",
        profile=profile,
    )
    with pytest.raises(PermanentError) as error:
        provider.enrich_chapter(request)
    assert error.value.code == "INVALID_LLM_OUTPUT"


def test_reduce_summarises_the_chapter_summaries(provider: OfflineProvider, config_dir: Path) -> None:
    _, profile = get_app_config(config_dir).extraction_profiles.get("academic_paper")
    outcome = provider.reduce_document(
        ReduceRequest(
            document_id="d",
            document_title="T",
            chapter_titles=["a", "b"],
            chapter_summaries=[TEXT, "Kafka partitions are replicated across brokers for availability."],
            profile_name="academic_paper",
            profile=profile,
        )
    )
    source = [*split_sentences(TEXT), "Kafka partitions are replicated across brokers for availability."]
    assert outcome.summary
    assert set(split_sentences(outcome.summary)) <= set(source)


def test_language_detection() -> None:
    assert detect_language(TEXT) == "en"
    assert (
        detect_language("Die Daten werden in der Tabelle gespeichert und sind nicht für alle sichtbar.")
        == "de"
    )
    assert detect_language("مرحبا بالعالم هذا نص عربي قصير") == "ar"
    assert detect_language("12 34") is None


def test_terms_are_the_same_from_many_threads() -> None:
    # The enrich workers run in threads: a shared Snowball stemmer stems the other threads' words.
    from concurrent.futures import ThreadPoolExecutor

    words = ["horizontal pod autoscaler", "replicas", "readiness probes", "managed data services"] * 500
    serial = [term_key(w) for w in words]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(term_key, words)) == serial


@pytest.mark.parametrize("language", [*sorted(YAKE_LANGUAGES), "sv", None])
def test_stop_words_are_yakes_own_for_the_language(language: str | None) -> None:
    import yake

    code = language if language in YAKE_LANGUAGES else "en"
    assert stopwords(language) == frozenset(yake.KeywordExtractor(lan=code).stopword_set)


def test_a_document_summary_is_ranked_without_importing_yake() -> None:
    # Validation ranks the chapter summaries into the document's; YAKE's imports would double its cold start.
    script = (
        "import sys\n"
        "from enhancer.providers.offline import document_summary\n"
        f"summary = document_summary({TEXT!r}.split('. '), ['python', 'kafka'], 2, 'en')\n"
        "assert summary, summary\n"
        "print(sorted(m for m in ('yake', 'networkx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
