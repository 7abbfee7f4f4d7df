"""One SQS record of each queue → the step it triggers, with the pipeline's error policy in one place.

- ``PermanentError``: the document is (or already was) recorded FAILED; the record is acknowledged.
- ``RetryableError`` and anything unexpected: the record fails, so SQS redelivers it. On the last receive
  (``ApproximateReceiveCount`` ≥ the queue's ``maxReceiveCount``) the document is marked FAILED first; the
  message then goes to the DLQ for a person to look at, and the document does not hang.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from enhancer.errors import PermanentError, PipelineError
from enhancer.models import EnrichMessage, ErrorCode, PagesMessage, ValidateMessage
from enhancer.observability import logger
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.enrich import enrich_chapter
from enhancer.pipeline.extract import extract_object
from enhancer.pipeline.idempotency import run_once
from enhancer.pipeline.ids import decode_key, document_id_for
from enhancer.pipeline.lifecycle import fail_document, log_keys, one_line
from enhancer.pipeline.pages import extract_page_range
from enhancer.pipeline.validate import validate_document
from enhancer.providers.base import EnrichmentProvider
from enhancer.resources import queue


def receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count or 1)
    except (TypeError, ValueError):
        return 1


REPROCESS_RUN_ATTRIBUTE = "reprocess_run"


def reprocess_run(record: SQSRecord) -> int:
    """The run number a reprocess request put on its ingest message (0 for S3's own notifications)."""
    attribute = record.message_attributes[REPROCESS_RUN_ATTRIBUTE]
    try:
        return int(attribute.string_value) if attribute and attribute.string_value else 0
    except ValueError:
        return 0


def is_final_attempt(record: SQSRecord, queue_key: str) -> bool:
    return receive_count(record) >= queue(queue_key).max_receive_count


def _give_up(pipeline: Pipeline, document_id: str, exc: Exception, step: str) -> None:
    """Last receive and still failing: end the document FAILED before the message goes to the DLQ."""
    code = exc.code if isinstance(exc, PipelineError) else ErrorCode.INTERNAL
    reason = exc.message if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
    logger.exception("giving up after the last retry; the message goes to the DLQ")
    try:
        fail_document(pipeline, document_id, code, one_line(f"{step} kept failing: {reason}"))
    except Exception:  # the original error matters more; the DLQ alarm still fires
        logger.exception("could not mark the document failed")


def handle_ingest_record(pipeline: Pipeline, record: SQSRecord, context: LambdaContext | None = None) -> None:
    # Imported here: Powertools' parser models (~100 ms of pydantic class building) would otherwise be paid
    # at the cold start of enrich, validate and api, which import this module but never parse S3 events.
    from enhancer.pipeline.events import is_test_event, parse_s3_objects

    if is_test_event(record.body):
        logger.info("s3:TestEvent acknowledged")
        return
    try:
        refs = parse_s3_objects(record.raw_event)
    except PermanentError:
        logger.error(
            "not an S3 event notification; acknowledged and dropped", extra={"body": record.body[:200]}
        )
        return
    run = reprocess_run(record)
    for ref in refs:
        key: dict[str, Any] = {"bucket": ref.bucket, "key": ref.key, "etag": ref.etag}
        if run:  # a reprocess is new work for the same object: its own idempotency key
            key["run"] = run
        try:
            run_once(
                "extract",
                key,
                lambda ref=ref: extract_object(pipeline, ref),  # type: ignore[misc]
                table_name=pipeline.idempotency_table,
                context=context,
            )
        except PermanentError as exc:
            logger.error("extraction failed permanently", extra={"error": exc.message, "key": ref.key})
        except Exception as exc:
            if is_final_attempt(record, "ingest") and ref.etag:
                with log_keys(document_id=document_id_for(ref.bucket, ref.key, ref.etag)):
                    _give_up(pipeline, document_id_for(ref.bucket, ref.key, ref.etag), exc, "extraction")
            raise


def handle_enrich_record(
    pipeline: Pipeline, provider: EnrichmentProvider, record: SQSRecord, context: LambdaContext | None = None
) -> None:
    try:
        message = EnrichMessage.model_validate_json(record.body)
    except ValidationError:
        logger.error("malformed enrich message; acknowledged and dropped", extra={"body": record.body[:200]})
        return
    final = is_final_attempt(record, "enrich")
    with log_keys(document_id=message.document_id, chapter_index=message.chapter_index):
        try:
            enrich_key: dict[str, Any] = {
                "document_id": message.document_id,
                "chapter_index": message.chapter_index,
            }
            if message.run:
                enrich_key["run"] = message.run
            run_once(
                "enrich",
                enrich_key,
                lambda: enrich_chapter(pipeline, provider, message, final_attempt=final),
                table_name=pipeline.idempotency_table,
                context=context,
            )
        except PermanentError as exc:
            logger.error("enrichment record dropped", extra={"error": exc.message})
        except Exception as exc:
            if final:
                _give_up(pipeline, message.document_id, exc, "enrichment")
            raise


def handle_pages_record(pipeline: Pipeline, record: SQSRecord, context: LambdaContext | None = None) -> None:
    """A range that fails permanently (e.g. CORRUPT_PDF on one of its pages) fails the whole document."""
    try:
        message = PagesMessage.model_validate_json(record.body)
    except ValidationError:
        logger.error("malformed pages message; acknowledged and dropped", extra={"body": record.body[:200]})
        return
    with log_keys(document_id=message.document_id):
        try:
            key: dict[str, Any] = {
                "document_id": message.document_id,
                "first_page": message.first_page,
                "last_page": message.last_page,
            }
            if message.run:
                key["run"] = message.run
            run_once(
                "extract_pages",
                key,
                lambda: extract_page_range(pipeline, message),
                table_name=pipeline.idempotency_table,
                context=context,
            )
        except PermanentError as exc:
            logger.error(
                "page range failed permanently",
                extra={"error": exc.message, "first_page": message.first_page},
            )
            fail_document(pipeline, message.document_id, exc.code, exc.message)
        except Exception as exc:
            if is_final_attempt(record, "pages"):
                _give_up(pipeline, message.document_id, exc, "page extraction")
            raise


def handle_validate_record(
    pipeline: Pipeline, provider: EnrichmentProvider, record: SQSRecord, context: LambdaContext | None = None
) -> None:
    try:
        message = ValidateMessage.model_validate_json(record.body)
    except ValidationError:
        logger.error(
            "malformed validate message; acknowledged and dropped", extra={"body": record.body[:200]}
        )
        return
    final = is_final_attempt(record, "validate")
    with log_keys(document_id=message.document_id):
        try:
            validate_document(pipeline, provider, message, final_attempt=final)
        except PermanentError as exc:
            logger.error("validation failed permanently", extra={"error": exc.message})
            fail_document(pipeline, message.document_id, exc.code, exc.message)
        except Exception as exc:
            if final:
                _give_up(pipeline, message.document_id, exc, "validation")
            raise


def dead_letter_document_id(queue_key: str, body: str) -> str | None:
    """The document a dead-lettered message was about (for the local runtime's DLQ watcher)."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    if queue_key in ("pages", "enrich", "validate"):
        doc = parsed.get("document_id")
        return doc if isinstance(doc, str) else None
    for s3_record in parsed.get("Records", []):
        try:
            s3 = s3_record["s3"]
            bucket, key = s3["bucket"]["name"], decode_key(s3["object"]["key"])
            return document_id_for(bucket, key, s3["object"].get("eTag", ""))
        except (KeyError, TypeError):
            continue
    return None
