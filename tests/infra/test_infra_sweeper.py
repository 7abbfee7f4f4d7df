"""The sweeper on AWS: a schedule, its own DLQ for sweeps that failed, least privilege (DLQs peeked, never
emptied), and the stalled-documents alarm."""

from typing import Any

import pytest
from infra_synth import Synth

from enhancer.observability import METRICS_NAMESPACE, MetricName
from enhancer.resources import QUEUES, dlq_name, function, resource_name
from enhancer.storage.documents import STATUS_INDEX

pytestmark = pytest.mark.infra


def _sweeper_id(synth: Synth) -> str:
    return synth.logical_id("AWS::Lambda::Function", FunctionName=resource_name(synth.stage, "sweeper"))


def _dlq_id(synth: Synth) -> str:
    return synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, "sweeper"))


def _statements(synth: Synth) -> list[dict[str, Any]]:
    role = synth.resources[_sweeper_id(synth)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _allowed(synth: Synth, action: str) -> list[Any]:
    return [r for s in _statements(synth) if action in _actions(s) for r in _resources(s)]


def _queue_arns(synth: Synth, *, dlqs: bool) -> list[dict[str, Any]]:
    names = [dlq_name(synth.stage, q.key) if dlqs else resource_name(synth.stage, q.key) for q in QUEUES]
    return [{"Fn::GetAtt": [synth.logical_id("AWS::SQS::Queue", QueueName=n), "Arn"]} for n in names]


def test_a_schedule_invokes_the_sweeper_every_five_minutes_with_a_dlq_for_undelivered_sweeps(
    synth: Synth,
) -> None:
    (rule,) = synth.template.find_resources(
        "AWS::Events::Rule", {"Properties": {"Name": resource_name(synth.stage, "sweep")}}
    ).values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_sweeper_id(synth), "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [_dlq_id(synth), "Arn"]}}
    (permission,) = [
        p["Properties"]
        for p in synth.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [_sweeper_id(synth), "Arn"]}
    ]
    assert permission["Principal"] == "events.amazonaws.com"


def test_sweeps_never_overlap_and_a_failed_one_lands_in_the_sweeper_dlq(synth: Synth) -> None:
    props = synth.resources[_sweeper_id(synth)]["Properties"]
    assert props["ReservedConcurrentExecutions"] == 1
    assert props["Timeout"] == function("sweeper").timeout_s
    (config,) = [
        c["Properties"]
        for c in synth.of_type("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": _sweeper_id(synth)}
    ]
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [_dlq_id(synth), "Arn"]}
    assert config["MaximumRetryAttempts"] == 0  # the next sweep is the retry


def test_the_sweeper_peeks_at_every_dlq_and_never_deletes_or_sends_a_pipeline_message(synth: Synth) -> None:
    dlqs = _queue_arns(synth, dlqs=True)
    for action in ("sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"):
        allowed = _allowed(synth, action)
        assert all(a in allowed for a in dlqs), action
        assert all(a in [*dlqs, {"Fn::GetAtt": [_dlq_id(synth), "Arn"]}] for a in allowed), action
    # every pipeline queue's settings and depth (the maximum times, the backlog check)
    attributes = _allowed(synth, "sqs:GetQueueAttributes")
    assert all(a in attributes for a in _queue_arns(synth, dlqs=False) + dlqs)
    assert _allowed(synth, "sqs:DeleteMessage") == []
    assert _allowed(synth, "sqs:SendMessage") == [{"Fn::GetAtt": [_dlq_id(synth), "Arn"]}]  # its own DLQ


def test_the_sweeper_reads_and_fails_documents_and_writes_only_failed_results(synth: Synth) -> None:
    table = {
        "Fn::GetAtt": [
            synth.logical_id("AWS::DynamoDB::Table", TableName=resource_name(synth.stage, "documents")),
            "Arn",
        ]
    }
    dynamo = {a for s in _statements(synth) for a in _actions(s) if a.startswith("dynamodb:")}
    assert dynamo == {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"}
    assert _allowed(synth, "dynamodb:GetItem") == [table]
    assert _allowed(synth, "dynamodb:Query") == [{"Fn::Join": ["", [table, f"/index/{STATUS_INDEX}"]]}]
    s3 = {a for s in _statements(synth) for a in _actions(s) if a.startswith("s3:")}
    assert s3 == {"s3:PutObject"}
    (results,) = _allowed(synth, "s3:PutObject")
    assert results["Fn::Join"][1][1] == "/results/*"


def test_documents_past_their_steps_maximum_time_alarm(synth: Synth) -> None:
    alarm = synth.resources[
        synth.logical_id("AWS::CloudWatch::Alarm", AlarmName=f"doc-enhancer-{synth.stage}-documents-stalled")
    ]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (METRICS_NAMESPACE, MetricName.DOCUMENTS_STALLED)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "doc-enhancer"}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        0,
        "GreaterThanThreshold",
    )
    assert alarm["AlarmActions"]


def test_a_failed_sweep_alarms(synth: Synth) -> None:
    alarm = synth.resources[
        synth.logical_id(
            "AWS::CloudWatch::Alarm", AlarmName=f"doc-enhancer-{synth.stage}-sweeper-dlq-not-empty"
        )
    ]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [_dlq_id(synth), "QueueName"]}}
    ]
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", 0)
