"""Enrich function: the chapters of a batch enriched concurrently, one per record; the last one queues
validation.

Powertools' async batch processor runs every record of the batch at once and keeps partial batch failures
per record; each record runs on a thread of one pool per process, ``MAX_WORKERS`` wide, so at most that
many chapters are in flight however many invocations share the process (the local runtime's workers do),
and each still takes its rate-limit slot.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from enhancer import snapstart
from enhancer.observability import logger, metrics, tracer
from enhancer.pipeline.context import current_pipeline
from enhancer.pipeline.providers import current_provider
from enhancer.pipeline.records import handle_enrich_record
from enhancer.settings import LlmSettings, get_settings
from enhancer.startup import check_configuration

# Cold start: a bad config stops the function here with the file, the field and the reason.
check_configuration(LlmSettings())
snapstart.prime(provider=True)


@lru_cache(maxsize=4)
def _chapter_threads(width: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=width, thread_name_prefix="enrich-chapter")


async def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    pipeline = current_pipeline()
    provider = current_provider(pipeline.config)
    threads = _chapter_threads(get_settings().llm.max_workers)
    await asyncio.get_running_loop().run_in_executor(
        threads, handle_enrich_record, pipeline, provider, record, lambda_context
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # A processor per invocation: the local runtime calls this handler from several threads.
    return async_process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=AsyncBatchProcessor(EventType.SQS),
        context=context,
    )
