"""The operations panel's logic: dead-letter queues (depth, redrive) and documents stuck mid-pipeline."""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from enhancer.api.documents import view
from enhancer.api.errors import NotFound
from enhancer.api.models import DocumentView
from enhancer.api.services import ApiServices
from enhancer.models import DocumentStatus
from enhancer.storage import QueueClient

NON_TERMINAL = (
    DocumentStatus.RECEIVED,
    DocumentStatus.EXTRACTING,
    DocumentStatus.ENRICHING,
    DocumentStatus.VALIDATING,
)
STUCK_SAMPLE = 100


class QueueDepth(BaseModel):
    queue: str
    depth: int = Field(description="messages waiting or in flight")
    dead_letters: int | None = Field(description="messages in the queue's DLQ; None when it has none")


class QueueDepths(BaseModel):
    queues: list[QueueDepth]


class Redriven(BaseModel):
    queue: str
    moved: int


class StuckDocuments(BaseModel):
    older_than_minutes: int
    items: list[DocumentView]


def queue_depths(services: ApiServices) -> QueueDepths:
    depths = []
    for key, url in services.queue_urls.items():
        dlq = services.queues.dead_letter_queue_url(url)
        depths.append(
            QueueDepth(
                queue=key,
                depth=services.queues.approximate_depth(url),
                dead_letters=services.queues.approximate_depth(dlq) if dlq else None,
            )
        )
    return QueueDepths(queues=depths)


def move_dead_letters(queues: QueueClient, dlq_url: str, source_url: str) -> int:
    """Every message of a DLQ back to its source queue (body and attributes kept); the count moved.

    Send first, then delete: a crash in between duplicates a message, which the idempotent consumers absorb,
    rather than losing one."""
    moved = 0
    while True:
        messages = queues.receive(dlq_url, max_messages=10, wait_s=0, visibility_timeout_s=60)
        if not messages:
            return moved
        for message in messages:
            attributes = {
                name: value["StringValue"]
                for name, value in message.get("MessageAttributes", {}).items()
                if "StringValue" in value
            }
            queues.send_message(source_url, message["Body"], attributes)
            queues.delete(dlq_url, [message["ReceiptHandle"]])
            moved += 1


def redrive(services: ApiServices, queue: str) -> Redriven:
    source = services.queue_urls.get(queue)
    if not source:
        raise NotFound(f"no queue {queue!r}; one of: {', '.join(services.queue_urls)}")
    dlq = services.queues.dead_letter_queue_url(source)
    if dlq is None:
        raise NotFound(f"the {queue} queue has no dead-letter queue")
    return Redriven(queue=queue, moved=move_dead_letters(services.queues, dlq, source))


def stuck_documents(services: ApiServices, older_than_minutes: int) -> StuckDocuments:
    """Documents in a non-terminal status whose last change is older than the threshold, oldest first
    (up to 100 per status)."""
    cutoff = datetime.now(UTC) - timedelta(minutes=older_than_minutes)
    stuck = [
        record
        for status in NON_TERMINAL
        for record in services.documents.list_by_status(status, limit=STUCK_SAMPLE, newest_first=False)
        if record.updated_at <= cutoff
    ]
    stuck.sort(key=lambda r: r.updated_at)
    return StuckDocuments(older_than_minutes=older_than_minutes, items=[view(r) for r in stuck])
