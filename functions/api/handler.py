"""API function: API Gateway REST proxy events → the Powertools resolver of ``enhancer.api.app``."""

import gc

gc.disable()  # until init ends: see enhancer.startup.init_done

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from enhancer import snapstart
from enhancer.api.app import resolve
from enhancer.observability import logger, metrics, tracer
from enhancer.settings import LlmSettings
from enhancer.startup import check_configuration, init_done

# Cold start: a bad config stops the function here with the file, the field and the reason.
check_configuration(LlmSettings())

snapstart.prime(provider=False)
init_done()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
# capture_response=False: a result JSON (up to 5 MB) or an upload URL must not land in a trace.
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(event, context)
