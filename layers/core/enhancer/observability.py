"""Powertools Logger, Metrics and Tracer shared by every function, and the contract's metric names.

The Tracer costs nothing at import when tracing is off (Powertools' own rule: off outside Lambda, under SAM
local or Chalice, or with ``POWERTOOLS_TRACE_DISABLED``): it gets a no-op provider, so the X-Ray SDK (and
the botocore client it builds) is never imported. On Lambda it is the X-Ray recorder, patching botocore
(every AWS call, Bedrock included) and httplib (``http.client``) — not every library X-Ray knows, each of
which patching would import (requests, sqlite3, …), none of which the functions call through. The OpenAI
and Anthropic SDKs send through httpx2, which X-Ray does not patch, with or without this.
"""

import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

SERVICE_NAME = "doc-enhancer"
METRICS_NAMESPACE = "DocumentEnhancer"
TRACED_MODULES = ("botocore", "httplib")


def tracing_enabled() -> bool:
    """Powertools' rule for when the Tracer is on, read without importing the X-Ray SDK."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    emulated = os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV)
    return bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV)) and not emulated


class _NoSegment(BaseSegment):
    def close(self, end_time: int | None = None) -> None: ...
    def add_subsegment(self, subsegment: Any) -> None: ...
    def remove_subsegment(self, subsegment: Any) -> None: ...
    def put_annotation(self, key: str, value: Any) -> None: ...
    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None: ...
    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None: ...


class _NoTracing(BaseProvider):
    """The Tracer's provider when tracing is off: subsegments that record nothing."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _NoSegment()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield _NoSegment()

    def put_annotation(self, key: str, value: Any) -> None: ...
    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None: ...
    def patch(self, modules: Any) -> None: ...
    def patch_all(self) -> None: ...


class _Metrics(Metrics):
    """Powertools Metrics whose ``add_metric`` takes a lock: the enrich function adds metrics from several
    threads at once, and two first additions of one name in the same flush would otherwise lose one."""

    _lock = threading.Lock()

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            super().add_metric(*args, **kwargs)


# POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, when set, take precedence over these defaults.
logger = Logger(service=SERVICE_NAME)
metrics = _Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
tracer = (
    Tracer(service=SERVICE_NAME, patch_modules=TRACED_MODULES)
    if tracing_enabled()
    else Tracer(service=SERVICE_NAME, disabled=True, auto_patch=False, provider=_NoTracing())
)


class MetricName(StrEnum):
    """The metric names of the observability contract (namespace ``DocumentEnhancer``)."""

    DOCUMENTS_RECEIVED = "DocumentsReceived"
    DOCUMENTS_COMPLETED = "DocumentsCompleted"
    DOCUMENTS_FAILED = "DocumentsFailed"
    CHAPTERS_ENRICHED = "ChaptersEnriched"
    CHAPTERS_FAILED = "ChaptersFailed"
    LLM_CALLS = "LLMCalls"
    LLM_ERRORS = "LLMErrors"
    LLM_LATENCY = "LLMLatency"
    LLM_THROTTLES = "LLMThrottles"
    INPUT_TOKENS = "InputTokens"
    OUTPUT_TOKENS = "OutputTokens"
    CACHE_HITS = "CacheHits"
    VALIDATION_FAILURES = "ValidationFailures"
    ESTIMATED_COST_USD = "EstimatedCostUSD"
    PAGES_EXTRACTED = "PagesExtracted"
    PAGES_OCRED = "PagesOCRed"
    OCR_LATENCY = "OCRLatency"
    DOCUMENTS_STALLED = "DocumentsStalled"
