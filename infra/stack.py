"""The whole system in one stack, composed of one construct per concern."""

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import nag
from infra.config import StackConfig
from infra.constructs.api import ApiConstruct
from infra.constructs.function import FunctionAssets
from infra.constructs.observability import ObservabilityConstruct
from infra.constructs.pipeline import PipelineConstruct
from infra.constructs.secrets import SecretsConstruct
from infra.constructs.storage import StorageConstruct
from infra.constructs.sweeper import SweeperConstruct

# The S3 → SQS notification is configured by a CDK-provided singleton Lambda (custom resource).
_BUCKET_NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


class DocumentEnhancerStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        assets: FunctionAssets,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.config = config
        self.storage = StorageConstruct(
            self, "Storage", stage=config.stage, console_origins=config.console_origins
        )
        self.secrets = SecretsConstruct(self, "Secrets", stage=config.stage)
        self.pipeline = PipelineConstruct(
            self,
            "Pipeline",
            config=config,
            storage=self.storage,
            llm_api_keys=self.secrets.llm_api_keys,
            assets=assets,
        )
        self.api = ApiConstruct(
            self,
            "Api",
            config=config,
            storage=self.storage,
            pipeline=self.pipeline,
            assets=assets,
            layers=self.pipeline.layers,
        )
        self.sweeper = SweeperConstruct(
            self, "Sweeper", config=config, storage=self.storage, pipeline=self.pipeline
        )
        self.observability = ObservabilityConstruct(
            self,
            "Observability",
            stage=config.stage,
            alert_email=config.alert_email,
            functions={**self.pipeline.functions, "api": self.api.handler, "sweeper": self.sweeper.function},
            queues=self.pipeline.queues,
            dlqs=self.pipeline.dlqs,
            sweeper_dlq=self.sweeper.dlq,
        )
        self._acknowledge_cdk_internals()
        self._outputs()

    def _acknowledge_cdk_internals(self) -> None:
        handler = self.node.try_find_child(_BUCKET_NOTIFICATIONS_HANDLER)
        if handler is None:
            return
        nag.acknowledge(
            handler,
            "IAM4",
            "CDK's own bucket-notification custom resource runs once per deploy with the AWS managed basic "
            "execution policy; it is not part of the document path.",
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        nag.acknowledge(
            handler,
            "IAM5",
            "s3:PutBucketNotification has no narrower resource form in CDK's notification custom resource; "
            "it only configures the input bucket's S3 → ingest queue notification.",
            "Resource::*",
        )

    def _outputs(self) -> None:
        storage, pipeline = self.storage, self.pipeline
        CfnOutput(self, "InputBucketName", value=storage.input_bucket.bucket_name)
        CfnOutput(self, "OutputBucketName", value=storage.output_bucket.bucket_name)
        CfnOutput(self, "DocumentsTableName", value=storage.tables["documents"].table_name)
        CfnOutput(self, "LlmApiKeysSecretName", value=self.secrets.llm_api_keys.secret_name)
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url)
        CfnOutput(self, "AlertTopicArn", value=self.observability.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.observability.dashboard.dashboard_name)
        CfnOutput(self, "IngestQueueUrl", value=pipeline.queues["ingest"].queue_url)
