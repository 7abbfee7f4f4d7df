"""Sweeper function: on a schedule, ends FAILED every document whose message died or whose step stalled."""

import gc

gc.disable()  # until init ends: see enhancer.startup.init_done

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from enhancer.observability import logger, metrics, tracer
from enhancer.pipeline.context import current_pipeline
from enhancer.pipeline.queue_state import QueueInspector
from enhancer.pipeline.sweep import read_targets, sweep
from enhancer.resources import QUEUES
from enhancer.settings import StorageSettings, get_settings
from enhancer.startup import init_done

init_done()


@lru_cache(maxsize=4)
def _inspector(_endpoint: str | None) -> QueueInspector:
    return QueueInspector()


def queue_urls(storage: StorageSettings) -> dict[str, str]:
    urls = {spec.key: str(getattr(storage, f"{spec.key}_queue_url")) for spec in QUEUES}
    if missing := [spec.env_var for spec in QUEUES if not urls[spec.key]]:
        raise ValueError(f"the sweeper needs every queue URL; unset: {', '.join(missing)}")
    return urls


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings = get_settings()
    inspector = _inspector(os.environ.get("AWS_ENDPOINT_URL"))
    targets = read_targets(
        inspector, queue_urls(settings.storage), stale_after_s=settings.sweep.stale_after_s
    )
    return sweep(current_pipeline(), inspector, targets).as_dict()
