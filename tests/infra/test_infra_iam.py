"""Least privilege: each function's own role, data actions scoped to resources, the secret for two roles."""

from typing import Any

import pytest
from infra_synth import Synth

from enhancer.resources import resource_name

pytestmark = pytest.mark.infra

# Actions that AWS only grants on "*" (no resource-level permissions).
RESOURCELESS_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements_by_role(synth: Synth) -> dict[str, list[dict[str, Any]]]:
    by_role: dict[str, list[dict[str, Any]]] = {}
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return by_role


def _role_of(synth: Synth, key: str) -> str:
    function_id = synth.logical_id("AWS::Lambda::Function", FunctionName=resource_name(synth.stage, key))
    return synth.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _allowed(synth: Synth, key: str, action: str) -> list[Any]:
    return [
        r
        for s in _statements_by_role(synth)[_role_of(synth, key)]
        if action in _actions(s)
        for r in _resources(s)
    ]


def _object_arn(synth: Synth, bucket_id: str, prefix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{prefix}*"]]}


def _bucket_ids(synth: Synth) -> tuple[str, str]:
    ids = [
        k for k, v in synth.of_type("AWS::S3::Bucket").items() if "LoggingConfiguration" in v["Properties"]
    ]
    input_id = next(i for i in ids if "Input" in i)
    output_id = next(i for i in ids if "Output" in i)
    return input_id, output_id


def test_every_function_has_a_role_of_its_own(synth: Synth) -> None:
    roles = [_role_of(synth, key) for key in ("extract", "enrich", "validate", "api")]
    assert len(set(roles)) == 4
    for role in roles:
        assert "ManagedPolicyArns" not in synth.resources[role]["Properties"]


def test_no_data_action_is_granted_on_every_resource(synth: Synth) -> None:
    for role, statements in _statements_by_role(synth).items():
        for statement in statements:
            if "*" in _resources(statement) and statement["Effect"] == "Allow":
                assert _actions(statement) <= RESOURCELESS_ACTIONS | {"s3:PutBucketNotification"}, role
            assert not any(a.endswith(":*") for a in _actions(statement)), (role, statement)


def test_s3_access_is_limited_to_each_steps_prefixes(synth: Synth) -> None:
    input_id, output_id = _bucket_ids(synth)
    get, put = "s3:GetObject", "s3:PutObject"
    assert _allowed(synth, "extract", get) == [_object_arn(synth, input_id, "incoming/")]
    assert _allowed(synth, "extract", put) == [_object_arn(synth, output_id, "work/")]
    assert _allowed(synth, "enrich", get) == [_object_arn(synth, output_id, "work/")]
    assert _allowed(synth, "enrich", put) == [_object_arn(synth, output_id, "work/")]
    assert _allowed(synth, "validate", get) == [_object_arn(synth, output_id, "work/")]
    assert _allowed(synth, "validate", put) == [_object_arn(synth, output_id, "results/")]
    assert _allowed(synth, "api", put) == [_object_arn(synth, input_id, "incoming/")]
    assert _allowed(synth, "api", get) == [_object_arn(synth, output_id, "results/")]
    for key in ("extract", "enrich", "validate", "api"):
        assert _allowed(synth, key, "s3:DeleteObject") == []


def test_tables_each_step_may_touch(synth: Synth) -> None:
    def tables(key: str) -> set[str]:
        arns = _allowed(synth, key, "dynamodb:UpdateItem")
        return {
            synth.resources[a["Fn::GetAtt"][0]]["Properties"]["TableName"] for a in arns if "Fn::GetAtt" in a
        }

    name = lambda k: resource_name(synth.stage, k)  # noqa: E731
    assert tables("extract") == {name("documents"), name("idempotency")}
    assert tables("enrich") == {name("documents"), name("cache"), name("ratelimit"), name("idempotency")}
    assert tables("validate") == {name("documents"), name("idempotency")}
    assert tables("api") == {name("documents")}


def test_queue_sends_follow_the_flow(synth: Synth) -> None:
    def sends(key: str) -> set[str]:
        arns = _allowed(synth, key, "sqs:SendMessage")
        return {synth.resources[a["Fn::GetAtt"][0]]["Properties"]["QueueName"] for a in arns}

    name = lambda k: resource_name(synth.stage, k)  # noqa: E731
    assert sends("extract") == {name("enrich")}
    assert sends("enrich") == {name("validate")}
    assert sends("validate") == set()
    assert sends("api") == {name("ingest")}  # reprocess


def test_api_reads_attributes_of_every_queue_and_dlq_for_health(synth: Synth) -> None:
    arns = _allowed(synth, "api", "sqs:GetQueueAttributes")
    assert {a["Fn::GetAtt"][0] for a in arns} == set(synth.of_type("AWS::SQS::Queue"))
    assert _allowed(synth, "api", "sqs:ReceiveMessage") == []


def test_secret_read_is_granted_to_enrich_and_validate_only(synth: Synth) -> None:
    (secret_id,) = synth.of_type("AWS::SecretsManager::Secret")
    readers = {
        role
        for role, statements in _statements_by_role(synth).items()
        for s in statements
        if "secretsmanager:GetSecretValue" in _actions(s)
    }
    assert readers == {_role_of(synth, "enrich"), _role_of(synth, "validate")}
    for key in ("enrich", "validate"):
        assert _allowed(synth, key, "secretsmanager:GetSecretValue") == [{"Ref": secret_id}]
