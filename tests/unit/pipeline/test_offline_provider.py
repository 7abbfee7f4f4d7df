from pathlib import Path

import pytest

from enhancer.config import get_app_config
from enhancer.errors import PermanentError
from enhancer.language import detect_language
from enhancer.profiles import chapter_output_model
from enhancer.providers.base import EnrichmentRequest, ReduceRequest
from enhancer.providers.offline import OfflineProvider, extractive_summary, match_domains, split_sentences

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
    assert outcome.llm.model == "yake-extractive"
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


def test_summary_keeps_the_sentences_carrying_keywords_in_order() -> None:
    summary = extractive_summary(TEXT, ["Kafka", "Python", "Spark"], 2)
    assert "weather" not in summary
    assert summary.index("Python") < summary.index("Kafka")


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
