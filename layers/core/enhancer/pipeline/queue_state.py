"""What the sweep reads from SQS: each queue's settings and depth, and DLQ messages without consuming them.

Data access only; the logic is ``enhancer.pipeline.sweep``.
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from enhancer.storage.errors import convert

SQS_BATCH_LIMIT = 10
# The longest a peek hides a message (a listing that dies before showing them again leaves them this long).
PEEK_HIDE_S = 30
_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "RedrivePolicy",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True)
class QueueState:
    """A pipeline queue as SQS describes it now."""

    url: str
    depth: int  # visible, in flight and delayed messages
    visibility_timeout_s: int
    retention_s: int
    max_receive_count: int  # 0 without a redrive policy
    dlq_url: str | None

    @property
    def max_retry_s(self) -> int:
        """The longest SQS keeps a received message retrying before it dead-letters it."""
        return max(1, self.max_receive_count) * self.visibility_timeout_s


class QueueInspector:
    def __init__(self, client: Any | None = None) -> None:
        self._sqs: Any = client or boto3.client("sqs")
        self._dlq_urls: dict[str, str] = {}

    def describe(self, queue_url: str) -> QueueState:
        try:
            attributes = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(_ATTRIBUTES))[
                "Attributes"
            ]
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"attributes of {queue_url}") from exc
        policy = json.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
        depth = sum(
            int(attributes.get(name, 0))
            for name in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )
        dlq_arn = policy.get("deadLetterTargetArn")
        return QueueState(
            url=queue_url,
            depth=depth,
            visibility_timeout_s=int(attributes.get("VisibilityTimeout", 30)),
            retention_s=int(attributes.get("MessageRetentionPeriod", 345_600)),
            max_receive_count=int(policy.get("maxReceiveCount", 0)),
            dlq_url=self._url_of(str(dlq_arn)) if dlq_arn else None,
        )

    def _url_of(self, queue_arn: str) -> str:
        if queue_arn not in self._dlq_urls:
            _, _, _, _, account, name = queue_arn.split(":", 5)
            try:
                response = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            except (ClientError, BotoCoreError) as exc:
                raise convert(exc, f"queue {name}") from exc
            self._dlq_urls[queue_arn] = str(response["QueueUrl"])
        return self._dlq_urls[queue_arn]

    def peek(self, queue_url: str, *, limit: int, hide_s: int = PEEK_HIDE_S) -> list[dict[str, Any]]:
        """Up to ``limit`` messages, left in the queue and visible again when this returns."""
        with self.holding(queue_url, limit=limit, hide_s=hide_s) as found:
            return found

    @contextmanager
    def holding(
        self, queue_url: str, *, limit: int, hide_s: int = PEEK_HIDE_S
    ) -> Iterator[list[dict[str, Any]]]:
        """Up to ``limit`` messages, left in the queue: hidden while the block runs (so no other reader, such
        as a redrive, takes one meanwhile) and made visible again when it ends; a message whose restore
        fails, or a block that outlasts ``hide_s``, has it come back by itself after ``hide_s``."""
        found: dict[str, dict[str, Any]] = {}
        try:
            while len(found) < limit:
                try:
                    batch = self._sqs.receive_message(
                        QueueUrl=queue_url,
                        MaxNumberOfMessages=min(SQS_BATCH_LIMIT, limit - len(found)),
                        WaitTimeSeconds=0,
                        VisibilityTimeout=hide_s,
                        AttributeNames=["All"],
                        MessageAttributeNames=["All"],
                    ).get("Messages", [])
                except (ClientError, BotoCoreError) as exc:
                    raise convert(exc, f"receive from {queue_url}") from exc
                if not batch:
                    break
                found.update({m["MessageId"]: m for m in batch})
            yield list(found.values())
        finally:
            self._show(queue_url, [m["ReceiptHandle"] for m in found.values()])

    def _show(self, queue_url: str, receipt_handles: Sequence[str]) -> None:
        for start in range(0, len(receipt_handles), SQS_BATCH_LIMIT):
            chunk = receipt_handles[start : start + SQS_BATCH_LIMIT]
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(chunk)
            ]
            try:
                self._sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
            except (ClientError, BotoCoreError):  # they reappear after hide_s instead
                continue
