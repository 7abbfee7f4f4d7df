"""Buckets and tables: private, encrypted, TLS-only, versioned, recoverable; names and keys from resources."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from enhancer.resources import TABLES, WORK_PREFIX, TableSpec, resource_name
from infra import nag
from infra.constants import ACCESS_LOG_EXPIRY_DAYS, NONCURRENT_VERSION_EXPIRY_DAYS, WORK_FILES_EXPIRY_DAYS


class StorageConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.access_logs = self._access_log_bucket()
        self.input_bucket = self._data_bucket("Input", "input/")
        self.output_bucket = self._data_bucket("Output", "output/", expire_work_files=True)
        self.tables = {spec.key: self._table(spec) for spec in TABLES}
        self._tables_with_gsi = {spec.key for spec in TABLES if spec.gsis}

    @property
    def buckets(self) -> dict[str, s3.Bucket]:
        """Keyed like ``enhancer.resources.BUCKETS``."""
        return {"input": self.input_bucket, "output": self.output_bucket}

    def grant_objects(
        self, role: iam.IRole, bucket_key: str, prefix: str, *, read: bool, write: bool
    ) -> None:
        """Object access under one prefix, with exact actions.

        Why not ``bucket.grant_read``: it adds ``s3:GetBucket*``, ``s3:List*`` and ``s3:Abort*`` on the whole
        bucket, more than a step needs. ``ListBucket`` (limited to the prefix) makes a missing key a 404.
        """
        bucket = self.buckets[bucket_key]
        objects = bucket.arn_for_objects(f"{prefix}*")
        actions = (["s3:GetObject"] if read else []) + (["s3:PutObject"] if write else [])
        role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[objects]))
        if read:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                )
            )
        nag.acknowledge(
            role,
            "IAM5",
            f"Object keys under {prefix} embed the document id, known only at run time; access is limited to "
            f"that one prefix of the {bucket_key} bucket, the part of it this step owns.",
            f"Resource::{nag.arn_of(bucket)}/{prefix}*",
        )

    def grant_table_data(self, role: iam.IRole, table_key: str) -> None:
        """Item read/write on one table (and its indexes: listing by status queries the GSI)."""
        table = self.tables[table_key]
        table.grant_read_write_data(role)
        if table_key in self._tables_with_gsi:
            nag.acknowledge(
                role,
                "IAM5",
                "The /index/* ARN covers only this table's own GSIs (status-index), which the status "
                "listing queries; no other table is reachable.",
                f"Resource::{nag.arn_of(table)}/index/*",
            )

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
        self, construct_id: str, log_prefix: str, *, expire_work_files: bool = False
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
