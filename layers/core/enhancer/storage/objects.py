"""S3 behind a narrow interface: bytes and JSON documents in, bytes and models out."""

import json
from typing import Any, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.storage.errors import convert, error_code

ModelT = TypeVar("ModelT", bound=BaseModel)

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class ObjectInfo(BaseModel):
    size_bytes: int
    etag: str
    metadata: dict[str, str]


class ObjectNotFound(PermanentError):
    """The object is not there; retrying will not bring it back."""


class ObjectStore:
    def __init__(self, client: Any | None = None) -> None:
        self._s3: Any = client or boto3.client("s3")

    def head(self, bucket: str, key: str) -> ObjectInfo:
        try:
            response = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                raise ObjectNotFound(f"s3://{bucket}/{key} does not exist", code=ErrorCode.INTERNAL) from exc
            raise convert(exc, f"head s3://{bucket}/{key}") from exc
        except BotoCoreError as exc:
            raise convert(exc, f"head s3://{bucket}/{key}") from exc
        return ObjectInfo(
            size_bytes=int(response.get("ContentLength", 0)),
            etag=str(response.get("ETag", "")).strip('"'),
            metadata={k.lower(): v for k, v in response.get("Metadata", {}).items()},
        )

    def get_bytes(self, bucket: str, key: str) -> bytes:
        try:
            body: bytes = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                raise ObjectNotFound(f"s3://{bucket}/{key} does not exist", code=ErrorCode.INTERNAL) from exc
            raise convert(exc, f"get s3://{bucket}/{key}") from exc
        except BotoCoreError as exc:
            raise convert(exc, f"get s3://{bucket}/{key}") from exc
        return body

    def put_bytes(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> None:
        try:
            self._s3.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType=content_type, Metadata=metadata or {}
            )
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"put s3://{bucket}/{key}") from exc

    def put_json(self, bucket: str, key: str, document: BaseModel | dict[str, Any]) -> None:
        if isinstance(document, BaseModel):
            body = document.model_dump_json(indent=2).encode()
        else:
            body = json.dumps(document, indent=2, ensure_ascii=False).encode()
        self.put_bytes(bucket, key, body, content_type="application/json")

    def get_json(self, bucket: str, key: str) -> Any:
        return json.loads(self.get_bytes(bucket, key))

    def get_model(self, bucket: str, key: str, model: type[ModelT]) -> ModelT:
        return model.model_validate_json(self.get_bytes(bucket, key))

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.head(bucket, key)
        except ObjectNotFound:
            return False
        return True

    # --- added for the API: presigned URLs and a reachability check ------------------------------------

    def presign_put(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str,
        expires_in: int,
        content_length: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """A URL to PUT one object. Content-Type, metadata (and Content-Length when given) are signed
        headers, so S3 refuses an upload that sends anything else. Needs a SigV4 client (``s3v4``)."""
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "ContentType": content_type}
        if content_length is not None:
            params["ContentLength"] = content_length
        if metadata:
            params["Metadata"] = metadata
        try:
            return str(self._s3.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in))
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"presign put s3://{bucket}/{key}") from exc

    def presign_get(self, bucket: str, key: str, *, expires_in: int) -> str:
        try:
            return str(
                self._s3.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
                )
            )
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"presign get s3://{bucket}/{key}") from exc

    def probe(self, bucket: str, prefix: str) -> None:
        """Raise unless the bucket answers a one-key listing under ``prefix`` (what least-privilege roles may
        list)."""
        try:
            self._s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"list s3://{bucket}/{prefix}") from exc
