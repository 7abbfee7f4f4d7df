"""Least privilege: each function's own role, data actions scoped to resources, the secret for two roles."""

import json
from typing import Any

import pytest
from infra_synth import Synth

from enhancer.resources import (
    BUCKETS,
    FUNCTIONS,
    GRANTS,
    QUEUES,
    TABLES,
    dlq_name,
    resource_name,
    role_statements,
)

pytestmark = pytest.mark.infra

# Actions that AWS only grants on "*" (no resource-level permissions).
RESOURCELESS_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "textract:DetectDocumentText"}


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


def _statements(synth: Synth, key: str, action: str) -> list[dict[str, Any]]:
    return [s for s in _statements_by_role(synth).get(_role_of(synth, key), []) if action in _actions(s)]


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
    roles = [_role_of(synth, key) for key in ("extract", "extract_pages", "enrich", "validate", "api")]
    assert len(set(roles)) == 5
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
    work, results = _object_arn(synth, output_id, "work/"), _object_arn(synth, output_id, "results/")
    # A redelivered extract of an ENRICHING document reads back the manifest it wrote to work/.
    assert sorted(map(str, _allowed(synth, "extract", get))) == sorted(
        map(str, [_object_arn(synth, input_id, "incoming/"), work])
    )
    # Every step that can end a document FAILED writes its failed result, results/{document_id}.json.
    assert sorted(map(str, _allowed(synth, "extract", put))) == sorted(map(str, [work, results]))
    # Page ranges read the upload; the fan-in reads every range's pages back from work/.
    assert sorted(map(str, _allowed(synth, "extract_pages", get))) == sorted(
        map(str, [_object_arn(synth, input_id, "incoming/"), _object_arn(synth, output_id, "work/")])
    )
    assert sorted(map(str, _allowed(synth, "extract_pages", put))) == sorted(map(str, [work, results]))
    assert _allowed(synth, "enrich", get) == [work]
    assert sorted(map(str, _allowed(synth, "enrich", put))) == sorted(map(str, [work, results]))
    assert _allowed(synth, "validate", get) == [_object_arn(synth, output_id, "work/")]
    assert _allowed(synth, "validate", put) == [_object_arn(synth, output_id, "results/")]
    assert _allowed(synth, "api", put) == [_object_arn(synth, input_id, "incoming/")]
    # reprocess HEADs the uploaded object; results are read (and presigned) for the caller
    assert sorted(map(str, _allowed(synth, "api", get))) == sorted(
        map(str, [_object_arn(synth, input_id, "incoming/"), _object_arn(synth, output_id, "results/")])
    )
    for key in ("extract", "extract_pages", "enrich", "validate", "api"):
        assert _allowed(synth, key, "s3:DeleteObject") == []


def test_api_lists_only_the_prefixes_health_probes(synth: Synth) -> None:
    # Detailed health lists incoming/ in the input bucket and results/ in the output bucket, nothing wider.
    input_id, output_id = _bucket_ids(synth)
    listed = {
        statement["Resource"]["Fn::GetAtt"][0]: statement["Condition"]
        for statement in _statements(synth, "api", "s3:ListBucket")
    }
    assert listed == {
        input_id: {"StringLike": {"s3:prefix": ["incoming/*"]}},
        output_id: {"StringLike": {"s3:prefix": ["results/*"]}},
    }


def test_api_may_describe_the_documents_table_for_health(synth: Synth) -> None:
    (table_arn, *_) = _allowed(synth, "api", "dynamodb:DescribeTable")
    table = synth.resources[table_arn["Fn::GetAtt"][0]]["Properties"]["TableName"]
    assert table == resource_name(synth.stage, "documents")


def test_tables_each_step_may_touch(synth: Synth) -> None:
    def tables(key: str) -> set[str]:
        arns = _allowed(synth, key, "dynamodb:UpdateItem")
        return {
            synth.resources[a["Fn::GetAtt"][0]]["Properties"]["TableName"] for a in arns if "Fn::GetAtt" in a
        }

    name = lambda k: resource_name(synth.stage, k)  # noqa: E731
    assert tables("extract") == {name("documents"), name("idempotency")}
    assert tables("extract_pages") == {name("documents"), name("idempotency")}
    assert tables("enrich") == {name("documents"), name("cache"), name("ratelimit"), name("idempotency")}
    assert tables("validate") == {name("documents"), name("idempotency")}
    assert tables("api") == {name("documents")}


def test_queue_sends_follow_the_flow(synth: Synth) -> None:
    def sends(key: str) -> set[str]:
        arns = _allowed(synth, key, "sqs:SendMessage")
        return {synth.resources[a["Fn::GetAtt"][0]]["Properties"]["QueueName"] for a in arns}

    name = lambda k: resource_name(synth.stage, k)  # noqa: E731
    assert sends("extract") == {name("enrich"), name("pages")}  # huge documents fan out in page ranges
    assert sends("extract_pages") == {name("enrich")}  # the fan-in continues like extract
    assert sends("enrich") == {name("validate")}
    assert sends("validate") == set()
    # reprocess sends to ingest; the console's redrive moves any DLQ's messages back to its queue
    assert sends("api") == {name(q.key) for q in QUEUES}


def test_api_reads_every_queue_for_health_and_takes_messages_from_the_dlqs_only_to_redrive(
    synth: Synth,
) -> None:
    sweeper_dlq = synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, "sweeper"))
    every_queue = set(synth.of_type("AWS::SQS::Queue")) - {sweeper_dlq}  # the pipeline's queues and DLQs
    for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl"):  # GetQueueUrl: a DLQ from the redrive policy
        assert {a["Fn::GetAtt"][0] for a in _allowed(synth, "api", action)} == every_queue, action
    dlqs = {synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, q.key)) for q in QUEUES}
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):  # never from a pipeline queue
        assert {a["Fn::GetAtt"][0] for a in _allowed(synth, "api", action)} == dlqs, action


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


BEDROCK_MODEL_ARNS = [
    {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":bedrock:*::foundation-model/*"]]},
    {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":bedrock:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":inference-profile/*",
            ],
        ]
    },
]


def _bedrock_actions(synth: Synth) -> list[tuple[str, str]]:
    return [
        (role, action)
        for role, statements in _statements_by_role(synth).items()
        for s in statements
        for action in _actions(s)
        if action.startswith("bedrock:")
    ]


def test_bedrock_provider_lets_enrich_and_validate_invoke_models(bedrock_synth: Synth) -> None:
    for key in ("enrich", "validate"):
        invokable = _allowed(bedrock_synth, key, "bedrock:InvokeModel")
        assert sorted(map(str, invokable)) == sorted(map(str, BEDROCK_MODEL_ARNS)), key
    for key in ("extract", "api"):
        assert _allowed(bedrock_synth, key, "bedrock:InvokeModel") == [], key
    # Converse needs InvokeModel only: no streaming, no control-plane action.
    assert {action for _, action in _bedrock_actions(bedrock_synth)} == {"bedrock:InvokeModel"}


def test_other_providers_get_no_bedrock_permission(synth: Synth) -> None:
    assert _bedrock_actions(synth) == []


# --- the roles are exactly the grants table the local emulation enforces ------------------------------------


class _Named:
    """``ResourceArns`` naming each resource symbolically, the way ``_symbol`` reads the template."""

    partition, region, account = "<AWS::Partition>", "<AWS::Region>", "<AWS::AccountId>"

    def bucket(self, key: str) -> str:
        return f"bucket:{key}"

    def table(self, key: str) -> str:
        return f"table:{key}"

    def queue(self, key: str) -> str:
        return f"queue:{key}"

    def dead_letter_queue(self, key: str) -> str:
        return f"dlq:{key}"

    def llm_secret(self) -> str:
        return "secret"


def _symbols(synth: Synth) -> dict[str, str]:
    input_id, output_id = _bucket_ids(synth)
    symbols = {input_id: "bucket:input", output_id: "bucket:output"}
    assert {b.key for b in BUCKETS} == {"input", "output"}
    for spec in TABLES:
        symbols[synth.logical_id("AWS::DynamoDB::Table", TableName=resource_name(synth.stage, spec.key))] = (
            f"table:{spec.key}"
        )
    for spec in QUEUES:
        symbols[synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, spec.key))] = (
            f"queue:{spec.key}"
        )
        symbols[synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, spec.key))] = (
            f"dlq:{spec.key}"
        )
    (secret_id,) = synth.of_type("AWS::SecretsManager::Secret")
    symbols[secret_id] = "secret"
    symbols[synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, "sweeper"))] = "dlq:sweeper"
    return symbols


def _symbol(value: Any, symbols: dict[str, str]) -> str:
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>" if value["Ref"].startswith("AWS::") else symbols[value["Ref"]]
    if "Fn::GetAtt" in value:
        assert value["Fn::GetAtt"][1] == "Arn"
        return symbols[value["Fn::GetAtt"][0]]
    separator, parts = value["Fn::Join"]
    return str(separator).join(_symbol(p, symbols) for p in parts)


def _grants_in_template(synth: Synth, key: str) -> set[tuple[str, str, str]]:
    symbols = _symbols(synth)
    found = set()
    for statement in _statements_by_role(synth)[_role_of(synth, key)]:
        assert statement["Effect"] == "Allow"
        # The function's own log group and active tracing, added by the function construct (CDK may merge
        # the tracing actions into another statement on "*", Textract's)
        actions = {a for a in _actions(statement) if not a.startswith(("logs:", "xray:"))}
        if not actions:
            continue
        if [_symbol(r, symbols) for r in _resources(statement)] == ["dlq:sweeper"]:
            continue  # the sweeper's on-failure destination: Lambda's asynchronous invoke sends there
        condition = json.dumps(statement.get("Condition"), sort_keys=True)
        for action in actions:
            for resource in _resources(statement):
                found.add((action, _symbol(resource, symbols), condition))
    return found


def _grants_in_table(key: str, *, models: bool) -> set[tuple[str, str, str]]:
    found = set()
    # Both synths use the default OCR engine, auto: Textract on Lambda, so its grant is there.
    for statement in role_statements(key, _Named(), models=models, textract=True):
        condition = {"StringLike": {"s3:prefix": [statement.s3_prefix]}} if statement.s3_prefix else None
        for action in statement.actions:
            for resource in statement.resources:
                found.add((action, resource, json.dumps(condition, sort_keys=True)))
    return found


def test_every_function_has_one_row_of_grants() -> None:
    assert sorted(g.function for g in GRANTS) == sorted(f.key for f in FUNCTIONS)


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS])
def test_each_role_is_exactly_the_grants_table_the_local_emulation_enforces(synth: Synth, key: str) -> None:
    assert _grants_in_template(synth, key) == _grants_in_table(key, models=False)


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS])
def test_with_bedrock_each_role_is_still_exactly_the_grants_table(bedrock_synth: Synth, key: str) -> None:
    assert _grants_in_template(bedrock_synth, key) == _grants_in_table(key, models=True)
