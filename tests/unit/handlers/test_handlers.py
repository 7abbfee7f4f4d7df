import json
from typing import Any

import boto3
import pytest

from enhancer.errors import PermanentError, RetryableError
from enhancer.models import DocumentStatus, ErrorCode
from enhancer.pipeline import providers
from enhancer.pipeline.ids import document_id_for
from enhancer.providers.base import EnrichmentOutcome, EnrichmentRequest
from enhancer.storage import document_store

from .conftest import Invoke, drain, load_event, s3_event_for


def _upload(env: dict[str, str], key: str, body: bytes, profile: str | None = None) -> str:
    s3 = boto3.client("s3")
    meta = {"profile": profile} if profile else {}
    etag = s3.put_object(Bucket=env["INPUT_BUCKET"], Key=key, Body=body, Metadata=meta)["ETag"].strip('"')
    return etag


def _purge_ingest(env: dict[str, str]) -> None:
    boto3.client("sqs").purge_queue(QueueUrl=env["INGEST_QUEUE_URL"])


def _result(env: dict[str, str], doc: str) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=env["OUTPUT_BUCKET"], Key=f"results/{doc}.json")["Body"]
    return json.loads(body.read())


def _queue_depth(env: dict[str, str], name: str) -> int:
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=env[name], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def test_the_s3_test_event_is_acknowledged_and_ignored(aws: dict[str, str], invoke: Invoke) -> None:
    response = invoke("extract", load_event("s3_test_event_in_sqs.json"))

    assert response == {"batchItemFailures": []}
    assert boto3.client("dynamodb").scan(TableName=aws["DOCUMENTS_TABLE"])["Count"] == 0


def test_extract_writes_chapters_and_one_enrich_message_each_even_when_delivered_twice(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes
) -> None:
    key = "incoming/technical_book/field guide.pdf"
    etag = _upload(aws, key, sample_pdf)
    _purge_ingest(aws)
    event = s3_event_for(aws["INPUT_BUCKET"], key, etag)

    first = invoke("extract", event)
    second = invoke("extract", event)  # duplicate delivery

    assert first == second == {"batchItemFailures": []}
    doc = document_id_for(aws["INPUT_BUCKET"], key, etag)
    record = document_store(aws["DOCUMENTS_TABLE"]).get(doc)
    assert record is not None
    assert record.status == DocumentStatus.ENRICHING
    assert record.profile == "technical_book"
    assert record.chapter_count
    assert record.chapter_count > 1
    assert _queue_depth(aws, "ENRICH_QUEUE_URL") == record.chapter_count
    message = json.loads(
        boto3.client("sqs").receive_message(QueueUrl=aws["ENRICH_QUEUE_URL"])["Messages"][0]["Body"]
    )
    assert {"document_id", "chapter_index", "chapter_key"} <= set(message)
    assert "text" not in message  # pointers, never the text


@pytest.mark.parametrize(
    ("body", "code"), [(b"", ErrorCode.EMPTY_FILE), (b"hello, not a pdf", ErrorCode.NOT_A_PDF)]
)
def test_a_bad_file_ends_failed_with_its_code_and_the_input_is_kept(
    aws: dict[str, str], invoke: Invoke, body: bytes, code: ErrorCode
) -> None:
    key = "incoming/bad.pdf"
    etag = _upload(aws, key, body)
    _purge_ingest(aws)

    response = invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag))

    assert response == {"batchItemFailures": []}  # acknowledged: retrying cannot help
    doc = document_id_for(aws["INPUT_BUCKET"], key, etag)
    record = document_store(aws["DOCUMENTS_TABLE"]).get(doc)
    assert record is not None
    assert (record.status, record.error_code) == (DocumentStatus.FAILED, code)
    result = _result(aws, doc)
    assert (result["status"], result["error_code"], result["pdf"], result["chapters"]) == (
        "FAILED",
        code,
        None,
        [],
    )
    assert boto3.client("s3").get_object(Bucket=aws["INPUT_BUCKET"], Key=key)["Body"].read() == body
    assert _queue_depth(aws, "ENRICH_QUEUE_URL") == 0


class FlakyProvider:
    """The offline provider, except for chosen chapters: RetryableError or PermanentError."""

    name = "flaky"

    def __init__(self, inner: Any, retryable: set[int], permanent: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.inner, self.retryable, self.permanent = inner, retryable, permanent
        self.calls: list[int] = []

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        self.calls.append(request.chapter_index)
        if request.chapter_index in self.retryable:
            raise RetryableError("provider timed out", code=ErrorCode.LLM_UNAVAILABLE)
        if request.chapter_index in self.permanent:
            raise PermanentError("output did not fit the schema", code=ErrorCode.INVALID_LLM_OUTPUT)
        return self.inner.enrich_chapter(request)

    def reduce_document(self, request: Any) -> Any:
        return self.inner.reduce_document(request)


def _flaky(
    monkeypatch: pytest.MonkeyPatch, retryable: set[int], permanent: set[int] = frozenset()
) -> FlakyProvider:  # type: ignore[assignment]
    original = providers.provider_for
    holder: dict[str, FlakyProvider] = {}

    def build(settings: Any, config: Any) -> FlakyProvider:
        holder["p"] = FlakyProvider(original(settings, config), retryable, permanent)
        return holder["p"]

    monkeypatch.setattr(providers, "provider_for", build)
    providers._providers.clear()
    return holder  # type: ignore[return-value]


def _extract(aws: dict[str, str], invoke: Invoke, pdf: bytes) -> str:
    key = "incoming/guide.pdf"
    etag = _upload(aws, key, pdf)
    _purge_ingest(aws)
    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}
    return document_id_for(aws["INPUT_BUCKET"], key, etag)


def test_the_whole_chain_completes_and_validate_is_sent_once(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _extract(aws, invoke, sample_pdf)

    assert drain(invoke, aws, "enrich", "enrich") == []
    assert _queue_depth(aws, "VALIDATE_QUEUE_URL") == 1
    assert drain(invoke, aws, "validate", "validate") == []

    record = document_store(aws["DOCUMENTS_TABLE"]).get(doc)
    assert record is not None
    assert record.status == DocumentStatus.COMPLETED
    result = _result(aws, doc)
    assert result["status"] == "COMPLETED"
    assert result["validation"]["passed"] is True
    assert [c["index"] for c in result["chapters"]] == list(range(record.chapter_count or 0))
    # The offline provider answered every chapter in-process: no LLM call, nothing billed.
    assert {c["llm"]["provider"] for c in result["chapters"]} == {"offline"}
    assert result["usage"]["llm_calls"] == 0
    assert result["usage"]["estimated_cost_usd"] == 0
    assert result["document"]["keywords"]
    assert result["document"]["summary"]
    emitted = capsys.readouterr().out
    for metric in ("DocumentsReceived", "ChaptersEnriched", "DocumentsCompleted", "PagesExtracted"):
        assert f'"{metric}"' in emitted


def test_retryable_failures_fail_only_their_record_then_end_partial_on_the_last_receive(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = _flaky(monkeypatch, retryable={1})
    doc = _extract(aws, invoke, sample_pdf)

    failures = drain(invoke, aws, "enrich", "enrich")

    assert [json.loads(m["Body"])["chapter_index"] for m in failures] == [1]  # only that record failed
    # Given the third receive of that message, the chapter is recorded failed instead of dead-lettered.
    event = {"Records": [_as_record(failures[0], count="3")]}
    assert invoke("enrich", event) == {"batchItemFailures": []}
    assert drain(invoke, aws, "validate", "validate") == []
    result = _result(aws, doc)
    assert result["status"] == "PARTIAL"
    failed = [c for c in result["chapters"] if c["status"] == "FAILED"]
    assert [(c["index"], c["error"]["code"]) for c in failed] == [(1, "LLM_UNAVAILABLE")]
    assert holder["p"].calls.count(0) == 1  # no neighbour re-ran  # type: ignore[index]


def test_every_chapter_failing_permanently_fails_the_document(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _flaky(monkeypatch, retryable=set(), permanent=set(range(100)))
    doc = _extract(aws, invoke, sample_pdf)

    assert drain(invoke, aws, "enrich", "enrich") == []
    assert drain(invoke, aws, "validate", "validate") == []

    result = _result(aws, doc)
    assert (result["status"], result["error_code"]) == ("FAILED", "INVALID_LLM_OUTPUT")


def test_duplicate_enrich_and_validate_messages_change_nothing(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes
) -> None:
    doc = _extract(aws, invoke, sample_pdf)
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=aws["ENRICH_QUEUE_URL"], MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    event = {"Records": [_as_record(m) for m in messages]}

    assert invoke("enrich", event) == {"batchItemFailures": []}
    assert invoke("enrich", event) == {"batchItemFailures": []}  # every message delivered twice

    assert _queue_depth(aws, "VALIDATE_QUEUE_URL") == 1
    validate = sqs.receive_message(QueueUrl=aws["VALIDATE_QUEUE_URL"], AttributeNames=["All"])["Messages"]
    assert invoke("validate", {"Records": [_as_record(validate[0])]}) == {"batchItemFailures": []}
    first = _result(aws, doc)
    assert invoke("validate", {"Records": [_as_record(validate[0])]}) == {"batchItemFailures": []}
    assert _result(aws, doc) == first


def test_a_message_for_an_unknown_document_is_acknowledged(aws: dict[str, str], invoke: Invoke) -> None:
    assert invoke("enrich", load_event("enrich_sqs.json")) == {"batchItemFailures": []}
    assert invoke("validate", load_event("validate_sqs.json")) == {"batchItemFailures": []}


def _as_record(message: dict[str, Any], count: str | None = None) -> dict[str, Any]:
    from enhancer.local.functions import sqs_event

    record = sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:q")["Records"][0]
    if count:
        record["attributes"]["ApproximateReceiveCount"] = count
    return record


@pytest.mark.parametrize(
    ("key", "metadata_profile"),
    [
        ("incoming/book.pdf", "no_such_profile"),  # x-amz-meta-profile (run --profile, a hand-made upload)
        ("incoming/Technical-Book/book.pdf", None),  # a mistyped incoming/<profile>/
    ],
)
def test_an_unknown_profile_fails_the_document_unknown_profile(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, key: str, metadata_profile: str | None
) -> None:
    etag = _upload(aws, key, sample_pdf, profile=metadata_profile)
    _purge_ingest(aws)

    response = invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag))

    assert response == {"batchItemFailures": []}
    doc = document_id_for(aws["INPUT_BUCKET"], key, etag)
    record = document_store(aws["DOCUMENTS_TABLE"]).get(doc)
    assert record is not None
    assert (record.status, record.error_code) == (DocumentStatus.FAILED, ErrorCode.UNKNOWN_PROFILE)
    assert "one of: default, technical_book" in (record.error_message or "")
    result = _result(aws, doc)
    assert (result["status"], result["error_code"]) == ("FAILED", "UNKNOWN_PROFILE")
    assert _queue_depth(aws, "ENRICH_QUEUE_URL") == 0


def test_a_folder_under_incoming_that_is_no_profile_uses_the_default(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes
) -> None:
    key = "incoming/2024-reports/book.pdf"
    etag = _upload(aws, key, sample_pdf)
    _purge_ingest(aws)

    invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag))

    record = document_store(aws["DOCUMENTS_TABLE"]).get(document_id_for(aws["INPUT_BUCKET"], key, etag))
    assert record is not None
    assert (record.status, record.profile) == (DocumentStatus.ENRICHING, "default")


def _finish(aws: dict[str, str], invoke: Invoke) -> None:
    for queue_key, function_key in (("enrich", "enrich"), ("validate", "validate")):
        assert drain(invoke, aws, queue_key, function_key) == []


def test_a_new_version_under_an_api_upload_key_is_a_new_run_of_the_same_document(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes
) -> None:
    from pathlib import Path

    # Given an API upload (the id is in the key) that went all the way through
    doc = "ab" * 16
    key = f"incoming/{doc}/report.pdf"
    first_etag = _upload(aws, key, sample_pdf)
    _purge_ingest(aws)
    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, first_etag)) == {"batchItemFailures": []}
    _finish(aws, invoke)
    store = document_store(aws["DOCUMENTS_TABLE"])
    first = store.get(doc)
    assert first is not None
    assert first.status == DocumentStatus.COMPLETED
    # When the same presigned key receives another file
    other = (Path(__file__).resolve().parents[3] / "samples" / "research-paper.pdf").read_bytes()
    second_etag = _upload(aws, key, other)
    sqs = boto3.client("sqs")  # S3's own notification of it: the test hands the event over itself
    for message in sqs.receive_message(QueueUrl=aws["INGEST_QUEUE_URL"], MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        sqs.delete_message(QueueUrl=aws["INGEST_QUEUE_URL"], ReceiptHandle=message["ReceiptHandle"])
    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, second_etag)) == {"batchItemFailures": []}
    _finish(aws, invoke)
    # Then it is a new run of the same document, and the record and result describe the new file
    second = store.get(doc)
    assert second is not None
    assert (second.status, second.run, second.source_etag) == (DocumentStatus.COMPLETED, 1, second_etag)
    assert second.sha256 != first.sha256
    result = json.loads(
        boto3.client("s3").get_object(Bucket=aws["OUTPUT_BUCKET"], Key=f"results/{doc}.json")["Body"].read()
    )
    assert result["source"]["sha256"] == second.sha256


def test_a_key_put_in_the_secret_after_the_deploy_reaches_a_warm_container(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from enhancer.config import get_app_config
    from enhancer.settings import get_settings

    # Given a warm container that found no key for its provider and fell back to offline
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    config = get_app_config(None)
    assert providers.current_provider(config).name == "offline"
    # When the key arrives and the secret cache's age has passed (here: the clock moved on)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-arrived-later")
    get_settings.cache_clear()
    assert providers.current_provider(config).name == "offline"  # still within the cache age
    clock = providers.time.monotonic() + providers.SECRET_MAX_AGE_S + 1
    monkeypatch.setattr(providers.time, "monotonic", lambda: clock)
    # Then the provider is built again, with the key
    assert providers.current_provider(config).name == "openai"


def test_an_offline_run_counts_chapters_but_no_llm_requests(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enhancer.observability import metrics

    # Given the offline provider, which sends no request anywhere
    emitted: list[str] = []
    original = metrics.add_metric

    def record(name: str, *args: Any, **kwargs: Any) -> None:
        emitted.append(str(name))
        original(name, *args, **kwargs)

    monkeypatch.setattr(metrics, "add_metric", record)
    key = "incoming/metrics.pdf"
    etag = _upload(aws, key, sample_pdf)
    _purge_ingest(aws)
    # When a document goes through every step
    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}
    _finish(aws, invoke)
    # Then each chapter is counted once and no LLM request, error, token or cost is
    record_ = document_store(aws["DOCUMENTS_TABLE"]).get(document_id_for(aws["INPUT_BUCKET"], key, etag))
    assert record_ is not None
    assert record_.status == DocumentStatus.COMPLETED
    assert emitted.count("ChaptersEnriched") == record_.chapter_count
    assert not {"LLMCalls", "LLMErrors", "LLMLatency", "InputTokens", "EstimatedCostUSD"} & set(emitted)
