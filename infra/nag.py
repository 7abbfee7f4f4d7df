"""cdk-nag v3 wiring: the AwsSolutions pack on every synth, and acknowledgements with their reasons.

v3 reports through CDK's policy-validation framework: an unacknowledged error *or* warning fails the synth
and is written to ``<outdir>/validation-report.json``. Each finding is acknowledged on the construct it
concerns, one id per finding (``AwsSolutions::AwsSolutions-IAM5[Resource::…]``); prefix matching does not
exist in v3, so wildcard findings are listed one by one.
"""

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str, *findings: str) -> None:
    """Acknowledge ``rule`` on ``scope`` (and its children), or only the listed findings of it."""
    ids = [f"{rule}[{finding}]" for finding in findings] if findings else [rule]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=f"{PACK}::{PACK}-{i}", reason=reason) for i in ids))


def arn_of(resource: IConstruct) -> str:
    """How cdk-nag writes a resource's ``Fn::GetAtt [X, Arn]`` in a finding: ``<LogicalId.Arn>``."""
    cfn = resource.node.default_child
    assert isinstance(cfn, CfnResource)
    return f"<{Stack.of(resource).get_logical_id(cfn)}.Arn>"
