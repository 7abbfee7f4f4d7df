"""The runbook's alarms (metric, statistic, threshold) → SNS, and the pipeline dashboard."""

import json
from typing import Any

import pytest
from infra_synth import Synth

from enhancer.observability import METRICS_NAMESPACE, MetricName
from enhancer.resources import FUNCTIONS, QUEUES, dlq_name, resource_name

pytestmark = pytest.mark.infra

SERVICE_DIMENSION = [{"Name": "service", "Value": "doc-enhancer"}]


def _alarm(synth: Synth, name: str) -> dict[str, Any]:
    return synth.resources[
        synth.logical_id("AWS::CloudWatch::Alarm", AlarmName=f"doc-enhancer-{synth.stage}-{name}")
    ]["Properties"]


def _metric_stat(alarm: dict[str, Any], metric_id: str) -> dict[str, Any]:
    return next(m["MetricStat"] for m in alarm["Metrics"] if m["Id"] == metric_id)


@pytest.mark.parametrize(("level", "threshold"), [("warning", 5), ("critical", 10)])
def test_llm_error_rate_is_errors_over_calls_in_percent(synth: Synth, level: str, threshold: int) -> None:
    alarm = _alarm(synth, f"llm-error-rate-{level}")
    (expression,) = [m for m in alarm["Metrics"] if m.get("ReturnData", True) and "Expression" in m]
    assert expression["Expression"] == "IF(calls > 0, 100 * errors / calls, 0)"
    for metric_id, name in (("errors", MetricName.LLM_ERRORS), ("calls", MetricName.LLM_CALLS)):
        stat = _metric_stat(alarm, metric_id)
        assert stat["Metric"] == {
            "Namespace": METRICS_NAMESPACE,
            "MetricName": name,
            "Dimensions": SERVICE_DIMENSION,
        }
        assert stat["Stat"] == "Sum"
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize(("level", "threshold_ms"), [("warning", 5_000), ("critical", 30_000)])
def test_llm_latency_p90_in_milliseconds(synth: Synth, level: str, threshold_ms: int) -> None:
    alarm = _alarm(synth, f"llm-latency-p90-{level}")
    assert (alarm["Namespace"], alarm["MetricName"]) == (METRICS_NAMESPACE, "LLMLatency")
    assert alarm["Dimensions"] == SERVICE_DIMENSION
    assert alarm["ExtendedStatistic"] == "p90"
    assert alarm["Threshold"] == threshold_ms
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize(("level", "threshold"), [("warning", 100), ("critical", 500)])
def test_enrich_queue_depth(synth: Synth, level: str, threshold: int) -> None:
    alarm = _alarm(synth, f"enrich-queue-depth-{level}")
    queue_id = synth.logical_id("AWS::SQS::Queue", QueueName=resource_name(synth.stage, "enrich"))
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", threshold)


@pytest.mark.parametrize("key", [q.key for q in QUEUES])
def test_any_message_in_a_dlq_alarms(synth: Synth, key: str) -> None:
    alarm = _alarm(synth, f"{key}-dlq-not-empty")
    dlq_id = synth.logical_id("AWS::SQS::Queue", QueueName=dlq_name(synth.stage, key))
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        0,
        "GreaterThanThreshold",
    )


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS])
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_alarms_on_errors_and_throttles(synth: Synth, key: str, metric: str) -> None:
    alarm = _alarm(synth, f"{key}-{metric.lower()}")
    function_id = synth.logical_id("AWS::Lambda::Function", FunctionName=resource_name(synth.stage, key))
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 0)


def test_every_alarm_notifies_the_alert_topic(synth: Synth) -> None:
    (topic_id,) = synth.of_type("AWS::SNS::Topic")
    alarms = synth.of_type("AWS::CloudWatch::Alarm").values()
    assert alarms
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_alert_topic_is_encrypted_and_mails_the_context_address(synth: Synth) -> None:
    (topic_id, topic), *_ = synth.of_type("AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    (subscription,) = synth.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic_id}


def test_dashboard_shows_the_pipeline(synth: Synth) -> None:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in (
        MetricName.DOCUMENTS_COMPLETED,
        MetricName.CHAPTERS_ENRICHED,
        MetricName.LLM_LATENCY,
        MetricName.INPUT_TOKENS,
        MetricName.OUTPUT_TOKENS,
        MetricName.ESTIMATED_COST_USD,
    ):
        assert f'\\"{name}\\"' in body, name
    assert "ApproximateNumberOfMessagesVisible" in body
    assert "Errors" in body
