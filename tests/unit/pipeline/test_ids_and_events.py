import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enhancer.config import get_app_config
from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.pipeline.events import is_test_event, parse_s3_objects
from enhancer.pipeline.ids import document_id_for, resolve_profile

EVENTS = Path(__file__).resolve().parents[3] / "events"


def test_document_id_is_the_contract_hash() -> None:
    expected = hashlib.sha256(b"bkt/incoming/a.pdf:abc").hexdigest()[:32]
    assert document_id_for("bkt", "incoming/a.pdf", "abc") == expected
    assert document_id_for("bkt", "incoming/a.pdf", '"abc"') == expected  # HeadObject quotes the ETag


def test_api_uploads_carry_their_id_in_the_key() -> None:
    doc = "0123456789abcdef0123456789abcdef"
    assert document_id_for("bkt", f"incoming/{doc}/report.pdf", "etag") == doc


@given(st.text(min_size=1, max_size=40), st.text(max_size=40))
def test_document_id_is_deterministic_and_32_hex(key: str, etag: str) -> None:
    first = document_id_for("bkt", key, etag)
    assert first == document_id_for("bkt", key, etag)
    assert len(first) == 32
    assert set(first) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("metadata", "key", "expected"),
    [
        ("report", "incoming/technical_book/x.pdf", "report"),
        (" report ", "incoming/x.pdf", "report"),
        (None, "incoming/technical_book/x.pdf", "technical_book"),
        # x-amz-meta-profile is always a reference: an unknown one is kept, and extraction fails it
        ("nonsense", "incoming/academic_paper/x.pdf", "nonsense"),
        ("x" * 5000, "incoming/x.pdf", "x" * 64),
        ("  ", "incoming/report/x.pdf", "report"),
        # a first segment that spells a profile up to case and -/_ is a (mistyped) reference, kept
        (None, "incoming/Technical-Book/x.pdf", "Technical-Book"),
        (None, "incoming/REPORT/x.pdf", "REPORT"),
        # any other first segment is a folder
        (None, "incoming/unknown/x.pdf", "default"),
        (None, "incoming/2024/q1/x.pdf", "default"),
        (None, "incoming/0123456789abcdef0123456789abcdef/x.pdf", "default"),
        (None, "incoming/technical_book.pdf", "default"),
        (None, "other/technical_book/x.pdf", "default"),
    ],
)
def test_profile_resolution(metadata: str | None, key: str, expected: str, config_dir: Path) -> None:
    profiles = get_app_config(config_dir).extraction_profiles
    assert resolve_profile(metadata, key, profiles) == expected


def test_the_s3_event_in_sqs_is_parsed_and_its_key_decoded() -> None:
    record = json.loads((EVENTS / "s3_put_in_sqs.json").read_text())["Records"][0]

    (ref,) = parse_s3_objects(record)

    assert ref.bucket == "doc-enhancer-test-input"
    assert ref.key == "incoming/technical_book/My Book (2nd ed).pdf"
    assert ref.etag == "d41d8cd98f00b204e9800998ecf8427e"


def test_moto_shaped_events_without_identity_fields_still_parse() -> None:
    record = json.loads((EVENTS / "s3_put_in_sqs.json").read_text())["Records"][0]
    body = json.loads(record["body"])
    for field in ("userIdentity", "requestParameters", "responseElements"):
        del body["Records"][0][field]
    del body["Records"][0]["s3"]["bucket"]["ownerIdentity"]
    record["body"] = json.dumps(body)

    assert parse_s3_objects(record)[0].key.endswith("(2nd ed).pdf")


def test_the_test_event_is_recognised_and_other_bodies_are_not_s3_events() -> None:
    record = json.loads((EVENTS / "s3_test_event_in_sqs.json").read_text())["Records"][0]
    assert is_test_event(record["body"])
    assert not is_test_event("not json")
    record["body"] = json.dumps({"hello": "world"})
    with pytest.raises(PermanentError):
        parse_s3_objects(record)


def test_require_rejects_an_unknown_profile_with_its_code_and_the_choices(config_dir: Path) -> None:
    profiles = get_app_config(config_dir).extraction_profiles

    with pytest.raises(PermanentError) as caught:
        profiles.require("Technical-Book")

    assert caught.value.code == ErrorCode.UNKNOWN_PROFILE
    assert "did you mean 'technical_book'" in caught.value.message
    assert "one of: default, technical_book" in caught.value.message
    assert profiles.require(None)[0] == profiles.require("")[0] == "default"
    assert profiles.require("report")[0] == "report"
