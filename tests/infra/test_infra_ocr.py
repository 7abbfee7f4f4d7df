"""OCR on AWS: Textract permission for the two functions that OCR (default ``auto``); with
``ocr_engine=rapidocr`` those two become one container image instead (RapidOCR does not fit a zip
function's 250 MB), without SnapStart (SQS steps, outside ``SNAPSTART_FUNCTIONS``); the engine in their
environment, and the OCR latency alarms."""

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


def test_with_textract_every_function_is_a_zip_with_the_two_layers(synth: Synth) -> None:
    for key in (*OCR_FUNCTIONS, "enrich", "validate", "api"):
        properties = _function(synth, key)["Properties"]
        assert properties.get("PackageType", "Zip") == "Zip"
        assert len(properties["Layers"]) == 2


def test_rapidocr_makes_the_ocr_functions_one_image_with_their_own_handlers(rapidocr_synth: Synth) -> None:
    for key in OCR_FUNCTIONS:
        properties = _function(rapidocr_synth, key)["Properties"]
        assert properties["PackageType"] == "Image"
        assert "Layers" not in properties
        assert properties["ImageConfig"]["Command"] == [f"{key}.handler.lambda_handler"]
        assert properties["Environment"]["Variables"]["OCR_ENGINE"] == "rapidocr"
        assert properties["MemorySize"] >= 1536  # RapidOCR peaks near 1 GB on an A4 page at 150 dpi
    for key in ("enrich", "validate", "api"):
        assert _function(rapidocr_synth, key)["Properties"].get("PackageType", "Zip") == "Zip"
    assert _textract_roles(rapidocr_synth) == set()


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


def _mapping_targets(synth: Synth) -> list[Any]:
    return [
        m["Properties"]["FunctionName"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
    ]


def test_the_ocr_images_run_on_latest_without_snapstart_beside_the_snapstart_zips(
    rapidocr_synth: Synth,
) -> None:
    from infra.constructs.function import SNAPSTART_FUNCTIONS

    versions = [
        v["Properties"]["FunctionName"] for v in rapidocr_synth.of_type("AWS::Lambda::Version").values()
    ]
    targets = _mapping_targets(rapidocr_synth)
    for key in OCR_FUNCTIONS:
        function_id = rapidocr_synth.logical_id(
            "AWS::Lambda::Function", FunctionName=resource_name(rapidocr_synth.stage, key)
        )
        assert "SnapStart" not in rapidocr_synth.resources[function_id]["Properties"]
        assert {"Ref": function_id} not in versions  # no published version, no alias
        assert {"Ref": function_id} in targets  # its queue invokes $LATEST
    # The zip functions keep theirs.
    for key in sorted(SNAPSTART_FUNCTIONS):
        assert _function(rapidocr_synth, key)["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
