"""cdk-nag v3 runs on every synth: zero unacknowledged findings, every acknowledgement with a reason."""

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from infra_synth import Synth

from infra import nag

pytestmark = pytest.mark.infra


# The bedrock synth adds the model grants and their acknowledgement; both must be clean.
BOTH_SYNTHS = pytest.mark.parametrize("synth_fixture", ["synth", "bedrock_synth"])


@BOTH_SYNTHS
def test_synth_reports_no_unacknowledged_finding(synth_fixture: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(synth_fixture)
    plugins = {p["pluginName"]: p for p in synth.report["pluginReports"]}
    assert "AwsSolutions" in plugins
    for name, plugin in plugins.items():
        assert plugin["conclusion"] == "success", name
        assert plugin.get("violations", []) == [], name


@BOTH_SYNTHS
def test_every_acknowledgement_says_why(synth_fixture: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(synth_fixture)
    acknowledged = [v for p in synth.report["pluginReports"] for v in p.get("suppressedViolations", [])]
    assert acknowledged, "expected the documented acknowledgements (X-Ray '*', object prefixes, …)"
    for finding in acknowledged:
        assert len(finding["reason"]) >= 40, finding["acknowledgedId"]


def test_nag_fails_the_synth_of_a_non_compliant_bucket(tmp_path: Path) -> None:
    # Given the same checks on an app with a bucket that allows plain HTTP and logs nothing
    app = cdk.App(outdir=str(tmp_path))
    s3.Bucket(cdk.Stack(app, "Bad"), "Bucket")
    nag.add_checks(app)
    # Then synth refuses it, and the report names the rules
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions-S1" in report
    assert "AwsSolutions-S10" in report
