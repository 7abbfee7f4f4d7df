"""OCR on AWS: Textract permission for the two functions that OCR (default ``auto``), the OCR layer with
``ocr_engine=rapidocr`` instead, the engine in their environment, and the OCR latency alarms."""

from typing import Any

import pytest
from infra_synth import Synth

from enhancer.observability import METRICS_NAMESPACE
from enhancer.resources import resource_name
from infra.constants import OCR_LATENCY_P90_CRITICAL_MS, OCR_LATENCY_P90_WARNING_MS, alarm_name

pytestmark = pytest.mark.infra
OCR_FUNCTIONS = ("extract", "extract_pages")


def _function(synth: Synth, key: str) -> dict[str, Any]:
    function_id = synth.logical_id("AWS::Lambda::Function", FunctionName=resource_name(synth.stage, key))
    return synth.resources[function_id]


def _textract_roles(synth: Synth) -> set[str]:
    roles = set()
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "textract:DetectDocumentText" in actions:
                assert statement["Resource"] == "*"
                roles |= {role["Ref"] for role in policy["Properties"]["Roles"]}
    return roles


def _role(synth: Synth, key: str) -> str:
    role: str = _function(synth, key)["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def test_only_the_functions_that_ocr_may_call_textract(synth: Synth) -> None:
    assert _textract_roles(synth) == {_role(synth, key) for key in OCR_FUNCTIONS}
    for key in OCR_FUNCTIONS:
        assert _function(synth, key)["Properties"]["Environment"]["Variables"]["OCR_ENGINE"] == "auto"


def test_textract_needs_no_ocr_layer(synth: Synth) -> None:
    layers = synth.of_type("AWS::Lambda::LayerVersion")
    assert not [k for k, v in layers.items() if "RapidOCR" in v["Properties"].get("Description", "")]
    for key in OCR_FUNCTIONS:
        assert len(_function(synth, key)["Properties"]["Layers"]) == 2


def test_rapidocr_adds_its_layer_to_the_ocr_functions_only(rapidocr_synth: Synth) -> None:
    layers = rapidocr_synth.of_type("AWS::Lambda::LayerVersion")
    (ocr_layer,) = [k for k, v in layers.items() if "RapidOCR" in v["Properties"].get("Description", "")]
    for key in ("extract", "extract_pages", "enrich", "validate", "api"):
        refs = [ref["Ref"] for ref in _function(rapidocr_synth, key)["Properties"]["Layers"]]
        assert (ocr_layer in refs) == (key in OCR_FUNCTIONS), key
    assert _textract_roles(rapidocr_synth) == set()
    env = _function(rapidocr_synth, "extract")["Properties"]["Environment"]["Variables"]
    assert env["OCR_ENGINE"] == "rapidocr"


@pytest.mark.parametrize(
    ("level", "threshold_ms"),
    [("warning", OCR_LATENCY_P90_WARNING_MS), ("critical", OCR_LATENCY_P90_CRITICAL_MS)],
)
def test_ocr_latency_p90_alarms(synth: Synth, level: str, threshold_ms: int) -> None:
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("AlarmName") == alarm_name("test", f"ocr-latency-p90-{level}")
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == (METRICS_NAMESPACE, "OCRLatency")
    assert alarm["ExtendedStatistic"] == "p90"
    assert alarm["Threshold"] == threshold_ms
    assert alarm["AlarmActions"]
