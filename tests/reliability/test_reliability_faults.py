"""Provider faults through the real OpenAI SDK against the fake LLM server: 500s, 429s with retry-after,
malformed output and timeouts. Every document ends terminal, nothing is lost or doubled; with the offline
provider as fallback every document completes."""

from collections import Counter
from typing import Any

import pytest

from enhancer.fakellm import FakeLlmServer, FaultPlan
from tests.reliability.harness import MARKS, local_stack, sample_bytes, sized, small_pdf

pytestmark = MARKS

OPENAI = {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-fake-reliability"}
SAMPLES = ("kubernetes-field-guide.pdf", "annual-report.pdf", "research-paper.pdf", "cloud-data-handbook.pdf")


def _upload_corpus(stack: Any, extra: int) -> list[str]:
    ids = [stack.upload(name, body) for name, body in sample_bytes(*SAMPLES).items()]
    ids += [stack.upload(f"generated-{n}.pdf", small_pdf(n)) for n in range(extra)]
    return ids


def test_injected_provider_faults_end_every_document_with_a_documented_outcome(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a provider that fails a lot: 30 % 500s, 10 % 429s (retry-after), 5 % malformed, 3 % timeouts
    fake_llm.configure(
        FaultPlan(
            error_rate=0.30,
            throttle_rate=0.10,
            malformed_rate=0.05,
            timeout_rate=0.03,
            retry_after_s=0.05,
            timeout_s=1.0,  # past LLM_TIMEOUT (0.5 s): the SDK gives up first
            seed=7,
        )
    )
    with local_stack(monkeypatch, aws_endpoint, "faults", env=OPENAI) as stack:
        ids = _upload_corpus(stack, sized(6, 60))
        # When every document has gone through the pipeline
        stack.wait_terminal(ids)
        # Then nothing is lost or doubled, and every chapter is enriched or failed with its code
        results = stack.assert_accounted_for()

    stats = fake_llm.stats()["by_action"]
    assert stats.get("500", 0)
    assert stats.get("429", 0)
    assert stats.get("timeout", 0)
    assert stats.get("invalid_json", 0) + stats.get("schema_violation", 0)
    chapters = [c for r in results.values() for c in r["chapters"]]
    assert chapters
    assert any(c["llm"] and c["llm"]["attempts"] > 1 for c in chapters), "no retry was ever needed"
    statuses = sorted(r["status"] for r in results.values())
    print(
        f"\nfaults: {len(results)} documents {statuses.count('COMPLETED')} completed, "
        f"{statuses.count('PARTIAL')} partial, {statuses.count('FAILED')} failed; "
        f"{len(chapters)} chapters, {sum(c['status'] == 'FAILED' for c in chapters)} failed "
        f"{dict(Counter(c['error']['code'] for c in chapters if c['status'] == 'FAILED'))}; fake LLM {stats}"
    )


def test_with_the_offline_fallback_every_document_completes(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an unreliable primary (outages only: invalid output is not an outage and is never sent to the
    # fallback, by design of FallbackProvider) and the offline provider as fallback
    fake_llm.configure(
        FaultPlan(
            error_rate=0.45, throttle_rate=0.10, timeout_rate=0.05, retry_after_s=0.05, timeout_s=1.0, seed=11
        )
    )
    env = {**OPENAI, "LLM_FALLBACK_PROVIDER": "offline"}
    with local_stack(monkeypatch, aws_endpoint, "fallback", env=env) as stack:
        ids = _upload_corpus(stack, sized(4, 40))
        stack.wait_terminal(ids)
        results = stack.assert_accounted_for()

    assert {r["status"] for r in results.values()} == {"COMPLETED"}
    providers = {c["llm"]["provider"] for r in results.values() for c in r["chapters"]}
    assert providers == {"openai", "offline"}, "the fallback should have answered some chapters, not all"


def test_an_outage_spends_one_request_budget_per_chapter_and_reports_it(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a provider that answers every request with a 500
    fake_llm.configure(FaultPlan(error_rate=1.0, seed=3))
    with local_stack(monkeypatch, aws_endpoint, "outage", env={**OPENAI, "LLM_MAX_ATTEMPTS": "3"}) as stack:
        document_id = stack.upload("generated-outage.pdf", small_pdf(11))
        # When the document has gone through the pipeline
        stack.wait_terminal([document_id])
        result = stack.result(document_id)
    # Then each chapter sent LLM_MAX_ATTEMPTS requests in all (not 3 per SQS receive), and the result says so
    chapters = result["chapters"]
    requests = fake_llm.stats()["by_action"].get("500", 0)
    assert result["status"] == "FAILED"
    assert result["error_code"] == "LLM_UNAVAILABLE"
    assert all(c["error"]["code"] == "LLM_UNAVAILABLE" for c in chapters)
    assert [c["llm"]["attempts"] for c in chapters] == [3] * len(chapters)
    # the document-level reduce never runs: every chapter failed
    assert requests == 3 * len(chapters)
    assert result["usage"]["llm_calls"] == requests
