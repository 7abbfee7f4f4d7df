"""Extract-pages function: one page range of a huge document per record; the last range fans back in."""

import gc

gc.disable()  # until init ends: see enhancer.startup.init_done

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from enhancer.observability import logger, metrics, tracer
from enhancer.pipeline.context import current_pipeline
from enhancer.pipeline.records import handle_pages_record
from enhancer.settings import LlmSettings
from enhancer.startup import check_configuration, init_done

# Cold start: a bad config stops the function here with the file, the field and the reason.
check_configuration(LlmSettings())
init_done()


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    handle_pages_record(current_pipeline(), record, lambda_context)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # A processor per invocation: the local runtime calls this handler from several threads.
    return process_partial_response(
        event=event, record_handler=record_handler, processor=BatchProcessor(EventType.SQS), context=context
    )
