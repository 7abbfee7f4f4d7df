"""Limits and thresholds beyond ``enhancer.resources`` (which owns names, batch sizes, timeouts).

Alarm thresholds are the runbook's (ARCHITECTURE.md, Observability contract); change them there first.
"""

from aws_cdk import Duration
from aws_cdk import aws_logs as logs

from enhancer.resources import APP_NAME

STACK_NAME_PREFIX = "DocumentEnhancer"
SECRET_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")

# Retention: DLQs keep a failed message the SQS maximum, so a weekend is never enough to lose one.
DLQ_RETENTION = Duration.days(14)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ACCESS_LOG_EXPIRY_DAYS = 90
WORK_FILES_EXPIRY_DAYS = 7
NONCURRENT_VERSION_EXPIRY_DAYS = 30

# API Gateway stage throttling (requests per second, burst).
API_THROTTLE_RATE = 50
API_THROTTLE_BURST = 100

# Alarms (Observability contract). Period is the window each datapoint summarises.
ALARM_PERIOD = Duration.minutes(5)
LLM_ERROR_RATE_WARNING_PCT = 5
LLM_ERROR_RATE_CRITICAL_PCT = 10
LLM_LATENCY_P90_WARNING_MS = 5_000  # LLMLatency is emitted in milliseconds
LLM_LATENCY_P90_CRITICAL_MS = 30_000
ENRICH_QUEUE_DEPTH_WARNING = 100
ENRICH_QUEUE_DEPTH_CRITICAL = 500
LLM_LATENCY_STATISTIC = "p90"
# OCRLatency is per page, in ms: RapidOCR takes ~1.5 s an A4 page at 150 dpi on Lambda, Textract ~1-2 s.
OCR_LATENCY_P90_WARNING_MS = 10_000
OCR_LATENCY_P90_CRITICAL_MS = 30_000


def alarm_name(stage: str, name: str) -> str:
    return f"{APP_NAME}-{stage}-{name}"
