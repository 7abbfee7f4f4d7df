"""Load the real Lambda handlers (``functions/<dir>/handler.py``) and call them like Lambda does: with a
context whose remaining time counts down to the invocation's deadline, and with the function's IAM role
enforced on every AWS call (``enhancer.local.iam``); a SnapStart function is initialised when it is
published, before its first message (``publish``)."""

import gc
import importlib.util
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from enhancer.local import iam, snapshots
from enhancer.local.limits import LocalLimits
from enhancer.observability import logger
from enhancer.resources import function

FUNCTIONS_DIR = Path(__file__).resolve().parents[4] / "functions"
# Before any client a handler will use exists: clients copy their session's event hooks when they are made.
iam.install()
snapshots.install()


@lru_cache(maxsize=8)
def load_handler_module(function_key: str) -> ModuleType:
    path = FUNCTIONS_DIR / function(function_key).handler_dir / "handler.py"
    spec = importlib.util.spec_from_file_location(f"doc_enhancer_function_{function_key}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no Lambda handler at {path}")
    module = importlib.util.module_from_spec(spec)
    with snapshots.loading(function_key):
        try:
            spec.loader.exec_module(module)
        finally:
            # The handler paused the collector (an init that fails never reaches init_done) and init_done
            # froze the heap: a per-process optimisation on Lambda, where one process is one function.
            # Here several functions, and the host, share one process, so the heap goes back to collection.
            gc.unfreeze()
            gc.enable()
    return module


def publish(function_key: str) -> None:
    """What publishing a SnapStart function's version does on Lambda: its init, under its role, and the
    hooks around the snapshot (``enhancer.local.snapshots``). An init that fails is logged and met again
    by the first invocation, as a function whose init fails meets it on every cold start."""
    invocation = iam.Invocation.of(function_key, timeout_s=LocalLimits().timeout_s(function_key))
    try:
        with iam.acting_as(invocation):
            load_handler_module(function_key)
            hooks = snapshots.snapshot_and_restore(function_key)
    except Exception:
        logger.exception(
            "SnapStart init failed; the first invocation runs it again", extra={"function": function_key}
        )
        return
    logger.debug("published with SnapStart", extra={"function": function_key, "snapshot_hooks": hooks})


@dataclass
class LocalContext:
    """The parts of the Lambda context that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_s: float = 60
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    deadline: float = field(default=0.0, repr=False)  # time.monotonic() at which the invocation times out

    def __post_init__(self) -> None:
        if not self.deadline:
            self.deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def invoke(function_key: str, event: dict[str, Any]) -> dict[str, Any]:
    """Run ``function_key``'s handler on ``event`` in this thread, as the invocation the runtime announced
    here (``iam.starting``: its role, its deadline), or else as a new one with the deployed timeout."""
    invocation = iam.pending(function_key) or iam.Invocation.of(
        function_key, timeout_s=LocalLimits().timeout_s(function_key)
    )
    spec = function(function_key)
    context = LocalContext(
        function_name=f"{iam.ROLE_PREFIX}{function_key}",
        memory_limit_in_mb=spec.memory_mb,
        timeout_s=invocation.timeout_s,
        deadline=invocation.deadline,
    )
    # Powertools' inject_lambda_context puts the context on the logger every handler here shares;
    # on Lambda one invocation runs per process, here several run in threads. Thread-local keys win over
    # shared ones, so each line carries its own invocation's function name and request id.
    keys = {
        "function_name": context.function_name,
        "function_memory_size": context.memory_limit_in_mb,
        "function_arn": context.invoked_function_arn,
        "function_request_id": context.aws_request_id,
    }
    logger.thread_safe_append_keys(**keys)
    iam.install()
    try:
        logger.debug("invoking the handler", extra={"records": len(event.get("Records") or [])})
        with iam.acting_as(invocation):
            response: dict[str, Any] = load_handler_module(function_key).lambda_handler(event, context)
    finally:
        logger.thread_safe_remove_keys(list(keys))
        _drop_unpublished_metrics()
    return response


def _drop_unpublished_metrics() -> None:
    """With POWERTOOLS_METRICS_DISABLED (what ``run`` sets) Powertools' flush keeps the metrics, and prints
    them to stdout anyway once one reaches 100 values, which broke ``doc-enhancer run --json``."""
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    from enhancer.observability import metrics

    if is_metrics_disabled():
        metrics.clear_metrics()


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """An SQS event exactly as Lambda's event source mapping builds it from ReceiveMessage output."""
    records = []
    for message in messages:
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.get("DataType", "String"),
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}
