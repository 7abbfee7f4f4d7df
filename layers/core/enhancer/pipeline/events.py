"""Parsing the S3-event-in-SQS record with Powertools' parser models, leniently.

Real S3 notifications carry ``userIdentity``, ``requestParameters``, ``responseElements`` and the bucket's
``ownerIdentity``; moto's and some replays do not. The subclasses below make exactly those optional, so the
same parser accepts both, while a body that is not an S3 notification at all still fails to parse.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    S3Model,
    S3RecordModel,
    S3SqsEventNotificationRecordModel,
)
from aws_lambda_powertools.utilities.parser.models.s3 import (
    S3Bucket,
    S3Identity,
    S3Message,
    S3OwnerIdentify,
    S3RequestParameters,
    S3ResponseElements,
)
from pydantic import Json, ValidationError

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.pipeline.ids import decode_key
from enhancer.pipeline.models import S3ObjectRef

TEST_EVENT = "s3:TestEvent"


class LenientS3Bucket(S3Bucket):
    ownerIdentity: S3OwnerIdentify | None = None  # type: ignore[assignment]


class LenientS3Message(S3Message):
    bucket: LenientS3Bucket


class LenientS3Record(S3RecordModel):
    userIdentity: S3Identity | None = None  # type: ignore[assignment]
    requestParameters: S3RequestParameters | None = None  # type: ignore[assignment]
    responseElements: S3ResponseElements | None = None  # type: ignore[assignment]
    s3: LenientS3Message


class LenientS3Model(S3Model):
    Records: list[LenientS3Record]  # type: ignore[assignment]


class LenientS3SqsRecord(S3SqsEventNotificationRecordModel):
    body: Json[LenientS3Model]


def is_test_event(body: str) -> bool:
    """S3 sends one ``s3:TestEvent`` (no ``Records``) when a notification is configured."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("Event") == TEST_EVENT


def parse_s3_objects(raw_record: dict[str, Any]) -> list[S3ObjectRef]:
    """The objects a SQS record's S3 notification is about; PermanentError when it is not one."""
    try:
        record = parse(event=raw_record, model=LenientS3SqsRecord)
    except (ValidationError, ValueError) as exc:
        raise PermanentError("SQS message is not an S3 event notification", code=ErrorCode.INTERNAL) from exc
    refs = []
    for s3_record in record.body.Records:
        obj = s3_record.s3.object
        if obj is None or not s3_record.eventName.startswith("ObjectCreated"):
            continue
        refs.append(
            S3ObjectRef(
                bucket=s3_record.s3.bucket.name,
                key=decode_key(obj.key),
                etag=(obj.eTag or "").strip('"'),
                size_bytes=int(obj.size) if obj.size is not None else None,
            )
        )
    return refs
