"""The local S3 enforces what a presigned upload URL signs, as S3 does (moto alone does not): the
Content-Type, the size when declared, the metadata, the key, the expiry. A URL from the API over the real
emulation (HTTP), uploaded with urllib like curl would."""

import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config

from enhancer.local.provision import provision
from enhancer.storage.objects import ObjectStore

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.fixture
def bucket(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return provision("presign")["INPUT_BUCKET"]


def _presigner() -> ObjectStore:
    # A fresh session, like the API's: it signs with this process's credentials now (boto3's default
    # session may hold ones from an earlier test), the ones the emulation checks against.
    session = boto3.session.Session()
    return ObjectStore(session.client("s3", config=Config(signature_version="s3v4")))


def _put(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _exists(bucket: str, key: str) -> bool:
    return bool(boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def test_the_signed_upload_is_accepted(bucket: str) -> None:
    url = _presigner().presign_put(bucket, "incoming/a/x.pdf", content_type="application/pdf", expires_in=60)

    assert _put(url, PDF, {"Content-Type": "application/pdf"}) == 200
    assert _exists(bucket, "incoming/a/x.pdf")


@pytest.mark.parametrize(
    ("kwargs", "headers", "body"),
    [
        ({}, {"Content-Type": "text/plain"}, PDF),  # another Content-Type
        ({}, {"Content-Type": "application/pdf; charset=x"}, PDF),
        ({"content_length": len(PDF)}, {"Content-Type": "application/pdf"}, PDF + b"more"),  # another size
        ({"metadata": {"profile": "report"}}, {"Content-Type": "application/pdf"}, PDF),  # metadata missing
        (
            {"metadata": {"profile": "report"}},
            {"Content-Type": "application/pdf", "x-amz-meta-profile": "default"},
            PDF,
        ),
    ],
)
def test_an_upload_that_differs_from_what_was_signed_is_refused(
    bucket: str, kwargs: dict[str, Any], headers: dict[str, str], body: bytes
) -> None:
    url = _presigner().presign_put(
        bucket, "incoming/b/x.pdf", content_type="application/pdf", expires_in=60, **kwargs
    )

    assert _put(url, body, headers) == 403
    assert not _exists(bucket, "incoming/b/x.pdf")


def test_a_signed_url_cannot_be_pointed_at_another_key(bucket: str) -> None:
    url = _presigner().presign_put(bucket, "incoming/c/x.pdf", content_type="application/pdf", expires_in=60)

    assert (
        _put(
            url.replace("incoming/c/x.pdf", "incoming/c/other.pdf"), PDF, {"Content-Type": "application/pdf"}
        )
        == 403
    )
    assert not _exists(bucket, "incoming/c/")


def test_an_expired_url_is_refused(bucket: str) -> None:
    url = _presigner().presign_put(bucket, "incoming/d/x.pdf", content_type="application/pdf", expires_in=1)
    signed = url.split("X-Amz-Date=")[1][:16]
    old = "20200101T000000Z"
    # Re-dating the URL breaks its signature too; the expiry check answers first, like S3
    assert _put(url.replace(signed, old), PDF, {"Content-Type": "application/pdf"}) == 403


def test_sdk_calls_signed_in_headers_are_untouched(bucket: str) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key="incoming/e/x.pdf", Body=PDF, ContentType="text/plain")
    assert _exists(bucket, "incoming/e/x.pdf")
