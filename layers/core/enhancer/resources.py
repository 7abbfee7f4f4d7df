"""One declarative description of the AWS resources.

Both the local provisioner (``enhancer.local``) and the CDK stack (``infra/``) read this module, so the
embedded emulation and the deployed system cannot drift apart: names, queues and their DLQs, batch sizes,
visibility timeouts, tables and their keys all live here and nowhere else.
"""

from pydantic import BaseModel, ConfigDict, Field

APP_NAME = "doc-enhancer"
DEFAULT_STAGE = "dev"
INCOMING_PREFIX = "incoming/"
WORK_PREFIX = "work/"
RESULTS_PREFIX = "results/"
# S3 notification filters are case-sensitive and cannot be made otherwise: one rule per spelling of ".pdf"
# (.pdf, .PDF, .Pdf, … all 8), so an upload named REPORT.PDF is processed like report.pdf. Non-overlapping.
PDF_KEY_SUFFIXES = tuple(
    "." + "".join(c.upper() if bits & (1 << i) else c for i, c in enumerate("pdf")) for bits in range(8)
)
VISIBILITY_TIMEOUT_FACTOR = 6  # AWS guidance for SQS event sources: 6 x the function timeout


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True)


class BucketSpec(_Spec):
    key: str = Field(description="logical name, used in env var and construct ids")
    env_var: str


class FunctionSpec(_Spec):
    key: str
    handler_dir: str = Field(description="folder under functions/")
    timeout_s: int
    memory_mb: int


class QueueSpec(_Spec):
    key: str
    env_var: str = Field(description="env var holding the queue URL")
    consumer: str = Field(description="FunctionSpec.key of the consuming function")
    batch_size: int
    max_batching_window_s: int = 0
    max_receive_count: int = 3
    consumer_timeout_s: int

    @property
    def visibility_timeout_s(self) -> int:
        return self.consumer_timeout_s * VISIBILITY_TIMEOUT_FACTOR


class GsiSpec(_Spec):
    name: str
    partition_key: str
    sort_key: str | None = None


class TableSpec(_Spec):
    key: str
    env_var: str
    partition_key: str
    sort_key: str | None = None
    ttl_attribute: str | None = None
    gsis: tuple[GsiSpec, ...] = ()


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(key="extract", handler_dir="extract", timeout_s=300, memory_mb=1536),
    # Huge documents: one page range per invocation, and the fan-in that continues like ``extract``.
    FunctionSpec(key="extract_pages", handler_dir="extract_pages", timeout_s=300, memory_mb=1536),
    FunctionSpec(key="enrich", handler_dir="enrich", timeout_s=120, memory_mb=512),
    FunctionSpec(key="validate", handler_dir="validate", timeout_s=60, memory_mb=512),
    FunctionSpec(key="api", handler_dir="api", timeout_s=29, memory_mb=512),
    # On a schedule: ends FAILED the documents whose message died or whose step stalled (pipeline.sweep).
    FunctionSpec(key="sweeper", handler_dir="sweeper", timeout_s=120, memory_mb=256),
)


def function(key: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.key == key)


BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec(key="input", env_var="INPUT_BUCKET"),
    BucketSpec(key="output", env_var="OUTPUT_BUCKET"),
)

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        key="ingest",
        env_var="INGEST_QUEUE_URL",
        consumer="extract",
        batch_size=1,
        consumer_timeout_s=function("extract").timeout_s,
    ),
    QueueSpec(
        key="pages",
        env_var="PAGES_QUEUE_URL",
        consumer="extract_pages",
        batch_size=1,  # a range is a few seconds of CPU; one per invocation keeps the memory bounded
        consumer_timeout_s=function("extract_pages").timeout_s,
    ),
    QueueSpec(
        key="enrich",
        env_var="ENRICH_QUEUE_URL",
        consumer="enrich",
        batch_size=5,
        consumer_timeout_s=function("enrich").timeout_s,
    ),
    QueueSpec(
        key="validate",
        env_var="VALIDATE_QUEUE_URL",
        consumer="validate",
        batch_size=5,
        consumer_timeout_s=function("validate").timeout_s,
    ),
)

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        key="documents",
        env_var="DOCUMENTS_TABLE",
        partition_key="document_id",
        gsis=(GsiSpec(name="status-index", partition_key="status", sort_key="updated_at"),),
    ),
    TableSpec(key="cache", env_var="CACHE_TABLE", partition_key="cache_key", ttl_attribute="expires_at"),
    TableSpec(key="idempotency", env_var="IDEMPOTENCY_TABLE", partition_key="id", ttl_attribute="expiration"),
    TableSpec(
        key="ratelimit", env_var="RATE_LIMIT_TABLE", partition_key="bucket_key", ttl_attribute="expires_at"
    ),
)


def queue(key: str) -> QueueSpec:
    return next(q for q in QUEUES if q.key == key)


def table(key: str) -> TableSpec:
    return next(t for t in TABLES if t.key == key)


def resource_name(stage: str, key: str) -> str:
    """Physical name of a queue or table: ``doc-enhancer-{stage}-{key}``."""
    return f"{APP_NAME}-{stage}-{key}"


def dlq_name(stage: str, key: str) -> str:
    return f"{resource_name(stage, key)}-dlq"
