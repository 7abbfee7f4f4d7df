"""The S3 → SQS → extract → enrich → validate chain: queues with DLQs, layers, functions, least privilege."""

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from enhancer.observability import METRICS_NAMESPACE, SERVICE_NAME
from enhancer.resources import (
    BUCKETS,
    INCOMING_PREFIX,
    PDF_KEY_SUFFIXES,
    QUEUES,
    RESULTS_PREFIX,
    TABLES,
    WORK_PREFIX,
    QueueSpec,
    dlq_name,
    function,
    resource_name,
)
from infra import nag
from infra.config import StackConfig
from infra.constants import DLQ_RETENTION
from infra.constructs.function import RUNTIME, EnhancerFunction, FunctionAssets
from infra.constructs.storage import StorageConstruct

SECRET_ENV_VAR = "LLM_API_KEYS_SECRET"  # noqa: S105 - the name of an env var, not a secret
# Pseudo-parameters rather than the stack's env, so the ARNs (and the cdk-nag findings) read the same whether
# or not account/region are given. Foundation models have no account, and a cross-region inference profile
# routes to them in other regions, hence the region wildcard there.
BEDROCK_MODEL_ARNS = (
    f"arn:{Aws.PARTITION}:bedrock:*::foundation-model/*",
    f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:inference-profile/*",
)
BEDROCK_MODEL_FINDINGS = (
    "Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/*",
    "Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/*",
)


class PipelineConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: StorageConstruct,
        llm_api_keys: secretsmanager.ISecret,
        assets: FunctionAssets,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.storage = storage
        self.assets = assets
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for spec in QUEUES:
            self.queues[spec.key], self.dlqs[spec.key] = self._queue_with_dlq(spec)
        self.layers = self._layers()
        self.environment = self._environment()
        secret_env = {SECRET_ENV_VAR: llm_api_keys.secret_arn}  # ARN: exact, and accepted as SecretId
        self.secret_env = secret_env
        self.extract = self._function("extract", ocr=True)
        self.extract_pages = self._function("extract_pages", ocr=True)
        self.enrich = self._function("enrich", extra_env=secret_env, reserved_concurrency=config.max_workers)
        self.validate = self._function("validate", extra_env=secret_env)
        self._notify_ingest_on_upload()
        for spec in QUEUES:
            self._subscribe(spec)
        self._grant_extract()
        self._grant_extract_pages()
        self._grant_enrich(llm_api_keys)
        self._grant_validate(llm_api_keys)

    @property
    def functions(self) -> dict[str, EnhancerFunction]:
        return {
            "extract": self.extract,
            "extract_pages": self.extract_pages,
            "enrich": self.enrich,
            "validate": self.validate,
        }

    # --- queues ------------------------------------------------------------------------------------------

    def _queue_with_dlq(self, spec: QueueSpec) -> tuple[sqs.Queue, sqs.Queue]:
        name = spec.key.capitalize()
        dlq = sqs.Queue(
            self,
            f"{name}Dlq",
            queue_name=dlq_name(self.config.stage, spec.key),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        queue = sqs.Queue(
            self,
            f"{name}Queue",
            queue_name=resource_name(self.config.stage, spec.key),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
        )
        return queue, dlq

    def _notify_ingest_on_upload(self) -> None:
        # One rule per spelling of .pdf: S3 filters are case-sensitive (REPORT.PDF would never be processed).
        for suffix in PDF_KEY_SUFFIXES:
            self.storage.input_bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.SqsDestination(self.queues["ingest"]),
                s3.NotificationKeyFilter(prefix=INCOMING_PREFIX, suffix=suffix),
            )

    def _subscribe(self, spec: QueueSpec) -> None:
        consumer = self.functions[spec.consumer].invocable
        consumer.add_event_source(
            sources.SqsEventSource(
                self.queues[spec.key],
                batch_size=spec.batch_size,
                max_batching_window=(
                    Duration.seconds(spec.max_batching_window_s) if spec.max_batching_window_s else None
                ),
                report_batch_item_failures=True,
            )
        )

    # --- functions -----------------------------------------------------------------------------------------

    def _layers(self) -> list[lambda_.ILayerVersion]:
        architecture = self.config.lambda_architecture
        return [
            lambda_.LayerVersion(
                self,
                f"{name.capitalize()}Layer",
                code=lambda_.Code.from_asset(str(path)),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[architecture],
                description=description,
            )
            for name, path, description in (
                ("core", self.assets.core_layer, "enhancer package + config (python/enhancer)"),
                ("deps", self.assets.deps_layer, "third-party pins, pip --platform build"),
            )
        ]

    def _environment(self) -> dict[str, str]:
        """What every function reads: resource names by their ``env_var``, Powertools and the LLM budget."""
        config = self.config
        env = {
            "STAGE": config.stage,
            "LOG_LEVEL": config.log_level,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "LLM_PROVIDER": config.llm_provider,
            "RATE_LIMIT": str(config.rate_limit),
            "MAX_WORKERS": str(config.max_workers),
            "CACHE_ENABLED": str(config.cache_enabled).lower(),
            "CACHE_TTL": str(config.cache_ttl_s),
            "OCR_ENGINE": config.ocr_engine,
        }
        if config.llm_model:
            env["LLM_MODEL"] = config.llm_model
        env |= {spec.env_var: self.storage.buckets[spec.key].bucket_name for spec in BUCKETS}
        env |= {spec.env_var: self.storage.tables[spec.key].table_name for spec in TABLES}
        env |= {spec.env_var: self.queues[spec.key].queue_url for spec in QUEUES}
        return env

    def _function(
        self,
        key: str,
        *,
        scope: Construct | None = None,
        extra_env: dict[str, str] | None = None,
        reserved_concurrency: int | None = None,
        ocr: bool = False,
    ) -> EnhancerFunction:
        spec = function(key)
        # RapidOCR does not fit a zip function's 250 MB: the functions that OCR with it are one image.
        image = self.assets.image_code(spec) if ocr and self.assets.ocr_image_context is not None else None
        return EnhancerFunction(
            scope or self,
            "".join(part.capitalize() for part in key.split("_")) + "Function",
            spec=spec,
            stage=self.config.stage,
            assets=self.assets,
            layers=self.layers,
            architecture=self.config.lambda_architecture,
            environment=self.environment | (extra_env or {}),
            reserved_concurrency=reserved_concurrency,
            image=image,
        )

    # --- least privilege: each step gets what it touches and nothing else ----------------------------------

    def _grant_extract(self) -> None:
        role, storage = self.extract.role, self.storage
        storage.grant_objects(role, "input", INCOMING_PREFIX, read=True, write=False)
        storage.grant_objects(role, "output", WORK_PREFIX, read=False, write=True)
        for key in ("documents", "idempotency"):
            storage.grant_table_data(role, key)
        self.queues["enrich"].grant_send_messages(role)
        self.queues["pages"].grant_send_messages(role)  # huge documents fan out in page ranges
        self._grant_textract(self.extract)

    def _grant_extract_pages(self) -> None:
        """A range worker reads the upload and writes its pages; the fan-in reads them all back (work/),
        writes the chapters and queues enrichment, exactly like the extract step."""
        role, storage = self.extract_pages.role, self.storage
        storage.grant_objects(role, "input", INCOMING_PREFIX, read=True, write=False)
        storage.grant_objects(role, "output", WORK_PREFIX, read=True, write=True)
        for key in ("documents", "idempotency"):
            storage.grant_table_data(role, key)
        self.queues["enrich"].grant_send_messages(role)
        self._grant_textract(self.extract_pages)

    def _grant_textract(self, fn: EnhancerFunction) -> None:
        """``textract:DetectDocumentText`` for the functions that OCR, when Textract is the engine; it has
        no resource-level permissions, so the action is granted on ``*``."""
        if self.config.ocr_engine not in ("auto", "textract"):
            return
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["textract:DetectDocumentText"], resources=["*"])
        )
        nag.acknowledge(
            fn.role,
            "IAM5",
            "textract:DetectDocumentText supports no resource-level permissions; it is granted on '*' "
            "to the extract functions only.",
            "Resource::*",
        )

    def _grant_enrich(self, secret: secretsmanager.ISecret) -> None:
        role, storage = self.enrich.role, self.storage
        storage.grant_objects(role, "output", WORK_PREFIX, read=True, write=True)
        for key in ("documents", "cache", "ratelimit", "idempotency"):
            storage.grant_table_data(role, key)
        self.queues["validate"].grant_send_messages(role)
        secret.grant_read(role)
        self._grant_bedrock(role)

    def _grant_validate(self, secret: secretsmanager.ISecret) -> None:
        role, storage = self.validate.role, self.storage
        storage.grant_objects(role, "output", WORK_PREFIX, read=True, write=False)
        storage.grant_objects(role, "output", RESULTS_PREFIX, read=False, write=True)
        for key in ("documents", "idempotency"):
            storage.grant_table_data(role, key)
        secret.grant_read(role)
        self._grant_bedrock(role)

    def _grant_bedrock(self, role: iam.IRole) -> None:
        """Converse needs ``bedrock:InvokeModel`` only; granted only when Bedrock is the provider."""
        if self.config.llm_provider != "bedrock":
            return
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=list(BEDROCK_MODEL_ARNS))
        )
        nag.acknowledge(
            role,
            "IAM5",
            "The model id is chosen at run time (LLM_MODEL, a document profile's override or the provider "
            "default), either a foundation model or an inference profile that routes to foundation models in "
            "other regions; only InvokeModel is allowed, on foundation models and on this account's "
            "inference profiles in this region.",
            *BEDROCK_MODEL_FINDINGS,
        )

    def api_statements(self) -> list[iam.PolicyStatement]:
        """Health reads every queue's attributes (DLQs included) without being able to read a message."""
        arns = [q.queue_arn for q in (*self.queues.values(), *self.dlqs.values())]
        return [iam.PolicyStatement(actions=["sqs:GetQueueAttributes", "sqs:GetQueueUrl"], resources=arns)]
