"""Buckets and tables: the S3 → ingest notification, TLS-only, versioned, lifecycle, PITR, TTL, the GSI."""

import pytest
from infra_synth import Synth

from enhancer.resources import INCOMING_PREFIX, PDF_KEY_SUFFIXES, TABLES, WORK_PREFIX, resource_name

pytestmark = pytest.mark.infra


def _data_buckets(synth: Synth) -> dict[str, dict]:
    return {
        k: v for k, v in synth.of_type("AWS::S3::Bucket").items() if "LoggingConfiguration" in v["Properties"]
    }


def test_uploads_under_incoming_pdf_notify_the_ingest_queue_whatever_the_case_of_pdf(synth: Synth) -> None:
    # S3 suffix filters are case-sensitive: one rule per spelling, so REPORT.PDF and x.Pdf are processed too.
    ingest = synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, "ingest"))
    (notification,) = synth.of_type("Custom::S3BucketNotifications").values()
    configs = notification["Properties"]["NotificationConfiguration"]["QueueConfigurations"]

    suffixes = set()
    for queue_config in configs:
        assert queue_config["QueueArn"] == {"Fn::GetAtt": [ingest, "Arn"]}
        assert queue_config["Events"] == ["s3:ObjectCreated:*"]
        rules = {r["Name"]: r["Value"] for r in queue_config["Filter"]["Key"]["FilterRules"]}
        assert rules["prefix"] == INCOMING_PREFIX
        suffixes.add(rules["suffix"])
    assert len(configs) == 8
    assert suffixes == set(PDF_KEY_SUFFIXES)
    assert {".pdf", ".PDF", ".Pdf"} <= suffixes
    assert {s.lower() for s in suffixes} == {".pdf"}


def test_data_buckets_are_private_encrypted_versioned_and_logged(synth: Synth) -> None:
    buckets = _data_buckets(synth)
    assert len(buckets) == 2  # input and output
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        (sse,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert "DestinationBucketName" in props["LoggingConfiguration"]
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in r for r in rules)


def test_work_files_expire_and_results_are_kept(synth: Synth) -> None:
    rules = [
        r for b in _data_buckets(synth).values() for r in b["Properties"]["LifecycleConfiguration"]["Rules"]
    ]
    expiring = [r for r in rules if "ExpirationInDays" in r]
    assert [r.get("Prefix") for r in expiring] == [WORK_PREFIX]


def test_every_bucket_policy_denies_requests_without_tls(synth: Synth) -> None:
    bucket_ids = set(synth.of_type("AWS::S3::Bucket"))
    policies = synth.of_type("AWS::S3::BucketPolicy").values()
    covered = set()
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        tls = [
            s
            for s in statements
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        if tls:
            assert tls[0]["Action"] == "s3:*"
            covered.add(policy["Properties"]["Bucket"]["Ref"])
    assert covered == bucket_ids


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.key)
def test_tables_match_the_resource_description(synth: Synth, spec) -> None:
    logical_id = synth.logical_id("AWS::DynamoDB::Table", TableName=resource_name(synth.stage, spec.key))
    props = synth.resources[logical_id]["Properties"]

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    keys = {k["KeyType"]: k["AttributeName"] for k in props["KeySchema"]}
    assert keys == {"HASH": spec.partition_key, **({"RANGE": spec.sort_key} if spec.sort_key else {})}
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
    assert set(gsis) == {g.name for g in spec.gsis}
    for gsi in spec.gsis:
        schema = {k["KeyType"]: k["AttributeName"] for k in gsis[gsi.name]["KeySchema"]}
        assert schema == {"HASH": gsi.partition_key, "RANGE": gsi.sort_key}
        assert gsis[gsi.name]["Projection"] == {"ProjectionType": "ALL"}


def test_documents_table_can_be_listed_by_status(synth: Synth) -> None:
    logical_id = synth.logical_id("AWS::DynamoDB::Table", TableName=resource_name(synth.stage, "documents"))
    (gsi,) = synth.resources[logical_id]["Properties"]["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "status-index"
    assert gsi["KeySchema"][0] == {"AttributeName": "status", "KeyType": "HASH"}


def test_only_the_input_bucket_takes_browser_puts_and_only_from_the_consoles_origins(synth: Synth) -> None:
    # doc-enhancer console --stage serves the page on the operator's machine: its presigned PUT is
    # cross-origin
    cors = {k: v["Properties"].get("CorsConfiguration") for k, v in _data_buckets(synth).items()}
    (input_id,) = [k for k, v in cors.items() if v]
    assert "Input" in input_id
    (rule,) = cors[input_id]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["AllowedOrigins"] == ["http://127.0.0.1:8090", "http://localhost:8090"]
