"""Queues, functions and event sources agree with enhancer.resources; env vars carry names, never keys."""

import pytest
from infra_synth import Synth

from enhancer.observability import METRICS_NAMESPACE, SERVICE_NAME
from enhancer.resources import (
    BUCKETS,
    FUNCTIONS,
    QUEUES,
    TABLES,
    QueueSpec,
    dlq_name,
    function,
    resource_name,
)

pytestmark = pytest.mark.infra


def _function_id(synth: Synth, key: str) -> str:
    return synth.logical_id("AWS::Lambda::Function", FunctionName=resource_name(synth.stage, key))


def _invoked(synth: Synth, key: str) -> dict:
    """What an event source names: the function, or for a SnapStart function ``<its name>:live`` (CDK takes
    the name from the alias ARN)."""
    from infra.constructs.function import LIVE_ALIAS, SNAPSTART_FUNCTIONS

    function_ref = {"Ref": _function_id(synth, key)}
    if key not in SNAPSTART_FUNCTIONS:
        return function_ref
    alias_id = synth.logical_id("AWS::Lambda::Alias", Name=LIVE_ALIAS, FunctionName=function_ref)
    return {
        "Fn::Join": ["", [{"Fn::Select": [6, {"Fn::Split": [":", {"Ref": alias_id}]}]}, f":{LIVE_ALIAS}"]]
    }


def _env(synth: Synth, key: str) -> dict:
    return synth.resources[_function_id(synth, key)]["Properties"]["Environment"]["Variables"]


@pytest.mark.parametrize("spec", QUEUES, ids=lambda s: s.key)
def test_each_queue_has_its_dlq_sse_and_six_times_the_consumer_timeout(synth: Synth, spec: QueueSpec) -> None:
    queue_id = synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, spec.key))
    dlq_id = synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, spec.key))
    queue = synth.resources[queue_id]["Properties"]

    assert queue["VisibilityTimeout"] == spec.visibility_timeout_s == 6 * function(spec.consumer).timeout_s
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    for props in (queue, synth.resources[dlq_id]["Properties"]):
        assert props["SqsManagedSseEnabled"] is True


def test_every_queue_policy_denies_requests_without_tls(synth: Synth) -> None:
    queue_ids = set(synth.of_type("AWS::SQS::Queue"))
    covered = set()
    for policy in synth.of_type("AWS::SQS::QueuePolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ):
            covered |= {q["Ref"] for q in policy["Properties"]["Queues"]}
    assert covered == queue_ids


@pytest.mark.parametrize("spec", QUEUES, ids=lambda s: s.key)
def test_event_source_reports_partial_batch_failures_with_the_spec_batch_size(
    synth: Synth, spec: QueueSpec
) -> None:
    queue_id = synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, spec.key))
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == _invoked(synth, spec.consumer)
    assert mapping["BatchSize"] == spec.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.key)
def test_functions_take_timeout_memory_and_runtime_from_the_description(synth: Synth, spec) -> None:
    props = synth.resources[_function_id(synth, spec.key)]["Properties"]
    assert props["Timeout"] == spec.timeout_s
    assert props["MemorySize"] == spec.memory_mb
    assert props["Runtime"] == "python3.12"
    assert props["Handler"] == "handler.lambda_handler"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert len(props["Layers"]) == 2  # core (enhancer + config) and third-party deps


def test_page_ranges_are_consumed_one_per_invocation_by_extract_pages(synth: Synth) -> None:
    queue_id = synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, "pages"))
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": _function_id(synth, "extract_pages")}
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (1, ["ReportBatchItemFailures"])
    # Every function can find the pages queue; only extract sends to it (see the IAM tests).
    assert _env(synth, "extract")["PAGES_QUEUE_URL"] == {"Ref": queue_id}


def test_layers_are_built_for_the_function_architecture(synth: Synth) -> None:
    layers = synth.of_type("AWS::Lambda::LayerVersion").values()
    assert {tuple(layer["Properties"]["CompatibleArchitectures"]) for layer in layers} == {("arm64",)}


def test_enrich_concurrency_is_the_llm_budget_from_context(synth: Synth) -> None:
    reserved = {
        key: synth.resources[_function_id(synth, key)]["Properties"].get("ReservedConcurrentExecutions")
        for key in ("extract", "enrich", "validate", "api")
    }
    assert reserved == {"extract": None, "enrich": synth.max_workers, "validate": None, "api": None}


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS])
def test_env_names_every_resource_by_its_env_var(synth: Synth, key: str) -> None:
    env = _env(synth, key)
    for spec in TABLES:
        table_id = synth.logical_id("AWS::DynamoDB::Table", TableName=resource_name(synth.stage, spec.key))
        assert env[spec.env_var] == {"Ref": table_id}
    for spec in QUEUES:
        queue_id = synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, spec.key))
        assert env[spec.env_var] == {"Ref": queue_id}  # Ref of a queue is its URL
    for spec in BUCKETS:
        assert set(env[spec.env_var]) == {"Ref"}
    assert env["INPUT_BUCKET"] != env["OUTPUT_BUCKET"]


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS])
def test_env_carries_settings_and_powertools_from_context(synth: Synth, key: str) -> None:
    env = _env(synth, key)
    assert env["POWERTOOLS_SERVICE_NAME"] == SERVICE_NAME
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE == "DocumentEnhancer"
    assert env["LOG_LEVEL"] == "INFO"
    assert env["STAGE"] == synth.stage
    assert (env["LLM_PROVIDER"], env["LLM_MODEL"], env["RATE_LIMIT"]) == ("openai", "gpt-test", "90")
    assert env["MAX_WORKERS"] == str(synth.max_workers)
    assert env["CACHE_ENABLED"] == "true"
    assert int(env["CACHE_TTL"]) > 0
    assert not {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"} & set(env)


def test_the_secret_arn_reaches_only_the_llm_callers_and_the_health_check(synth: Synth) -> None:
    (secret_id,) = synth.of_type("AWS::SecretsManager::Secret")
    holders = {
        key
        for key in ("extract", "extract_pages", "enrich", "validate", "api")
        if "LLM_API_KEYS_SECRET" in _env(synth, key)
    }
    # api gets the ARN without a read grant: /health/detailed reports whether keys are configured.
    assert holders == {"enrich", "validate", "api"}
    # The env var holds the secret's ARN (its Ref), accepted by Powertools parameters; never a value.
    for key in holders:
        assert _env(synth, key)["LLM_API_KEYS_SECRET"] == {"Ref": secret_id}
