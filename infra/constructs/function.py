"""A pipeline or API function: its own role, its own log group, the layers, Powertools and X-Ray.

SnapStart (``SNAPSTART_FUNCTIONS``, unless ``-c snapstart=false``): Lambda snapshots the initialised
function when a version is published and restores new containers from it instead of running the init
again; the handler primes the snapshot (``enhancer.snapstart``). It only applies to published versions,
so such a function publishes one per code or configuration change and everything that invokes it (the
SQS event source, the API integration) goes through the ``live`` alias: ``invocable``. Price (Python,
on top of the usual invocations): the snapshot cache, per GB of memory per second that each published
version stays active (at least 3 hours), and each restore, per GB restored. The container-image functions
(extract and extract_pages with RapidOCR) are SQS steps outside ``SNAPSTART_FUNCTIONS``: they run without
it, invoked on ``$LATEST``.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from enhancer.resources import APP_NAME, FUNCTIONS, FunctionSpec, ResourceArns, role_statements
from infra import nag
from infra.config import snapstart_enabled
from infra.constants import LOG_RETENTION

HANDLER = "handler.lambda_handler"
OCR_DOCKERFILE = Path(__file__).resolve().parents[1] / "ocr_image" / "Dockerfile"
# What the image build never reads (keeps the staged context small).
OCR_IMAGE_EXCLUDE = [
    ".git",
    ".venv",
    "node_modules",
    "cdk.out",
    "build",
    "outputs",
    "cache",
    "tests",
    "samples",
    "bench",
    "**/__pycache__",
    "*.egg-info",
    ".*_cache",
    ".hypothesis",
]
# Where SnapStart pays: ``FunctionSpec.snapstart`` (the local runtime publishes the same functions).
SNAPSTART_FUNCTIONS = frozenset(spec.key for spec in FUNCTIONS if spec.snapstart)
LIVE_ALIAS = "live"
# Every function runs the same Python as the dependency layer's wheels (cp312).
RUNTIME = lambda_.Runtime.PYTHON_3_12


@dataclass(frozen=True)
class FunctionAssets:
    """Where each function's code and the layers come from (stubs in tests, real builds otherwise)."""

    functions_root: Path
    core_layer: Path
    deps_layer: Path
    # The build context of the OCR container image (``ocr_engine=rapidocr``), else None.
    ocr_image_context: Path | None = None
    stub: bool = False

    def function_code(self, spec: FunctionSpec) -> lambda_.Code:
        path = self.functions_root if self.stub else self.functions_root / spec.handler_dir
        return lambda_.Code.from_asset(str(path))

    def image_code(self, spec: FunctionSpec) -> lambda_.DockerImageCode:
        """The OCR image with this function's handler as its command; built by ``cdk deploy``, not synth."""
        assert self.ocr_image_context is not None
        return lambda_.DockerImageCode.from_image_asset(
            str(self.ocr_image_context),
            file=str(OCR_DOCKERFILE.relative_to(self.ocr_image_context)),
            cmd=[f"{spec.handler_dir}.{HANDLER}"],
            exclude=OCR_IMAGE_EXCLUDE,
        )


class EnhancerFunction(Construct):
    """Why a construct: four functions share runtime, layers, tracing and logging, but never a role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        stage: str,
        assets: FunctionAssets,
        layers: list[lambda_.ILayerVersion],
        architecture: lambda_.Architecture,
        environment: dict[str, str],
        reserved_concurrency: int | None = None,
        image: lambda_.DockerImageCode | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(
            self, "Logs", log_group_name=f"/aws/lambda/{APP_NAME}-{stage}-{spec.key}", retention=LOG_RETENTION
        )
        self.role = self._role()
        self.snapstart = spec.key in SNAPSTART_FUNCTIONS and snapstart_enabled(self.node.try_get_context)
        common: dict[str, Any] = {
            "function_name": f"{APP_NAME}-{stage}-{spec.key}",
            "architecture": architecture,
            "timeout": Duration.seconds(spec.timeout_s),
            "memory_size": spec.memory_mb,
            "environment": environment,
            "role": self.role,
            "log_group": self.log_group,
            "tracing": lambda_.Tracing.ACTIVE,
            "reserved_concurrent_executions": reserved_concurrency,
            "snap_start": lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if self.snapstart else None,
        }
        self.function: lambda_.Function
        if image is not None:
            # A container image carries its own runtime and libraries: no layers.
            self.function = lambda_.DockerImageFunction(self, "Function", code=image, **common)
        else:
            self.function = lambda_.Function(
                self,
                "Function",
                runtime=RUNTIME,
                handler=HANDLER,
                code=assets.function_code(spec),
                layers=layers,
                **common,
            )
        self.invocable: lambda_.IFunction = self._live_alias() if self.snapstart else self.function
        self._acknowledge()

    def _live_alias(self) -> lambda_.Alias:
        """The alias on the current published version (the one SnapStart snapshots), for every invoker."""
        Annotations.of(self.function).acknowledge_warning(
            "@aws-cdk/aws-lambda:snapStartRequirePublish",
            "A version is published on every change (current_version) and invoked through the live alias.",
        )
        return lambda_.Alias(self, "Live", alias_name=LIVE_ALIAS, version=self.function.current_version)

    def _role(self) -> iam.Role:
        """A role of its own with no managed policy: logs only to this function's log group."""
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self.spec.key} function of {APP_NAME}: only what this step touches",
        )
        self.log_group.grant_write(role)
        return role

    def grant(
        self, arns: ResourceArns, findings: ResourceArns, *, models: bool, textract: bool = False
    ) -> None:
        """The role's statements from ``enhancer.resources.GRANTS``, the table the local emulation enforces.

        ``findings`` names the same resources the way cdk-nag writes them, so each wildcard statement is
        acknowledged with the reason the table gives for it. Statements the SQS event source grants itself
        (consuming the function's own queue) are left to it."""
        named = role_statements(self.spec.key, findings, models=models, textract=textract)
        for statement, finding in zip(
            role_statements(self.spec.key, arns, models=models, textract=textract), named, strict=True
        ):
            if statement.by_event_source:
                continue
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(statement.actions),
                    resources=list(statement.resources),
                    conditions=(
                        {"StringLike": {"s3:prefix": [statement.s3_prefix]}} if statement.s3_prefix else None
                    ),
                )
            )
            if statement.why_wildcard:
                wildcards = [f"Resource::{r}" for r in finding.resources if "*" in r]
                nag.acknowledge(self.role, "IAM5", statement.why_wildcard, *wildcards)

    def _acknowledge(self) -> None:
        nag.acknowledge(
            self.role,
            "IAM5",
            "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; "
            "active tracing needs them on '*'.",
            "Resource::*",
        )
        nag.acknowledge(
            self.function,
            "L1",
            "Python 3.12 is deliberate: the dependency layer is built from cp312 manylinux wheels and the "
            "local venv is tested against it; a runtime upgrade is a reviewed change of both together.",
        )
