"""The failure table, walked: for every step, error class and receive, the record's fate and the document's
are what ``FAILURE_TABLE`` says, and the README prints the same table."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from enhancer.errors import PermanentError, RetryableError
from enhancer.models import (
    DocumentRecord,
    DocumentStatus,
    EnrichMessage,
    ErrorCode,
    PagesMessage,
    ValidateMessage,
)
from enhancer.pipeline import records
from enhancer.pipeline.context import build_pipeline
from enhancer.pipeline.records import (
    FAILURE_TABLE,
    ErrorClass,
    Outcome,
    failure_table_markdown,
    process_record,
)
from enhancer.settings import get_settings
from tests.unit.handlers.conftest import load_event, s3_event_for

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_prints_the_failure_table_the_code_applies() -> None:
    assert failure_table_markdown() in README.read_text(encoding="utf-8")


def _error(error_class: ErrorClass) -> Exception:
    return {
        ErrorClass.OUT_OF_TIME: records.OutOfTimeError("late", code=ErrorCode.INTERNAL),
        ErrorClass.IN_PROGRESS: IdempotencyAlreadyInProgressError("busy"),
        ErrorClass.PERMANENT: PermanentError("broken input", code=ErrorCode.CORRUPT_PDF),
        ErrorClass.RETRYABLE: RetryableError("S3 is having a bad minute", code=ErrorCode.INTERNAL),
    }[error_class]


def _record(step: str, receive: int, doc: str) -> SQSRecord:
    body = {
        "extract": s3_event_for("in", f"incoming/{doc}/a.pdf", "e")["Records"][0]["body"],
        "extract_pages": PagesMessage(document_id=doc, first_page=1, last_page=1).model_dump_json(),
        "enrich": EnrichMessage(
            document_id=doc, chapter_index=0, chapter_key="k", profile="default"
        ).model_dump_json(),
        "validate": ValidateMessage(document_id=doc).model_dump_json(),
    }[step]
    raw = load_event("s3_put_in_sqs.json")["Records"][0]  # a real-shaped record; its body replaced
    raw["body"] = body
    raw["attributes"]["ApproximateReceiveCount"] = str(receive)
    return SQSRecord(raw)


@pytest.mark.parametrize("step", records.STEPS)
def test_each_failure_ends_where_the_table_says(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    pipeline = build_pipeline(get_settings())
    cases = [(error_class, final) for (s, error_class, final) in FAILURE_TABLE if s == step]
    for number, (error_class, final) in enumerate(cases):
        doc = f"{number:032x}"
        with monkeypatch.context() as patch:
            _check(pipeline, patch, step, error_class, final, doc)


def _check(
    pipeline: Any, monkeypatch: pytest.MonkeyPatch, step: str, error_class: ErrorClass, final: bool, doc: str
) -> None:
    now = datetime.now(UTC)
    status = {
        "extract": DocumentStatus.EXTRACTING,
        "extract_pages": DocumentStatus.EXTRACTING,
        "enrich": DocumentStatus.ENRICHING,
        "validate": DocumentStatus.VALIDATING,
    }[step]
    pipeline.documents.create_if_absent(
        DocumentRecord(
            document_id=doc,
            status=status,
            profile="default",
            source_bucket="in",
            source_key=f"incoming/{doc}/a.pdf",
            source_etag="e",
            chapter_count=1,
            created_at=now,
            updated_at=now,
        )
    )
    # Given a step that fails with this class of error, on an earlier or the last receive
    record = _record(step, 3 if final else 1, doc)
    if error_class == ErrorClass.MALFORMED:
        record = SQSRecord({**record.raw_event, "body": '{"not": "a message"}'})
    else:

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise _error(error_class)

        # Where each step's work lives (``process_record`` imports it from there when the step runs).
        target = {
            "extract": "enhancer.pipeline.extract.extract_object",
            "extract_pages": "enhancer.pipeline.pages.extract_page_range",
            "enrich": "enhancer.pipeline.enrich.enrich_chapter",
            "validate": "enhancer.pipeline.validate.validate_document",
        }[step]
        monkeypatch.setattr(target, fail)
    # When the record is processed
    raised = False
    try:
        process_record(step, pipeline, record, None, provider=object())  # type: ignore[arg-type]
    except Exception:
        raised = True
    # Then the record and the document end as the table says
    outcome = FAILURE_TABLE[step, error_class, final]
    where = (step, error_class.name, final, outcome.name)
    after = pipeline.documents.get(doc)
    assert after is not None
    assert raised == (outcome in (Outcome.RETRY, Outcome.FAIL_DOCUMENT_THEN_DLQ)), where
    if outcome in (Outcome.FAIL_DOCUMENT, Outcome.FAIL_DOCUMENT_THEN_DLQ):
        assert after.status == DocumentStatus.FAILED, where
        expected = ErrorCode.CORRUPT_PDF if error_class == ErrorClass.PERMANENT else ErrorCode.INTERNAL
        assert after.error_code == expected, where
        assert after.result_key, where
    elif outcome == Outcome.FAIL_CHAPTER:
        assert after.chapters_failed == {0}, where
        assert after.status == DocumentStatus.VALIDATING, where  # the only chapter: the document goes on
    else:
        assert after.status == status, where
