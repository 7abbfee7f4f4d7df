"""Load the real Lambda handlers (``functions/<dir>/handler.py``) and call them like Lambda does."""

import importlib.util
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from enhancer.observability import logger
from enhancer.resources import function

FUNCTIONS_DIR = Path(__file__).resolve().parents[4] / "functions"


@lru_cache(maxsize=8)
def load_handler_module(function_key: str) -> ModuleType:
    path = FUNCTIONS_DIR / function(function_key).handler_dir / "handler.py"
    spec = importlib.util.spec_from_file_location(f"doc_enhancer_function_{function_key}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no Lambda handler at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LocalContext:
    """The parts of the Lambda context that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_s: int = 60
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

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
        return self.timeout_s * 1000


def invoke(function_key: str, event: dict[str, Any]) -> dict[str, Any]:
    spec = function(function_key)
    context = LocalContext(
        function_name=f"doc-enhancer-local-{function_key}",
        memory_limit_in_mb=spec.memory_mb,
        timeout_s=spec.timeout_s,
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
    try:
        logger.debug("invoking the handler", extra={"records": len(event.get("Records") or [])})
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
