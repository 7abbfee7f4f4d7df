"""Every SQS record of every step goes through ``process_record``, and every failure through one table.

``process_record`` parses the record's message, checks the invocation has time left, runs the step
(idempotently where a retry could repeat work), classifies whatever it raised and applies the outcome that
``FAILURE_TABLE`` gives for (step, error class, last receive or not). The table is data: the README prints it
(``failure_table_markdown``) and the tests walk it. An outcome that cannot itself be carried out (say the
documents table refuses the FAILED write) fails the record instead, so SQS redelivers it and, after its last
receive, the DLQ and the sweeper (``enhancer.pipeline.sweep``) take over: no document waits forever.

Each step's own module (``enhancer.pipeline.extract``, ``pages``, ``enrich``, ``validate``) is imported when a
record of that step first runs, so a function's cold start pays for its own step only (validation alone brings
the stemmer and its rules; the sweeper runs no step).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from enhancer.deadline import budget_s, invocation_deadline, remaining_s
from enhancer.errors import DocumentBusyError, PermanentError, PipelineError, RetryableError
from enhancer.models import EnrichMessage, ErrorCode, PagesMessage, ValidateMessage
from enhancer.observability import logger
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.idempotency import run_once
from enhancer.pipeline.ids import decode_key, document_id_for
from enhancer.pipeline.lifecycle import fail_document, log_keys, one_line
from enhancer.pipeline.models import S3ObjectRef
from enhancer.providers.base import EnrichmentProvider
from enhancer.resources import queue

REPROCESS_RUN_ATTRIBUTE = "reprocess_run"


class ErrorClass(StrEnum):
    MALFORMED = "malformed message"
    OUT_OF_TIME = "too little time left in the invocation"
    IN_PROGRESS = "another invocation holds the step"
    PERMANENT = "PermanentError"
    RETRYABLE = "RetryableError or anything unexpected"


class Outcome(StrEnum):
    RETRY = "fail the record: SQS redelivers it after the visibility timeout (the DLQ after the last)"
    FAIL_DOCUMENT = "end the document FAILED with the error's code; acknowledge"
    FAIL_DOCUMENT_THEN_DLQ = "end the document FAILED with the error's code; fail the record into the DLQ"
    FAIL_CHAPTER = "record the chapter failed with the error's code (the document goes on); acknowledge"


STEPS = ("extract", "extract_pages", "enrich", "validate")
_DOCUMENT_STEPS = ("extract", "extract_pages", "validate")


def _build_table() -> dict[tuple[str, ErrorClass, bool], Outcome]:
    table: dict[tuple[str, ErrorClass, bool], Outcome] = {}
    for step in STEPS:
        for final in (False, True):
            # No document to fail, or someone else is on it: the DLQ keeps the message for a person.
            table[step, ErrorClass.MALFORMED, final] = Outcome.RETRY
            table[step, ErrorClass.IN_PROGRESS, final] = Outcome.RETRY
            table[step, ErrorClass.OUT_OF_TIME, final] = Outcome.RETRY
            if step in _DOCUMENT_STEPS:
                table[step, ErrorClass.PERMANENT, final] = Outcome.FAIL_DOCUMENT
                table[step, ErrorClass.RETRYABLE, final] = (
                    Outcome.FAIL_DOCUMENT_THEN_DLQ if final else Outcome.RETRY
                )
            else:  # one chapter's failure is recorded and the document finishes PARTIAL, never stalls
                table[step, ErrorClass.PERMANENT, final] = Outcome.FAIL_CHAPTER
                table[step, ErrorClass.RETRYABLE, final] = Outcome.FAIL_CHAPTER if final else Outcome.RETRY
    return table


FAILURE_TABLE = _build_table()


def failure_table_markdown() -> str:
    """The table as the README prints it (a test keeps the two equal): one row per error class, one column
    per step and receive, the outcome's short name in each cell; the outcomes spelled out below it."""
    header = ["error class"] + [
        f"{step} ({'last' if final else 'earlier'})" for step in STEPS for final in (False, True)
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for error in ErrorClass:
        cells = [FAILURE_TABLE[step, error, final].name for step in STEPS for final in (False, True)]
        lines.append(f"| {error.value} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- `{outcome.name}`: {outcome.value}" for outcome in Outcome]
    return "\n".join(lines)


class OutOfTimeError(RetryableError):
    """The invocation has too little time left to start (or go on with) a step: let SQS hand it to another."""


class MalformedMessageError(PermanentError):
    """The record's body is not the message its queue carries."""


def classify(exc: BaseException) -> ErrorClass:
    if isinstance(exc, IdempotencyAlreadyInProgressError | DocumentBusyError):
        return ErrorClass.IN_PROGRESS
    if isinstance(exc, MalformedMessageError):
        return ErrorClass.MALFORMED
    if isinstance(exc, OutOfTimeError):
        return ErrorClass.OUT_OF_TIME
    if isinstance(exc, PermanentError):
        return ErrorClass.PERMANENT
    return ErrorClass.RETRYABLE


def receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count or 1)
    except (TypeError, ValueError):
        return 1


def reprocess_run(record: SQSRecord) -> int:
    """The run number a reprocess request put on its ingest message (0 for S3's own notifications)."""
    attribute = record.message_attributes[REPROCESS_RUN_ATTRIBUTE]
    try:
        return int(attribute.string_value) if attribute and attribute.string_value else 0
    except ValueError:
        return 0


def is_final_attempt(record: SQSRecord, queue_key: str) -> bool:
    return receive_count(record) >= queue(queue_key).max_receive_count


@dataclass(frozen=True)
class Work:
    """One unit of a record: the document it concerns (for failing it), the chapter (enrich), and the run."""

    document_id: str
    run: Callable[[], object]
    chapter_index: int | None = None
    message: BaseModel | None = None


@dataclass(frozen=True)
class Step:
    name: str
    queue_key: str
    min_remaining_s: float
    """Do not start a record with less time left than this (or than half of what the invocation began with,
    if that is less): the later records of a slow batch go back to SQS instead of being cut off."""


# Enrich and validate may make an LLM request (LLM_TIMEOUT, 30 s by default); extraction of one document
# or range takes seconds, but a big one must not start in the invocation's last moments.
STEP_SPECS = {
    "extract": Step("extract", "ingest", min_remaining_s=30),
    "extract_pages": Step("extract_pages", "pages", min_remaining_s=30),
    "enrich": Step("enrich", "enrich", min_remaining_s=35),
    "validate": Step("validate", "validate", min_remaining_s=35),
}


def process_record(
    step_name: str,
    pipeline: Pipeline,
    record: SQSRecord,
    context: LambdaContext | None,
    provider: EnrichmentProvider | None = None,
) -> None:
    """Run one record of ``step_name``; raises when the record must fail (SQS redelivers it)."""
    step = STEP_SPECS[step_name]
    final = is_final_attempt(record, step.queue_key)
    with invocation_deadline(context):
        try:
            units = _units(step, pipeline, record, context, provider, final)
        except MalformedMessageError as exc:
            _handle(step, pipeline, Work("", lambda: None), exc, final)
            raise
        failures: list[BaseException] = []
        for unit in units:
            with log_keys(document_id=unit.document_id or None, chapter_index=unit.chapter_index):
                try:
                    needed = min(step.min_remaining_s, budget_s() / 2)
                    if remaining_s() < needed:
                        raise OutOfTimeError(
                            f"{remaining_s():.1f} s left, {step.name} needs {needed:.1f} s",
                            code=ErrorCode.INTERNAL,
                        )
                    unit.run()
                except Exception as exc:
                    if not _handle(step, pipeline, unit, exc, final):
                        failures.append(exc)
        if failures:
            raise failures[0]


def _handle(step: Step, pipeline: Pipeline, unit: Work, exc: Exception, final: bool) -> bool:
    """Apply the table's outcome; True when the record may be acknowledged."""
    error_class = classify(exc)
    outcome = FAILURE_TABLE[step.name, error_class, final]
    code = exc.code if isinstance(exc, PipelineError) else ErrorCode.INTERNAL
    reason = exc.message if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
    log = logger.warning if outcome == Outcome.RETRY else logger.error
    log(
        "step failed",
        extra={
            "step": step.name,
            "error_class": error_class.value,
            "final_attempt": final,
            "outcome": outcome.name,
            "error": one_line(reason),
        },
        exc_info=error_class == ErrorClass.RETRYABLE and not isinstance(exc, PipelineError),
    )
    if outcome == Outcome.RETRY:
        return False
    message = reason if error_class == ErrorClass.PERMANENT else f"{step.name} kept failing: {reason}"
    try:
        if outcome == Outcome.FAIL_CHAPTER and isinstance(unit.message, EnrichMessage):
            from enhancer.pipeline.enrich import record_chapter_failure

            record_chapter_failure(pipeline, unit.message, code, message)
        elif unit.document_id:
            fail_document(pipeline, unit.document_id, code, message)
    except Exception:
        logger.exception("could not record the failure; the record fails and SQS redelivers it")
        return False
    return outcome != Outcome.FAIL_DOCUMENT_THEN_DLQ


def _parse(model: type[BaseModel], record: SQSRecord) -> Any:
    try:
        return model.model_validate_json(record.body)
    except ValidationError as exc:
        raise MalformedMessageError(
            f"not a {model.__name__}: {record.body[:200]!r}", code=ErrorCode.INTERNAL
        ) from exc


def _units(
    step: Step,
    pipeline: Pipeline,
    record: SQSRecord,
    context: LambdaContext | None,
    provider: EnrichmentProvider | None,
    final: bool,
) -> list[Work]:
    table = pipeline.idempotency_table
    if step.name == "extract":
        return _ingest_units(pipeline, record, context)
    if step.name == "extract_pages":
        from enhancer.pipeline.pages import extract_page_range

        pages: PagesMessage = _parse(PagesMessage, record)
        key = {"document_id": pages.document_id, "first_page": pages.first_page, "last_page": pages.last_page}
        return [
            Work(
                pages.document_id,
                lambda: run_once(
                    "extract_pages",
                    _with_run(key, pages.run),
                    lambda: extract_page_range(pipeline, pages),
                    table_name=table,
                    context=context,
                ),
                message=pages,
            )
        ]
    assert provider is not None, f"the {step.name} step needs a provider"
    if step.name == "enrich":
        from enhancer.pipeline.enrich import enrich_chapter

        enrich: EnrichMessage = _parse(EnrichMessage, record)
        key = {"document_id": enrich.document_id, "chapter_index": enrich.chapter_index}
        return [
            Work(
                enrich.document_id,
                lambda: run_once(
                    "enrich",
                    _with_run(key, enrich.run),
                    lambda: enrich_chapter(pipeline, provider, enrich, final_attempt=final),
                    table_name=table,
                    context=context,
                ),
                chapter_index=enrich.chapter_index,
                message=enrich,
            )
        ]
    from enhancer.pipeline.validate import validate_document

    validate: ValidateMessage = _parse(ValidateMessage, record)
    return [
        Work(
            validate.document_id,
            lambda: validate_document(
                pipeline, provider, validate, final_attempt=final, claim_token=record.message_id
            ),
            message=validate,
        )
    ]


def _ingest_units(pipeline: Pipeline, record: SQSRecord, context: LambdaContext | None) -> list[Work]:
    # Imported here: Powertools' parser models (~100 ms of pydantic class building) would otherwise be paid
    # at the cold start of enrich, validate and api, which import this module but never parse S3 events.
    from enhancer.pipeline.events import is_test_event, parse_s3_objects
    from enhancer.pipeline.extract import extract_object

    if is_test_event(record.body):
        logger.info("s3:TestEvent acknowledged")
        return []
    try:
        refs = parse_s3_objects(record.raw_event)
    except PermanentError as exc:
        raise MalformedMessageError(exc.message, code=ErrorCode.INTERNAL) from exc
    run = reprocess_run(record)

    def unit(ref: S3ObjectRef) -> Work:
        key: dict[str, Any] = {"bucket": ref.bucket, "key": ref.key, "etag": ref.etag}
        return Work(
            document_id_for(ref.bucket, ref.key, ref.etag) if ref.etag else "",
            lambda: run_once(
                "extract",
                _with_run(key, run),
                lambda: extract_object(pipeline, ref),
                table_name=pipeline.idempotency_table,
                context=context,
            ),
        )

    return [unit(ref) for ref in refs]


def _with_run(key: dict[str, Any], run: int) -> dict[str, Any]:
    """A reprocess is new work for the same object or chapter: its own idempotency key."""
    return {**key, "run": run} if run else key


def dead_letter_document_id(queue_key: str, body: str) -> str | None:
    """The document a dead-lettered message was about (for the dead-letter handling)."""
    if queue_key == "ingest":
        upload = dead_letter_upload(body)
        return document_id_for(upload.bucket, upload.key, upload.etag) if upload else None
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    doc = parsed.get("document_id") if isinstance(parsed, dict) else None
    return doc if isinstance(doc, str) else None


def dead_letter_upload(body: str) -> S3ObjectRef | None:
    """The first object a dead-lettered S3 notification is about. Lenient where ``parse_s3_objects`` is
    strict: a dead letter is read to name its document, whatever else it lacks."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    for s3_record in parsed.get("Records", []) if isinstance(parsed, dict) else []:
        try:
            s3 = s3_record["s3"]
            return S3ObjectRef(
                bucket=s3["bucket"]["name"],
                key=decode_key(s3["object"]["key"]),
                etag=str(s3["object"].get("eTag", "")).strip('"'),
            )
        except (KeyError, TypeError, ValidationError):
            continue
    return None


def handle_ingest_record(pipeline: Pipeline, record: SQSRecord, context: LambdaContext | None = None) -> None:
    process_record("extract", pipeline, record, context)


def handle_pages_record(pipeline: Pipeline, record: SQSRecord, context: LambdaContext | None = None) -> None:
    process_record("extract_pages", pipeline, record, context)


def handle_enrich_record(
    pipeline: Pipeline, provider: EnrichmentProvider, record: SQSRecord, context: LambdaContext | None = None
) -> None:
    process_record("enrich", pipeline, record, context, provider)


def handle_validate_record(
    pipeline: Pipeline, provider: EnrichmentProvider, record: SQSRecord, context: LambdaContext | None = None
) -> None:
    process_record("validate", pipeline, record, context, provider)
