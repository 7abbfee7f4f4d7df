"""Powertools Logger, Metrics and Tracer shared by every function, and the contract's metric names."""

from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = "doc-enhancer"
METRICS_NAMESPACE = "DocumentEnhancer"

# POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, when set, take precedence over these defaults.
logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)


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
