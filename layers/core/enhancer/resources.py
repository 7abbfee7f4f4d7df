"""One declarative description of the AWS resources.

Both the local provisioner (``enhancer.local``) and the CDK stack (``infra/``) read this module, so the
embedded emulation and the deployed system cannot drift apart: names, queues and their DLQs, batch sizes,
visibility timeouts, tables and their keys, concurrency, and what each function's role may do (``GRANTS``)
all live here and nowhere else.
"""

from typing import Protocol

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
    concurrency_is_llm_budget: bool = Field(
        default=False, description="reserved concurrency = MAX_WORKERS (the stack's max_workers)"
    )
    snapstart: bool = Field(default=False, description="Lambda SnapStart (unless -c snapstart=false)")


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
    # SnapStart where it pays: enrich (the most concurrent containers, up to the LLM budget, each paying its
    # init) and the API (a person waits on its first request after idle). The SQS steps scale little and
    # wait on nobody, so a snapshot cache per version would cost more than their rare cold starts.
    FunctionSpec(
        key="enrich",
        handler_dir="enrich",
        timeout_s=120,
        memory_mb=512,
        concurrency_is_llm_budget=True,
        snapstart=True,
    ),
    FunctionSpec(key="validate", handler_dir="validate", timeout_s=60, memory_mb=512),
    FunctionSpec(key="api", handler_dir="api", timeout_s=29, memory_mb=512, snapstart=True),
    # On a schedule: ends FAILED the documents whose message died or whose step stalled (pipeline.sweep).
    FunctionSpec(key="sweeper", handler_dir="sweeper", timeout_s=120, memory_mb=256),
)


def function(key: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.key == key)


MIN_EVENT_SOURCE_CONCURRENCY = 2  # what Lambda accepts as an SQS event source's MaximumConcurrency (2-1000)


def reserved_concurrency(function_key: str, max_workers: int) -> int | None:
    """The function's reserved concurrency: the LLM budget for enrich, none for the others."""
    return max_workers if function(function_key).concurrency_is_llm_budget else None


def event_source_max_concurrency(function_key: str, max_workers: int) -> int | None:
    """``MaximumConcurrency`` of the SQS event source of a function with reserved concurrency.

    Equal to the reserved concurrency, so the event source never invokes more than the function may run:
    above it Lambda throttles, and a throttled receive still counts towards the queue's maxReceiveCount."""
    reserved = reserved_concurrency(function_key, max_workers)
    if reserved is None:
        return None
    if reserved < MIN_EVENT_SOURCE_CONCURRENCY:
        raise ValueError(
            f"{function_key}: reserved concurrency {reserved} is below {MIN_EVENT_SOURCE_CONCURRENCY}, the "
            "least maximum concurrency an SQS event source accepts; use max_workers >= 2"
        )
    return reserved


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


# --- IAM: what each function's handlers may call ---------------------------------------------------------
# One table, two readers: the CDK constructs build every role statement from ``role_statements`` (with CDK
# tokens for the ARNs), and the local runtime checks every AWS call a handler makes against the very same
# statements (with the emulation's ARNs), so a grant missing on AWS is AccessDenied locally too.

OBJECT_READ_ACTIONS = ("s3:GetObject",)
OBJECT_WRITE_ACTIONS = ("s3:PutObject",)
LIST_ACTIONS = ("s3:ListBucket",)  # limited by an ``s3:prefix`` condition to the prefix the step reads
# Exactly what CDK's ``Table.grant_read_write_data`` grants (DescribeTable included: health probes it).
TABLE_DATA_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
QUEUE_SEND_ACTIONS = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
QUEUE_DESCRIBE_ACTIONS = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl")
# What an SQS event source mapping needs on its queue (CDK's ``SqsEventSource`` grants these itself).
QUEUE_CONSUME_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)
SECRET_READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
MODEL_INVOKE_ACTIONS = ("bedrock:InvokeModel",)  # Converse needs InvokeModel only
TEXTRACT_ACTIONS = ("textract:DetectDocumentText",)  # one rendered page per call


class ObjectGrant(_Spec):
    bucket: str = Field(description="BucketSpec.key")
    prefix: str
    read: bool = False
    write: bool = False


class TableGrant(_Spec):
    """Narrower than ``FunctionGrants.tables``: some actions on a table, or on one of its indexes."""

    table: str = Field(description="TableSpec.key")
    actions: tuple[str, ...]
    index: str | None = None


class FunctionGrants(_Spec):
    """What one function's handlers touch. Consumption of its own queue follows from ``QUEUES``."""

    function: str = Field(description="FunctionSpec.key")
    objects: tuple[ObjectGrant, ...] = ()
    tables: tuple[str, ...] = Field(default=(), description="TableSpec.key: item read/write, and its GSIs")
    table_grants: tuple[TableGrant, ...] = ()
    reads_queue_attributes: bool = Field(default=False, description="GetQueueAttributes of every queue")
    peeks_dead_letters: bool = Field(default=False, description="reads the DLQs without deleting")
    redrives_dead_letters: bool = Field(default=False, description="receives and deletes DLQ messages")
    sends_to: tuple[str, ...] = Field(default=(), description="QueueSpec.key")
    describes_every_queue: bool = Field(default=False, description="attributes of every queue and DLQ")
    reads_llm_secret: bool = False
    invokes_models: bool = Field(default=False, description="Bedrock models, when Bedrock is the provider")
    ocr_with_textract: bool = Field(default=False, description="Textract, when it is the OCR engine")


# Every pipeline function can end a document FAILED, and failing writes the failed result
# ``results/{document_id}.json``: each gets PutObject on results/ (and nothing else there).
_FAILED_RESULT = ObjectGrant(bucket="output", prefix=RESULTS_PREFIX, write=True)

GRANTS: tuple[FunctionGrants, ...] = (
    FunctionGrants(
        function="extract",
        objects=(
            ObjectGrant(bucket="input", prefix=INCOMING_PREFIX, read=True),
            # read too: a retried extract of an ENRICHING document re-sends its enrich messages from the
            # manifest it wrote (found by the fault-proxy run once IAM was enforced)
            ObjectGrant(bucket="output", prefix=WORK_PREFIX, read=True, write=True),
            _FAILED_RESULT,
        ),
        tables=("documents", "idempotency"),
        sends_to=("enrich", "pages"),  # huge documents fan out in page ranges
        ocr_with_textract=True,
    ),
    FunctionGrants(
        # A range worker reads the upload and writes its pages; the fan-in reads them all back (work/),
        # writes the chapters and queues enrichment, exactly like the extract step.
        function="extract_pages",
        objects=(
            ObjectGrant(bucket="input", prefix=INCOMING_PREFIX, read=True),
            ObjectGrant(bucket="output", prefix=WORK_PREFIX, read=True, write=True),
            _FAILED_RESULT,
        ),
        tables=("documents", "idempotency"),
        sends_to=("enrich",),
        ocr_with_textract=True,
    ),
    FunctionGrants(
        function="enrich",
        objects=(ObjectGrant(bucket="output", prefix=WORK_PREFIX, read=True, write=True), _FAILED_RESULT),
        tables=("documents", "cache", "ratelimit", "idempotency"),
        sends_to=("validate",),
        reads_llm_secret=True,
        invokes_models=True,
    ),
    FunctionGrants(
        function="validate",
        objects=(
            ObjectGrant(bucket="output", prefix=WORK_PREFIX, read=True),
            ObjectGrant(bucket="output", prefix=RESULTS_PREFIX, write=True),
        ),
        tables=("documents", "idempotency"),
        reads_llm_secret=True,
        invokes_models=True,
    ),
    FunctionGrants(
        # The presigned upload URL is signed by this role, so it needs the PutObject it hands out; reprocess
        # HEADs the uploaded object (GetObject) and the detailed health lists incoming/ and results/.
        function="api",
        objects=(
            ObjectGrant(bucket="input", prefix=INCOMING_PREFIX, read=True, write=True),
            ObjectGrant(bucket="output", prefix=RESULTS_PREFIX, read=True),
        ),
        tables=("documents",),
        # reprocess sends to ingest; the console's redrive (POST /operations/queues/{queue}/redrive) moves
        # a DLQ's messages back to its queue, any of them (found by the browser test with IAM enforced)
        sends_to=tuple(q.key for q in QUEUES),
        redrives_dead_letters=True,
        describes_every_queue=True,  # health reads every queue's attributes
    ),
    FunctionGrants(
        # Reads and fails documents, writes their failed result, reads every queue's settings and peeks at
        # (never deletes from) the DLQs. PutItem: the record of an upload whose ingest message died before
        # extraction wrote it (``sweep._record_dead_upload``).
        function="sweeper",
        objects=(_FAILED_RESULT,),
        table_grants=(
            TableGrant(
                table="documents", actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
            ),
            TableGrant(table="documents", actions=("dynamodb:Query",), index="status-index"),
        ),
        reads_queue_attributes=True,
        peeks_dead_letters=True,
    ),
)
DEAD_LETTER_PEEK_ACTIONS = (
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
)


DEAD_LETTER_REDRIVE_ACTIONS = (*DEAD_LETTER_PEEK_ACTIONS, "sqs:DeleteMessage")


def grants(function_key: str) -> FunctionGrants:
    """A function's row of ``GRANTS``; every function has one (a new function needs its row first)."""
    found = [g for g in GRANTS if g.function == function_key]
    if len(found) != 1:
        raise KeyError(
            f"{function_key!r} needs exactly one row in enhancer.resources.GRANTS, has {len(found)}"
        )
    return found[0]


class ResourceArns(Protocol):
    """How one side names the resources: CDK tokens in the stack, real ARNs in the local emulation."""

    @property
    def partition(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account(self) -> str: ...

    def bucket(self, key: str) -> str: ...
    def table(self, key: str) -> str: ...
    def queue(self, key: str) -> str: ...
    def dead_letter_queue(self, key: str) -> str: ...
    def llm_secret(self) -> str: ...


class Statement(_Spec):
    """One Allow statement of a function's role."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    s3_prefix: str | None = Field(default=None, description="condition StringLike s3:prefix")
    by_event_source: bool = Field(default=False, description="granted by CDK's SqsEventSource itself")
    why_wildcard: str | None = Field(default=None, description="why a resource holds '*' (cdk-nag IAM5)")


def role_statements(
    function_key: str, arns: ResourceArns, *, models: bool, textract: bool = False
) -> list[Statement]:
    """Every data-plane statement of ``function_key``'s role (logs and X-Ray, which CDK adds for the
    function itself, aside). ``models``: Bedrock is the provider, so the model grants apply; ``textract``:
    Textract is the OCR engine, so the OCR grant applies."""
    spec = grants(function_key)
    statements: list[Statement] = [
        Statement(actions=QUEUE_CONSUME_ACTIONS, resources=(arns.queue(q.key),), by_event_source=True)
        for q in QUEUES
        if q.consumer == function_key
    ]
    for grant in spec.objects:
        actions = (OBJECT_READ_ACTIONS if grant.read else ()) + (OBJECT_WRITE_ACTIONS if grant.write else ())
        statements.append(
            Statement(
                actions=actions,
                resources=(f"{arns.bucket(grant.bucket)}/{grant.prefix}*",),
                why_wildcard=(
                    f"Object keys under {grant.prefix} embed the document id, known only at run time; access "
                    f"is limited to that one prefix of the {grant.bucket} bucket, the part of it this step "
                    "owns."
                ),
            )
        )
        if grant.read:  # ListBucket (limited to the prefix) makes a missing key a 404, not a 403
            statements.append(
                Statement(
                    actions=LIST_ACTIONS, resources=(arns.bucket(grant.bucket),), s3_prefix=f"{grant.prefix}*"
                )
            )
    for key in spec.tables:
        table_arn = arns.table(key)
        with_indexes = bool(table(key).gsis)
        statements.append(
            Statement(
                actions=TABLE_DATA_ACTIONS,
                resources=(table_arn, f"{table_arn}/index/*") if with_indexes else (table_arn,),
                why_wildcard=(
                    "The /index/* ARN covers only this table's own GSIs (status-index), which the status "
                    "listing queries; no other table is reachable."
                    if with_indexes
                    else None
                ),
            )
        )
    for narrow in spec.table_grants:
        arn = arns.table(narrow.table)
        resource = f"{arn}/index/{narrow.index}" if narrow.index else arn
        statements.append(Statement(actions=narrow.actions, resources=(resource,)))
    if spec.reads_queue_attributes:
        statements.append(
            Statement(actions=("sqs:GetQueueAttributes",), resources=tuple(arns.queue(q.key) for q in QUEUES))
        )
    if spec.peeks_dead_letters:
        statements.append(
            Statement(
                actions=DEAD_LETTER_PEEK_ACTIONS,
                resources=tuple(arns.dead_letter_queue(q.key) for q in QUEUES),
            )
        )
    if spec.redrives_dead_letters:
        statements.append(
            Statement(
                actions=DEAD_LETTER_REDRIVE_ACTIONS,
                resources=tuple(arns.dead_letter_queue(q.key) for q in QUEUES),
            )
        )
    if spec.sends_to:
        statements.append(
            Statement(actions=QUEUE_SEND_ACTIONS, resources=tuple(arns.queue(k) for k in spec.sends_to))
        )
    if spec.describes_every_queue:
        every = [arn for q in QUEUES for arn in (arns.queue(q.key), arns.dead_letter_queue(q.key))]
        statements.append(Statement(actions=QUEUE_DESCRIBE_ACTIONS, resources=tuple(every)))
    if spec.reads_llm_secret:
        statements.append(Statement(actions=SECRET_READ_ACTIONS, resources=(arns.llm_secret(),)))
    if spec.invokes_models and models:
        statements.append(
            Statement(
                actions=MODEL_INVOKE_ACTIONS,
                # Foundation models have no account, and a cross-region inference profile routes to them in
                # other regions, hence the region wildcard there.
                resources=(
                    f"arn:{arns.partition}:bedrock:*::foundation-model/*",
                    f"arn:{arns.partition}:bedrock:{arns.region}:{arns.account}:inference-profile/*",
                ),
                why_wildcard=(
                    "The model id is chosen at run time (LLM_MODEL, a document profile's override or the "
                    "provider default), either a foundation model or an inference profile that routes to "
                    "foundation models in other regions; only InvokeModel is allowed, on foundation models "
                    "and on this account's inference profiles in this region."
                ),
            )
        )
    if spec.ocr_with_textract and textract:
        statements.append(
            Statement(
                actions=TEXTRACT_ACTIONS,
                resources=("*",),
                why_wildcard=(
                    "textract:DetectDocumentText supports no resource-level permissions; it is granted on "
                    "'*' to the functions that OCR pages only."
                ),
            )
        )
    return statements
