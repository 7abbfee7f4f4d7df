"""Nothing waits forever: end FAILED each document whose message died or whose step outlived its maximum time.

The same sweep runs on AWS (the sweeper function, on a schedule) and locally (the runtime invokes that
function every second). Two passes, in this order:

1. **Dead letters.** Every DLQ is read without being consumed (a message is hidden only while the sweep
   reads it), so each stays there for ``doc-enhancer redrive`` and keeps the DLQ alarm up. A document that is
   not terminal and is on the message's run ends FAILED with ``DEAD_LETTERED``; so does an upload whose
   ingest message died before extraction wrote its record (the sweeper writes it, as extraction would).
2. **Stalled documents.** The status index lists, oldest first, the documents of each non-terminal status
   not updated for longer than that step's maximum time: the longest SQS keeps retrying a message of the
   queues that can still move the document on (``maxReceiveCount`` x visibility timeout), or
   ``SWEEP_STALE_AFTER_S``. Each is counted in ``DocumentsStalled``. It ends FAILED with ``TIMED_OUT`` only
   when no message can still be on its way to it: every pipeline queue is empty, or the document is older
   than the queues' retention period on top of its step's maximum time.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from enhancer.models import DocumentRecord, DocumentStatus, ErrorCode
from enhancer.observability import MetricName, logger, metrics
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.extract import record_upload
from enhancer.pipeline.ids import resolve_profile
from enhancer.pipeline.lifecycle import NON_TERMINAL, fail_document, log_keys
from enhancer.pipeline.models import S3ObjectRef
from enhancer.pipeline.queue_state import QueueInspector, QueueState
from enhancer.pipeline.records import REPROCESS_RUN_ATTRIBUTE, dead_letter_document_id, dead_letter_upload
from enhancer.storage.documents import utcnow

# The queues whose messages can still move a document on from each status (a retried extract still sends
# the enrich messages of an ENRICHING document; a retried fan-in chapter still sends its validate message).
STEP_QUEUES: dict[DocumentStatus, tuple[str, ...]] = {
    DocumentStatus.RECEIVED: ("ingest",),
    DocumentStatus.EXTRACTING: ("ingest", "pages"),
    DocumentStatus.ENRICHING: ("ingest", "pages", "enrich"),
    DocumentStatus.VALIDATING: ("enrich", "validate"),
}
DLQ_PEEK_LIMIT = 100  # per DLQ and sweep: the rest waits for the next sweep
STALE_LIST_LIMIT = 100  # per status and sweep, oldest first


@dataclass(frozen=True)
class SweepTargets:
    """The pipeline's queues as read at the start of a sweep, and the optional one-for-all time limit."""

    queues: Mapping[str, QueueState]
    stale_after_s: float | None = None

    def max_time_s(self, status: DocumentStatus) -> float:
        if self.stale_after_s is not None:
            return self.stale_after_s
        return float(max(self.queues[key].max_retry_s for key in STEP_QUEUES[status] if key in self.queues))

    @property
    def backlog(self) -> int:
        return sum(state.depth for state in self.queues.values())

    @property
    def retention_s(self) -> int:
        return max(state.retention_s for state in self.queues.values())


@dataclass
class SweepReport:
    dead_letters: int = 0  # DLQ messages read (and left in place)
    dead_lettered: int = 0  # documents ended FAILED / DEAD_LETTERED
    stalled: int = 0  # non-terminal documents past their step's maximum time
    timed_out: int = 0  # of those, ended FAILED / TIMED_OUT
    deferred: int = 0  # of those, left alone while a queue still holds messages

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class DeadLetter:
    queue_key: str
    document_id: str
    run: int | None  # None: the message does not say (validate messages), so it counts as the current run
    upload: S3ObjectRef | None = None  # what an ingest message was about

    def of_run(self, run: int) -> bool:
        return self.run is None or self.run == run

    def older_than(self, run: int) -> bool:
        return self.run is not None and self.run < run


def dead_letter_of(queue_key: str, message: Mapping[str, Any]) -> DeadLetter | None:
    """The document and run a dead-lettered message (as ReceiveMessage returns it) was about; None when it
    names no document."""
    body = str(message.get("Body", ""))
    document_id = dead_letter_document_id(queue_key, body)
    if not document_id:
        return None
    upload = dead_letter_upload(body) if queue_key == "ingest" else None
    if queue_key == "ingest":  # S3's own notifications are run 0; a reprocess's carry its run as an attribute
        attribute = message.get("MessageAttributes", {}).get(REPROCESS_RUN_ATTRIBUTE, {})
        raw: Any = attribute.get("StringValue") or 0
    else:
        raw = json.loads(body).get("run")
    try:
        run = None if raw is None else int(raw)
    except (TypeError, ValueError):
        run = None
    return DeadLetter(queue_key, document_id, run, upload)


def read_targets(
    inspector: QueueInspector, queue_urls: Mapping[str, str], *, stale_after_s: float | None = None
) -> SweepTargets:
    return SweepTargets({key: inspector.describe(url) for key, url in queue_urls.items()}, stale_after_s)


def sweep(
    pipeline: Pipeline, inspector: QueueInspector, targets: SweepTargets, *, now: datetime | None = None
) -> SweepReport:
    """Both passes over the stack; emits ``DocumentsStalled`` (``DocumentsFailed`` comes from
    ``fail_document``)."""
    report = SweepReport()
    for key, state in targets.queues.items():
        if state.dlq_url:
            fail_dead_lettered(pipeline, inspector, key, state, report)
    time_out_stalled(pipeline, targets, now or utcnow(), report)
    metrics.add_metric(name=MetricName.DOCUMENTS_STALLED, unit=MetricUnit.Count, value=report.stalled)
    if report.dead_lettered or report.stalled:
        logger.warning("sweep ended or found stranded documents", extra=report.as_dict())
    return report


def fail_dead_lettered(
    pipeline: Pipeline, inspector: QueueInspector, queue_key: str, state: QueueState, report: SweepReport
) -> None:
    assert state.dlq_url
    # The messages stay hidden until their documents are settled: a redrive meanwhile would move one back
    # to its queue just before its document is ended FAILED, and the moved message would then find it
    # terminal and do nothing.
    with inspector.holding(state.dlq_url, limit=DLQ_PEEK_LIMIT) as messages:
        _settle_dead_letters(pipeline, queue_key, state, messages, report)


def _settle_dead_letters(
    pipeline: Pipeline, queue_key: str, state: QueueState, messages: list[dict[str, Any]], report: SweepReport
) -> None:
    finished: set[str] = set()  # documents already settled in this pass: one read each
    for message in messages:
        report.dead_letters += 1
        letter = dead_letter_of(queue_key, message)
        if letter is None or letter.document_id in finished:
            continue
        record = pipeline.documents.get(letter.document_id)
        if record is None and letter.upload and not letter.run:
            record = _record_dead_upload(pipeline, letter.document_id, letter.upload)
        if record is None or not letter.of_run(record.run):
            continue  # not (yet) a document, or a message of an earlier run
        finished.add(letter.document_id)
        if record.status.is_terminal:
            continue
        with log_keys(document_id=letter.document_id):
            moved = fail_document(
                pipeline,
                letter.document_id,
                ErrorCode.DEAD_LETTERED,
                f"its {queue_key} message failed all {state.max_receive_count} receives (a crash, a timeout "
                f"or running out of memory) and waits in the {queue_key} dead-letter queue; "
                "fix the cause, then doc-enhancer redrive runs it again",
            )
        report.dead_lettered += int(moved)


def _record_dead_upload(pipeline: Pipeline, document_id: str, upload: S3ObjectRef) -> DocumentRecord:
    """The record extraction never wrote (its message died first: say HeadObject or the documents table
    failed on every receive), so the upload shows in the API and the CLI, and a redrive can run it."""
    profile = resolve_profile(None, upload.key, pipeline.config.extraction_profiles)
    return record_upload(pipeline, upload, upload.etag, upload.size_bytes or 0, document_id, profile)


def time_out_stalled(pipeline: Pipeline, targets: SweepTargets, now: datetime, report: SweepReport) -> None:
    backlog = targets.backlog
    for status in NON_TERMINAL:
        max_time_s = targets.max_time_s(status)
        for listed in pipeline.documents.list_by_status(status, limit=STALE_LIST_LIMIT, newest_first=False):
            if (now - listed.updated_at).total_seconds() <= max_time_s:
                break  # oldest first: the rest are younger
            record = pipeline.documents.get(listed.document_id)  # the index is eventually consistent
            if record is None or record.status != status:
                continue
            age_s = (now - record.updated_at).total_seconds()
            if age_s <= max_time_s:
                continue
            report.stalled += 1
            if backlog and age_s <= targets.retention_s + max_time_s:
                report.deferred += 1  # one of the queued messages may be its own
                continue
            with log_keys(document_id=record.document_id):
                moved = fail_document(
                    pipeline,
                    record.document_id,
                    ErrorCode.TIMED_OUT,
                    f"no progress in {status.value} for {age_s:.0f} s, longer than the step's maximum of "
                    f"{max_time_s:.0f} s, and no message left to move it on; doc-enhancer reprocess runs "
                    "it again",
                )
            report.timed_out += int(moved)
