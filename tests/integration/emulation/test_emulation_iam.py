"""IAM enforced locally: a handler's AWS calls are checked against its function's CDK role statements."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from enhancer import resources
from enhancer.local import iam
from enhancer.local.functions import invoke, sqs_event
from enhancer.local.provision import provision
from enhancer.local.session import RunOptions, run_local
from enhancer.loops import thread_map
from enhancer.models import DocumentStatus
from enhancer.pipeline.context import build_pipeline
from enhancer.pipeline.ids import document_id_for
from enhancer.settings import get_settings
from tests.reliability.harness import clear_caches, small_pdf

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = provision("iam")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    iam.install()
    return env


def _as(function_key: str) -> iam.Invocation:
    return iam.Invocation.of(function_key, timeout_s=60)


def _record_denials(monkeypatch: pytest.MonkeyPatch) -> list[iam.Need]:
    """Every call a role refuses from now on, whichever invocation made it."""
    denied: list[iam.Need] = []
    original = iam.Invocation.of

    def recording(function_key: str, *, timeout_s: float) -> iam.Invocation:
        invocation = original(function_key, timeout_s=timeout_s)
        invocation.denied = denied
        return invocation

    monkeypatch.setattr(iam.Invocation, "of", staticmethod(recording))
    return denied


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_prefix_scoped_object_grants_are_enforced(stack: dict[str, str]) -> None:
    s3: Any = boto3.client("s3")
    output, input_ = stack["OUTPUT_BUCKET"], stack["INPUT_BUCKET"]
    s3.put_object(Bucket=input_, Key="incoming/a.pdf", Body=b"%PDF")  # the operator's call: not checked
    with iam.acting_as(_as("extract")):
        assert s3.get_object(Bucket=input_, Key="incoming/a.pdf")["Body"].read() == b"%PDF"
        s3.put_object(Bucket=output, Key="work/d/chapters/0.json", Body=b"{}")
        s3.put_object(Bucket=output, Key="results/d.json", Body=b"{}")  # the failed result
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket=input_, Key="incoming/b.pdf", Body=b"x")
        assert _code(denied) == "AccessDenied"
        with pytest.raises(ClientError) as denied:
            s3.get_object(Bucket=output, Key="results/d.json")
        assert _code(denied) == "AccessDenied"
        with pytest.raises(ClientError):
            s3.delete_object(Bucket=output, Key="work/d/chapters/0.json")
    with iam.acting_as(_as("validate")):
        # ListBucket carries an s3:prefix condition: work/ is listable, the bucket root is not
        s3.list_objects_v2(Bucket=output, Prefix="work/d/")
        with pytest.raises(ClientError) as denied:
            s3.list_objects_v2(Bucket=output)
        assert _code(denied) == "AccessDenied"


def test_calls_spread_over_threads_keep_the_invocations_role(stack: dict[str, str]) -> None:
    # extract writes a document's chapters, and validate reads them, on a few threads (thread_map)
    s3: Any = boto3.client("s3")
    keys = ["incoming/a.pdf", "incoming/b.pdf", "incoming/c.pdf"]
    with iam.acting_as(_as("extract")), pytest.raises(ClientError) as denied:
        thread_map(lambda key: s3.put_object(Bucket=stack["INPUT_BUCKET"], Key=key, Body=b"x"), keys)
    assert _code(denied) == "AccessDenied"


def test_tables_indexes_queues_and_secrets_are_enforced(stack: dict[str, str]) -> None:
    ddb: Any = boto3.client("dynamodb")
    sqs: Any = boto3.client("sqs")
    with iam.acting_as(_as("api")):
        ddb.query(
            TableName=stack["DOCUMENTS_TABLE"],
            IndexName="status-index",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "COMPLETED"}},
        )
        with pytest.raises(ClientError) as denied:
            ddb.get_item(TableName=stack["CACHE_TABLE"], Key={"cache_key": {"S": "k"}})
        assert _code(denied) == "AccessDeniedException"
        sqs.get_queue_attributes(QueueUrl=stack["ENRICH_QUEUE_URL"], AttributeNames=["All"])  # health
        with pytest.raises(ClientError) as denied:
            sqs.receive_message(QueueUrl=stack["ENRICH_QUEUE_URL"])
        assert _code(denied) == "AccessDenied"
    with iam.acting_as(_as("extract")):
        sqs.send_message(QueueUrl=stack["ENRICH_QUEUE_URL"], MessageBody="{}")
        with pytest.raises(ClientError):
            sqs.send_message(QueueUrl=stack["VALIDATE_QUEUE_URL"], MessageBody="{}")
        with pytest.raises(ClientError) as denied:
            boto3.client("secretsmanager").get_secret_value(SecretId="doc-enhancer/iam/llm-api-keys")
        assert _code(denied) == "AccessDeniedException"
    # The operator (no invocation in this thread) is not restricted.
    assert sqs.receive_message(QueueUrl=stack["ENRICH_QUEUE_URL"]).get("Messages")


def test_clients_of_new_sessions_are_checked_too(stack: dict[str, str]) -> None:
    # Powertools (idempotency, parameters) and the api build clients from their own boto3 sessions.
    s3: Any = boto3.session.Session().client("s3")
    with iam.acting_as(_as("enrich")), pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=stack["INPUT_BUCKET"], Key="incoming/x.pdf", Body=b"x")
    assert _code(denied) == "AccessDenied"


def test_every_denial_is_recorded_with_its_action_and_resource(stack: dict[str, str]) -> None:
    invocation = _as("validate")
    with iam.acting_as(invocation), pytest.raises(ClientError):
        boto3.client("sqs").send_message(QueueUrl=stack["ENRICH_QUEUE_URL"], MessageBody="{}")
    (need,) = invocation.denied
    assert need.action == "sqs:SendMessage"
    assert need.resource.endswith(":doc-enhancer-iam-enrich")


def test_a_missing_grant_is_access_denied_and_the_result_is_never_written(
    aws_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given extract's role without the grant to write the failed result (what the stack had before)
    extract = resources.grants("extract")
    without = extract.model_copy(
        update={"objects": tuple(o for o in extract.objects if o.prefix != resources.RESULTS_PREFIX)}
    )
    monkeypatch.setattr(resources, "GRANTS", tuple(without if g is extract else g for g in resources.GRANTS))
    iam._role_of.cache_clear()
    (tmp_path / "notes.pdf").write_bytes(b"just text, not a PDF")
    denied = _record_denials(monkeypatch)

    # When a bad input goes through the pipeline
    (summary,) = run_local(
        [tmp_path / "notes.pdf"],
        RunOptions(out_dir=tmp_path / "out", endpoint_url=aws_endpoint, stage="denied", stall_timeout_s=30),
    )

    # Then writing its failed result was denied, as on AWS: the status (written first) says FAILED, but the
    # result object the API serves was never written
    assert any(n.action == "s3:PutObject" and "/results/" in n.resource for n in denied), denied
    assert (summary.status, summary.error_code) == ("FAILED", "NOT_A_PDF")
    listed = boto3.client("s3", endpoint_url=aws_endpoint).list_objects_v2(
        Bucket="doc-enhancer-denied-output", Prefix=resources.RESULTS_PREFIX
    )
    assert listed.get("KeyCount", 0) == 0, listed.get("Contents")
    iam._role_of.cache_clear()


def test_with_the_grant_the_same_input_ends_failed_with_its_code(aws_endpoint: str, tmp_path: Path) -> None:
    (tmp_path / "notes.pdf").write_bytes(b"just text, not a PDF")
    (summary,) = run_local(
        [tmp_path / "notes.pdf"],
        RunOptions(out_dir=tmp_path / "out", endpoint_url=aws_endpoint, stage="granted"),
    )
    assert (summary.status, summary.error_code) == ("FAILED", "NOT_A_PDF")
    assert json.loads((tmp_path / "out" / "notes.json").read_text())["error_code"] == "NOT_A_PDF"


def test_a_fresh_doc_enhancer_run_enforces_the_roles(aws_endpoint: str, tmp_path: Path) -> None:
    # In a new process, as a user runs it: nothing imported or installed beforehand by other tests.
    (tmp_path / "notes.pdf").write_bytes(b"just text, not a PDF")
    script = f"""
import sys
from pathlib import Path
from enhancer import resources
from enhancer.local.session import RunError, RunOptions, run_local
extract = resources.grants("extract")
without = extract.model_copy(update={{"objects": extract.objects[:-1]}})
assert extract.objects[-1].prefix == resources.RESULTS_PREFIX
resources.GRANTS = tuple(without if g is extract else g for g in resources.GRANTS)
try:
    options = RunOptions(out_dir=Path({str(tmp_path / "out")!r}), endpoint_url={aws_endpoint!r},
                         stage="fresh", stall_timeout_s=3, log_level="WARNING")
    (s,) = run_local([Path({str(tmp_path / "notes.pdf")!r})], options)
    print("ENDED", s.status, s.error_code)
except RunError as exc:
    print("STALLED", exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "s3:PutObject on resource: arn:aws:s3:::doc-enhancer-fresh-output/results/" in done.stderr


def test_compound_calls_need_every_permission_they_touch() -> None:
    region, account = "us-east-1", "123456789012"
    transact = iam.needs(
        "dynamodb",
        "TransactWriteItems",
        {"TransactItems": [{"Update": {"TableName": "docs"}}, {"ConditionCheck": {"TableName": "idem"}}]},
        region,
        account,
    )
    assert [(n.action, n.resource.rsplit("/", 1)[-1]) for n in transact] == [
        ("dynamodb:UpdateItem", "docs"),
        ("dynamodb:ConditionCheckItem", "idem"),
    ]
    (batch,) = iam.needs("sqs", "SendMessageBatch", {"QueueUrl": "http://h/1/q", "Entries": []}, region, "1")
    assert (batch.action, batch.resource) == ("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")
    (head,) = iam.needs("s3", "HeadObject", {"Bucket": "b", "Key": "work/x"}, region, account)
    assert (head.action, head.resource) == ("s3:GetObject", "arn:aws:s3:::b/work/x")
    (model,) = iam.needs("bedrock-runtime", "Converse", {"modelId": "us.anthropic.claude"}, region, account)
    assert model.resource == f"arn:aws:bedrock:{region}:{account}:inference-profile/us.anthropic.claude"


def test_iam_wildcards_and_conditions_match_like_aws() -> None:
    statements = [
        resources.Statement(actions=("s3:GetObject",), resources=("arn:aws:s3:::b/work/*",)),
        resources.Statement(actions=("s3:ListBucket",), resources=("arn:aws:s3:::b",), s3_prefix="work/*"),
    ]
    assert iam.allows(
        statements, iam.Need("S3:getobject", "arn:aws:s3:::b/work/d/0.json")
    )  # actions: any case
    assert not iam.allows(statements, iam.Need("s3:GetObject", "arn:aws:s3:::b/results/d.json"))
    assert not iam.allows(statements, iam.Need("s3:GetObject", "arn:aws:s3:::bb/work/d.json"))
    assert iam.allows(statements, iam.Need("s3:ListBucket", "arn:aws:s3:::b", s3_prefix="work/d/"))
    assert not iam.allows(statements, iam.Need("s3:ListBucket", "arn:aws:s3:::b", s3_prefix=""))
    assert not iam.allows(statements, iam.Need("s3:ListBucket", "arn:aws:s3:::b"))  # HeadBucket: no prefix


def _extracted(stack: dict[str, str], key: str) -> tuple[str, dict[str, Any], str]:
    """A 3-page PDF uploaded to ``key`` and extracted by the extract handler: its document id, the ingest
    message and the ingest queue's ARN (queues emptied first, clients and caches fresh)."""
    clear_caches()
    s3: Any = boto3.client("s3")
    sqs: Any = boto3.client("sqs")
    for spec in resources.QUEUES:  # the s3:TestEvent that setting up the notification sent
        sqs.purge_queue(QueueUrl=stack[spec.env_var])
    etag = s3.put_object(Bucket=stack["INPUT_BUCKET"], Key=key, Body=small_pdf(3))["ETag"]
    queue = stack["INGEST_QUEUE_URL"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, AttributeNames=["All"])["Messages"]
    assert invoke("extract", sqs_event([message], arn)) == {"batchItemFailures": []}
    return document_id_for(stack["INPUT_BUCKET"], key, etag), message, arn


def test_a_retried_extract_of_an_enriching_document_may_read_its_manifest(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the fault-proxy run once IAM was enforced: extract's role could write work/ but not read it,
    # so a redelivered extract of an ENRICHING document (its idempotency record gone with a failed
    # invocation) could not re-send the enrich messages from its manifest, and failed the document.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    document_id, message, arn = _extracted(stack, "incoming/retried.pdf")
    sqs: Any = boto3.client("sqs")
    pipeline = build_pipeline(get_settings())
    assert pipeline.documents.get(document_id).status == DocumentStatus.ENRICHING  # type: ignore[union-attr]
    ddb: Any = boto3.client("dynamodb")
    table = stack["IDEMPOTENCY_TABLE"]
    for item in ddb.scan(TableName=table)["Items"]:
        ddb.delete_item(TableName=table, Key={"id": item["id"]})
    denied = _record_denials(monkeypatch)

    # When the same message is delivered again
    assert invoke("extract", sqs_event([message], arn)) == {"batchItemFailures": []}

    # Then the role allowed every call, the document is still ENRICHING, and its enrich messages went again
    assert denied == []
    assert pipeline.documents.get(document_id).status == DocumentStatus.ENRICHING  # type: ignore[union-attr]
    depth = sqs.get_queue_attributes(QueueUrl=stack["ENRICH_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
    assert int(depth["ApproximateNumberOfMessages"]) == 2 * 3  # each of the 3 chapters' messages, twice
    clear_caches()


def test_the_chapters_of_an_enrich_batch_run_under_enrichs_role(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch's chapters run on the enrich handler's thread pool; the invocation's role must go with
    # them. Found in session 5: the pool's threads ran as nobody, so enrich's calls went unchecked.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    _extracted(stack, "incoming/chapters.pdf")
    sqs: Any = boto3.client("sqs")
    enrich_queue = stack["ENRICH_QUEUE_URL"]
    enrich_arn = sqs.get_queue_attributes(QueueUrl=enrich_queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    chapters = sqs.receive_message(
        QueueUrl=enrich_queue, MaxNumberOfMessages=5, WaitTimeSeconds=5, AttributeNames=["All"]
    )["Messages"]
    # Given enrich's role without its read of work/, where the chapters wait
    enrich = resources.grants("enrich")
    without = enrich.model_copy(
        update={
            "objects": tuple(
                o.model_copy(update={"read": False}) if o.prefix == resources.WORK_PREFIX else o
                for o in enrich.objects
            )
        }
    )
    monkeypatch.setattr(resources, "GRANTS", tuple(without if g is enrich else g for g in resources.GRANTS))
    iam._role_of.cache_clear()
    denied = _record_denials(monkeypatch)
    try:
        # When the batch is invoked
        invoke("enrich", sqs_event(chapters, enrich_arn))
    finally:
        iam._role_of.cache_clear()

    # Then every chapter's read of its text was refused, as enrich's
    reads = {n.resource for n in denied if n.action == "s3:GetObject" and "/work/" in n.resource}
    assert len(reads) == len(chapters), denied
