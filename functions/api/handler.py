"""API function: API Gateway REST proxy events → the Powertools resolver of ``enhancer.api.app``."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from enhancer import snapstart
from enhancer.api.app import resolve
from enhancer.observability import logger, metrics, tracer

snapstart.prime(provider=False)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(event, context)
