"""The sweeper: an EventBridge schedule invokes it every few minutes, and it ends FAILED every document
whose message died in a DLQ (``DEAD_LETTERED``, the message left for ``doc-enhancer redrive``) or whose step
outlived its maximum time with nothing queued (``TIMED_OUT``). The logic is ``enhancer.pipeline.sweep``.

Why a schedule and not an SQS event source on the DLQs: an event source mapping deletes every message it
handles, so the dead letter would be gone (or, failed on purpose, redelivered forever); a sweep reads the DLQs
without consuming them, and also finds documents that no message will ever move again.
"""

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from enhancer.resources import RESULTS_PREFIX, dlq_name, function, resource_name
from enhancer.storage.documents import STATUS_INDEX
from infra import nag
from infra.config import StackConfig
from infra.constants import DLQ_RETENTION
from infra.constructs.function import EnhancerFunction
from infra.constructs.pipeline import PipelineConstruct
from infra.constructs.storage import StorageConstruct

SWEEP_RATE = Duration.minutes(5)
# A sweep that could not run in time is replaced by the next one; older events are not worth delivering.
SWEEP_EVENT_MAX_AGE = Duration.minutes(5)


class SweeperConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: StorageConstruct,
        pipeline: PipelineConstruct,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.storage = storage
        self.pipeline = pipeline
        self.dlq = self._dead_letter_queue()
        self.function = self._function()
        self.rule = self._schedule()
        self._grant()

    def _dead_letter_queue(self) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "SweeperDlq",
            queue_name=dlq_name(self.config.stage, "sweeper"),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        nag.acknowledge(
            queue,
            "SQS3",
            "This queue is itself the dead-letter queue of the sweeper: sweeps EventBridge could not deliver "
            "and sweeper invocations that failed land here (and raise the sweeper-dlq-not-empty alarm).",
        )
        return queue

    def _function(self) -> EnhancerFunction:
        sweeper = EnhancerFunction(
            self,
            "SweeperFunction",
            spec=function("sweeper"),
            stage=self.config.stage,
            assets=self.pipeline.assets,
            layers=self.pipeline.layers,
            architecture=self.config.lambda_architecture,
            environment=self.pipeline.environment,
            reserved_concurrency=1,  # sweeps never overlap
        )
        # A failed sweep is not retried: the next one, minutes later, does the same work.
        sweeper.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.dlq),
            retry_attempts=0,
            max_event_age=SWEEP_EVENT_MAX_AGE,
        )
        return sweeper

    def _schedule(self) -> events.Rule:
        return events.Rule(
            self,
            "Schedule",
            rule_name=resource_name(self.config.stage, "sweep"),
            description="Ends FAILED the documents whose message died or whose step stalled",
            schedule=events.Schedule.rate(SWEEP_RATE),
            targets=[
                targets.LambdaFunction(
                    self.function.function,
                    dead_letter_queue=self.dlq,
                    retry_attempts=2,
                    max_event_age=SWEEP_EVENT_MAX_AGE,
                )
            ],
        )

    def _grant(self) -> None:
        """Read and fail documents, write their failed result, read every queue's settings and peek at
        (never delete from) the DLQs."""
        role, storage, pipeline = self.function.role, self.storage, self.pipeline
        table = storage.tables["documents"]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"], resources=[table.table_arn]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"], resources=[f"{table.table_arn}/index/{STATUS_INDEX}"]
            )
        )
        storage.grant_objects(role, "output", RESULTS_PREFIX, read=False, write=True)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:GetQueueAttributes"], resources=[q.queue_arn for q in pipeline.queues.values()]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                    "sqs:ChangeMessageVisibility",
                ],
                resources=[q.queue_arn for q in pipeline.dlqs.values()],
            )
        )
