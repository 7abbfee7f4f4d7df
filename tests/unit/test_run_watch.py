"""``doc-enhancer run``'s watch loop against an in-memory documents store: a transient AWS error while it
follows progress is retried with backoff; a persistent one stops the run with a clear message."""

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from enhancer.cli.app import app
from enhancer.errors import RetryableError
from enhancer.local import session
from enhancer.local.session import DocumentSummary, RunError, RunOptions, _Results, _wait
from enhancer.models import DocumentRecord, DocumentStatus, ErrorCode
from enhancer.pipeline.context import Pipeline

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FlakyDocuments:
    """The ``DocumentStore.get`` the watch loop uses: the first ``failures`` calls fail as a throttled or 5xx
    DynamoDB call does once the SDK's own retries are spent; then the document is FAILED (NOT_A_PDF)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def get(self, document_id: str) -> DocumentRecord:
        self.calls += 1
        if self.calls <= self.failures:
            raise RetryableError(f"get document {document_id}: ProvisionedThroughputExceededException")
        return DocumentRecord(
            document_id=document_id,
            status=DocumentStatus.FAILED,
            profile="default",
            source_bucket="in",
            source_key="incoming/x.pdf",
            error_code=ErrorCode.NOT_A_PDF,
            error_message="not a PDF",
            created_at=NOW,
            updated_at=NOW,
        )


def _watch(documents: FlakyDocuments, tmp_path: Path) -> list[DocumentSummary]:
    pipeline = cast(Pipeline, SimpleNamespace(documents=documents))
    options = RunOptions(out_dir=tmp_path, poll_interval_s=0, read_attempts=4, read_backoff_s=0)
    summaries = [DocumentSummary(file=str(tmp_path / "x.pdf"), document_id="d" * 32)]
    results = _Results(pipeline, options)
    results.name(summaries, [tmp_path / "x.pdf"])
    _wait(pipeline, summaries, results, options, None)
    return summaries


def test_a_transient_error_while_watching_is_retried_and_the_run_goes_on(tmp_path: Path) -> None:
    documents = FlakyDocuments(failures=3)

    (summary,) = _watch(documents, tmp_path)

    assert (summary.status, summary.error_code) == (DocumentStatus.FAILED, "NOT_A_PDF")
    assert documents.calls == 4
    assert json.loads((tmp_path / "x.json").read_text())["error_code"] == "NOT_A_PDF"


def test_a_persistent_error_stops_the_run_with_what_failed(tmp_path: Path) -> None:
    with pytest.raises(RunError) as caught:
        _watch(FlakyDocuments(failures=100), tmp_path)

    assert str(caught.value) == (
        f"reading the status of {'d' * 32} failed 4 times in a row: "
        f"get document {'d' * 32}: ProvisionedThroughputExceededException"
    )


def test_the_waits_between_attempts_double_up_to_five_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(session.time, "sleep", waits.append)
    options = RunOptions(out_dir=tmp_path, read_attempts=6, read_backoff_s=0.5)
    results = _Results(cast(Pipeline, SimpleNamespace()), options)

    def always_throttled() -> Any:
        raise RetryableError("throttled")

    with pytest.raises(RunError):
        results.read("status of d", always_throttled)
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0]


def test_the_cli_ends_a_failed_watch_with_exit_1_and_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_run(*_: Any, **__: Any) -> Any:
        raise RunError("reading the status of d failed 6 times in a row: throttled")

    monkeypatch.setattr("enhancer.cli.run.run_local", failing_run)
    result = CliRunner().invoke(app, ["run", ".", "--json"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: reading the status of d failed 6 times in a row: throttled"
