"""Enrich function: the chapters of a batch enriched concurrently, one per record; the last one queues
validation.

Powertools' async batch processor runs every record of the batch at once and keeps partial batch failures
per record; each record runs on a thread of one pool per process, twice ``MAX_WORKERS`` wide. At most
``MAX_WORKERS`` LLM requests are in flight in the process however many invocations share it (the local
runtime's workers do): the provider's request slots (``enhancer.providers.resilience.CallBudget``) hold
them, and each request still takes its rate-limit slot. The other threads meanwhile read their chapters and
take their idempotency records, so a free slot goes to a chapter that is ready to send. Called from a thread
whose event loop is running, the batch runs on a fresh thread with a loop of its own.
"""

import gc

gc.disable()  # until init ends: see enhancer.startup.init_done

import asyncio
import contextvars
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
from enhancer.loops import outside_running_loop
from enhancer.observability import logger, metrics, tracer
from enhancer.pipeline.context import current_pipeline
from enhancer.pipeline.providers import current_provider
from enhancer.pipeline.records import handle_enrich_record
from enhancer.settings import LlmSettings, get_settings
from enhancer.startup import check_configuration, init_done

# Cold start: a bad config stops the function here with the file, the field and the reason.
check_configuration(LlmSettings())
snapstart.prime(provider=True)
init_done()


@lru_cache(maxsize=4)
def _chapter_threads(request_slots: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2 * request_slots, thread_name_prefix="enrich-chapter")


async def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    pipeline = current_pipeline()
    provider = current_provider(pipeline.config)
    threads = _chapter_threads(get_settings().llm.max_workers)
    # In a copy of this invocation's context: ``run_in_executor`` does not carry context variables to the
    # pool's threads, and the local runtime's IAM role for the invocation and Powertools' per-thread log
    # keys live in them.
    context = contextvars.copy_context()
    await asyncio.get_running_loop().run_in_executor(
        threads, context.run, handle_enrich_record, pipeline, provider, record, lambda_context
    )


def _process_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # A processor per invocation: the local runtime calls this handler from several threads.
    return async_process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=AsyncBatchProcessor(EventType.SQS),
        context=context,
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # The batch's own event loop cannot start in a thread whose loop runs (a caller in async code).
    return outside_running_loop(_process_batch, event, context)
