"""The LLM judge through the real OpenAI SDK against the fake LLM server (which fills any JSON schema)."""

import json
from pathlib import Path

import pytest

from enhancer.eval import evaluate
from enhancer.eval.judge import JudgeUnavailable, SummaryJudge
from enhancer.fakellm.server import FakeLlmServer
from enhancer.settings import LlmSettings


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    results, truth = tmp_path / "results", tmp_path / "truth"
    results.mkdir()
    truth.mkdir()
    reference = "Revenue from managed data services grew steadily."
    (truth / "a.json").write_text(json.dumps({"file": "a.pdf", "document": {"summary": reference}}))
    result = {"document_id": "a", "source": {"key": "incoming/a.pdf"}, "document": {"summary": reference}}
    (results / "a.json").write_text(json.dumps(result))
    return results, truth


def test_the_judge_needs_a_configured_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLM_PROVIDER", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(JudgeUnavailable, match="LLM_PROVIDER=openai"):
        SummaryJudge(LlmSettings())


def test_judged_scores_join_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLlmServer() as server:
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("OPENAI_API_KEY", "fake")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        results, truth = _folders(tmp_path)

        report = evaluate(results, truth, judge=SummaryJudge(LlmSettings()))

        sent = server.requests[-1]
    score = report.documents[0].scores["summary_judge"]
    assert 0 <= score <= 1
    assert report.overall["summary_judge"] == score
    assert report.documents[0].notes[0].startswith("judge: ")
    assert "<candidate>" in json.dumps(sent.body)


def test_a_broken_answer_is_no_score_not_a_failed_eval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLlmServer() as server:
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("OPENAI_API_KEY", "fake")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")
        server.script("invalid_json")
        results, truth = _folders(tmp_path)

        report = evaluate(results, truth, judge=SummaryJudge(LlmSettings()))

    assert "summary_judge" not in report.documents[0].scores
    assert "judge gave no score" in report.documents[0].notes[0]
