"""A browser's upload through a presigned URL, as the console sends it, over the real emulation (HTTP): the
cross-origin PUT is preceded by a CORS preflight that carries the URL but no credentials, which S3 answers
from CORS rules without checking a signature; the PUT itself is still checked, and a refused one is
readable by the page."""

import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from enhancer.local.provision import provision
from enhancer.storage.objects import ObjectStore

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.7\n" + b"x" * 100
ORIGIN = "http://127.0.0.1:8080"


@pytest.fixture
def bucket(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return provision("presign-browser")["INPUT_BUCKET"]


def _signed_url(bucket: str, key: str) -> str:
    store = ObjectStore(boto3.session.Session().client("s3", config=Config(signature_version="s3v4")))
    return store.presign_put(
        bucket,
        key,
        content_type="application/pdf",
        expires_in=60,
        content_length=len(PDF),
        metadata={"profile": "report"},
    )


def _send(
    url: str, method: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def _exists(bucket: str, key: str) -> bool:
    return bool(boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def test_the_preflight_of_a_signed_upload_is_answered_and_the_put_is_accepted(bucket: str) -> None:
    url = _signed_url(bucket, "incoming/a/x.pdf")

    # Given the browser's preflight for the console's PUT (non-simple: a PDF Content-Type and metadata)
    status, headers = _send(
        url,
        "OPTIONS",
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type,x-amz-meta-profile",
        },
    )
    # Then it is answered with CORS headers, not refused for the OPTIONS method the URL was not signed for
    assert status == 200
    assert headers.get("Access-Control-Allow-Origin") in ("*", ORIGIN)
    assert not _exists(bucket, "incoming/a/")

    # When the PUT follows with exactly what was signed, Then it lands
    put_headers = {"Origin": ORIGIN, "Content-Type": "application/pdf", "x-amz-meta-profile": "report"}
    assert _send(url, "PUT", put_headers, PDF)[0] == 200
    assert _exists(bucket, "incoming/a/x.pdf")


def test_a_browser_put_that_differs_from_what_was_signed_is_refused_readably(bucket: str) -> None:
    url = _signed_url(bucket, "incoming/b/x.pdf")

    status, headers = _send(
        url, "PUT", {"Origin": ORIGIN, "Content-Type": "application/pdf", "x-amz-meta-profile": "x"}, PDF
    )

    assert status == 403
    assert headers.get("Access-Control-Allow-Origin") == "*"  # the page can read the refusal
    assert not _exists(bucket, "incoming/b/")


def test_an_options_request_without_a_preflight_is_still_checked(bucket: str) -> None:
    url = _signed_url(bucket, "incoming/c/x.pdf")

    assert _send(url, "OPTIONS", {})[0] == 403


def test_metadata_nobody_signed_is_refused(bucket: str) -> None:
    # Given a URL signed without metadata (an upload without a profile)
    store = ObjectStore(boto3.session.Session().client("s3", config=Config(signature_version="s3v4")))
    url = store.presign_put(bucket, "incoming/d/x.pdf", content_type="application/pdf", expires_in=60)

    # When the PUT adds a profile of its own, Then S3's answer: AccessDenied, nothing stored
    status, _headers = _send(
        url, "PUT", {"Content-Type": "application/pdf", "x-amz-meta-profile": "nope"}, PDF
    )

    assert status == 403
    assert not _exists(bucket, "incoming/d/")
    assert _send(url, "PUT", {"Content-Type": "application/pdf"}, PDF)[0] == 200
