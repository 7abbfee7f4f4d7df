"""A pipeline or API function: its own role, its own log group, the layers, Powertools and X-Ray."""

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from enhancer.resources import APP_NAME, FunctionSpec
from infra import nag
from infra.constants import LOG_RETENTION

HANDLER = "handler.lambda_handler"
# Every function runs the same Python as the dependency layer's wheels (cp312).
RUNTIME = lambda_.Runtime.PYTHON_3_12


@dataclass(frozen=True)
class FunctionAssets:
    """Where each function's code and the layers come from (stubs in tests, real builds otherwise)."""

    functions_root: Path
    core_layer: Path
    deps_layer: Path
    ocr_layer: Path | None = None  # RapidOCR + ONNX Runtime, only when the stack OCRs with RapidOCR
    stub: bool = False

    def function_code(self, spec: FunctionSpec) -> lambda_.Code:
        path = self.functions_root if self.stub else self.functions_root / spec.handler_dir
        return lambda_.Code.from_asset(str(path))


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
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(
            self, "Logs", log_group_name=f"/aws/lambda/{APP_NAME}-{stage}-{spec.key}", retention=LOG_RETENTION
        )
        self.role = self._role()
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=f"{APP_NAME}-{stage}-{spec.key}",
            runtime=RUNTIME,
            architecture=architecture,
            handler=HANDLER,
            code=assets.function_code(spec),
            layers=layers,
            timeout=Duration.seconds(spec.timeout_s),
            memory_size=spec.memory_mb,
            environment=environment,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency,
        )
        self._acknowledge()

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
