"""SQS behind a narrow interface: send pydantic bodies in batches of ten, and what the local pollers need."""

import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from enhancer.errors import RetryableError
from enhancer.models import ErrorCode
from enhancer.storage.errors import convert

SQS_BATCH_LIMIT = 10


class QueueClient:
    def __init__(self, client: Any | None = None) -> None:
        self._sqs: Any = client or boto3.client("sqs")

    def send(self, queue_url: str, bodies: Sequence[BaseModel | str]) -> int:
        """SendMessageBatch, ten per call; entries SQS rejects are retried once, then raise RetryableError
        (the caller's record fails and is redelivered: consumers are idempotent, duplicates are harmless)."""
        sent = 0
        for start in range(0, len(bodies), SQS_BATCH_LIMIT):
            chunk = bodies[start : start + SQS_BATCH_LIMIT]
            entries = [
                {"Id": str(i), "MessageBody": b if isinstance(b, str) else b.model_dump_json()}
                for i, b in enumerate(chunk)
            ]
            for _attempt in range(2):
                failed = self._send_batch(queue_url, entries)
                if not failed:
                    break
                entries = [e for e in entries if e["Id"] in failed]
            else:
                raise RetryableError(
                    f"SQS rejected {len(entries)} of {len(chunk)} messages for {queue_url}",
                    code=ErrorCode.INTERNAL,
                )
            sent += len(chunk)
        return sent

    def _send_batch(self, queue_url: str, entries: list[dict[str, str]]) -> set[str]:
        try:
            response = self._sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"send to {queue_url}") from exc
        return {f["Id"] for f in response.get("Failed", [])}

    def receive(
        self, queue_url: str, *, max_messages: int, wait_s: int = 0, visibility_timeout_s: int | None = None
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "QueueUrl": queue_url,
            "MaxNumberOfMessages": max(1, min(max_messages, SQS_BATCH_LIMIT)),
            "WaitTimeSeconds": wait_s,
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if visibility_timeout_s is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout_s
        try:
            messages: list[dict[str, Any]] = self._sqs.receive_message(**kwargs).get("Messages", [])
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"receive from {queue_url}") from exc
        return messages

    def delete(self, queue_url: str, receipt_handles: Sequence[str]) -> None:
        for start in range(0, len(receipt_handles), SQS_BATCH_LIMIT):
            chunk = receipt_handles[start : start + SQS_BATCH_LIMIT]
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            try:
                self._sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise convert(exc, f"delete messages of {queue_url}") from exc

    def approximate_depth(self, queue_url: str) -> int:
        """Visible plus in-flight messages."""
        try:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"attributes of {queue_url}") from exc
        return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
        )

    # --- added for the API (health, reprocess) and the operator's redrive ------------------------------

    def send_message(self, queue_url: str, body: str, attributes: dict[str, str] | None = None) -> str:
        """One message with string attributes (kept by redrive); returns its MessageId."""
        kwargs: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": body}
        if attributes:
            kwargs["MessageAttributes"] = {
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            }
        try:
            return str(self._sqs.send_message(**kwargs)["MessageId"])
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"send to {queue_url}") from exc

    def dead_letter_queue_url(self, queue_url: str) -> str | None:
        """The URL of the queue's DLQ, from its redrive policy (None when it has none)."""
        try:
            attributes = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
            policy = attributes.get("Attributes", {}).get("RedrivePolicy")
            if not policy:
                return None
            arn = str(json.loads(policy)["deadLetterTargetArn"])
            _, _, _, _, account, name = arn.split(":", 5)
            return str(self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"dead-letter queue of {queue_url}") from exc

    def queue_url(self, name: str) -> str:
        """The URL of the queue called ``name`` (the operator CLI resolves names from the stage)."""
        try:
            return str(self._sqs.get_queue_url(QueueName=name)["QueueUrl"])
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"queue {name}") from exc
