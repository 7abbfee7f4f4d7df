"""Buckets and tables: private, encrypted, TLS-only, versioned, recoverable; names and keys from resources."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from enhancer.resources import TABLES, WORK_PREFIX, TableSpec, resource_name
from infra.constants import ACCESS_LOG_EXPIRY_DAYS, NONCURRENT_VERSION_EXPIRY_DAYS, WORK_FILES_EXPIRY_DAYS


class StorageConstruct(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: str, console_origins: tuple[str, ...] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.access_logs = self._access_log_bucket()
        # The console (`doc-enhancer console --stage`) PUTs uploads straight to S3 with the API's presigned
        # URL, from a page on the operator's machine: a cross-origin request the bucket must allow.
        upload_cors = [
            s3.CorsRule(
                allowed_methods=[s3.HttpMethods.PUT],
                allowed_origins=list(console_origins),
                allowed_headers=["*"],
                max_age=3000,
            )
        ]
        self.input_bucket = self._data_bucket(
            "Input", "input/", cors=upload_cors if console_origins else None
        )
        self.output_bucket = self._data_bucket("Output", "output/", expire_work_files=True)
        self.tables = {spec.key: self._table(spec) for spec in TABLES}

    @property
    def buckets(self) -> dict[str, s3.Bucket]:
        """Keyed like ``enhancer.resources.BUCKETS``. Who may touch what: ``enhancer.resources.GRANTS``."""
        return {"input": self.input_bucket, "output": self.output_bucket}

    def _access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(ACCESS_LOG_EXPIRY_DAYS))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        return bucket

    def _data_bucket(
        self,
        construct_id: str,
        log_prefix: str,
        *,
        expire_work_files: bool = False,
        cors: list[s3.CorsRule] | None = None,
    ) -> s3.Bucket:
        rules = [
            s3.LifecycleRule(
                id="expire-noncurrent-versions",
                noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_EXPIRY_DAYS),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ]
        if expire_work_files:
            # work/ holds per-chapter intermediates; results/ is the product and is kept.
            rules.append(
                s3.LifecycleRule(
                    id="expire-work-files",
                    prefix=WORK_PREFIX,
                    expiration=Duration.days(WORK_FILES_EXPIRY_DAYS),
                )
            )
        return s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            cors=cors,
            lifecycle_rules=rules,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=log_prefix,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{spec.key.capitalize()}Table",
            table_name=resource_name(self.stage, spec.key),
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=(
                dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING)
                if spec.sort_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for gsi in spec.gsis:
            table.add_global_secondary_index(
                index_name=gsi.name,
                partition_key=dynamodb.Attribute(name=gsi.partition_key, type=dynamodb.AttributeType.STRING),
                sort_key=(
                    dynamodb.Attribute(name=gsi.sort_key, type=dynamodb.AttributeType.STRING)
                    if gsi.sort_key
                    else None
                ),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table
