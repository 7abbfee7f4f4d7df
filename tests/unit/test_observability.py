"""The Tracer costs no X-Ray import when tracing is off, and is the X-Ray recorder on Lambda."""

import os
import subprocess
import sys

import pytest

PROBE = (
    "import sys; from enhancer.observability import tracer; "
    "print(tracer.disabled, 'aws_xray_sdk.core' in sys.modules, 'botocore.client' in sys.modules)"
)


def _probe(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=base | env, check=True, capture_output=True, text=True, timeout=120
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    "env",
    [{}, {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}],
    ids=["outside Lambda", "disabled on Lambda"],
)
def test_tracing_off_imports_neither_x_ray_nor_a_botocore_client(env: dict[str, str]) -> None:
    assert _probe(**env) == ["True", "False", "False"]


def test_on_lambda_the_tracer_is_the_x_ray_recorder() -> None:
    assert _probe(LAMBDA_TASK_ROOT="/var/task") == ["False", "True", "True"]
