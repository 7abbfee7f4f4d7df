"""The S3 → SQS → extract → enrich → validate chain: queues with DLQs, layers, functions, least privilege."""

from aws_cdk import Aws, Duration
from aws_cdk import aws_dynamodb as dynamodb
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
    TABLES,
    QueueSpec,
    dlq_name,
    event_source_max_concurrency,
    function,
    reserved_concurrency,
    resource_name,
)
from infra import nag
from infra.config import StackConfig
from infra.constants import DLQ_RETENTION
from infra.constructs.function import RUNTIME, EnhancerFunction, FunctionAssets
from infra.constructs.storage import StorageConstruct

SECRET_ENV_VAR = "LLM_API_KEYS_SECRET"  # noqa: S105 - the name of an env var, not a secret


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
        self.llm_api_keys = llm_api_keys
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
        self.enrich = self._function("enrich", extra_env=secret_env)
        self.validate = self._function("validate", extra_env=secret_env)
        self._notify_ingest_on_upload()
        for spec in QUEUES:
            self._subscribe(spec)
        models = config.llm_provider == "bedrock"  # Bedrock grants only when Bedrock is the provider
        textract = config.ocr_engine in ("auto", "textract")  # on Lambda, auto is Textract
        for fn in self.functions.values():
            fn.grant(self.arns, self.findings, models=models, textract=textract)

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
                # Never more concurrent batches than the function may run: a throttled invocation's
                # messages count a receive each, and would reach the DLQ without being processed.
                max_concurrency=event_source_max_concurrency(spec.consumer, self.config.max_workers),
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
            reserved_concurrency=reserved_concurrency(key, self.config.max_workers),
            image=image,
        )

    # --- least privilege: each step gets what enhancer.resources.GRANTS says, and nothing else --------------

    @property
    def arns(self) -> "StackArns":
        return StackArns(self, findings=False)

    @property
    def findings(self) -> "StackArns":
        """The same resources as cdk-nag writes them in a finding (``<LogicalId.Arn>``)."""
        return StackArns(self, findings=True)


class StackArns:
    """``enhancer.resources.ResourceArns`` for this stack: CDK tokens, or cdk-nag's names for them.

    Pseudo-parameters rather than the stack's env, so the ARNs (and the cdk-nag findings) read the same
    whether or not account/region are given."""

    def __init__(self, pipeline: PipelineConstruct, *, findings: bool) -> None:
        self._pipeline = pipeline
        self._findings = findings
        self.partition = "<AWS::Partition>" if findings else Aws.PARTITION
        self.region = "<AWS::Region>" if findings else Aws.REGION
        self.account = "<AWS::AccountId>" if findings else Aws.ACCOUNT_ID

    def _arn(self, resource: s3.Bucket | dynamodb.Table | sqs.Queue, arn: str) -> str:
        return nag.arn_of(resource) if self._findings else arn

    def bucket(self, key: str) -> str:
        bucket = self._pipeline.storage.buckets[key]
        return self._arn(bucket, bucket.bucket_arn)

    def table(self, key: str) -> str:
        table = self._pipeline.storage.tables[key]
        return self._arn(table, table.table_arn)

    def queue(self, key: str) -> str:
        queue = self._pipeline.queues[key]
        return self._arn(queue, queue.queue_arn)

    def dead_letter_queue(self, key: str) -> str:
        queue = self._pipeline.dlqs[key]
        return self._arn(queue, queue.queue_arn)

    def llm_secret(self) -> str:
        secret = self._pipeline.llm_api_keys
        return f"<{secret.node.id}>" if self._findings else secret.secret_arn
