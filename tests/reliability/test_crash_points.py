"""Crash points: for each step, the N-th AWS call of one invocation fails (all its SDK retries, through the
fault proxy), for every N that invocation makes, and in bursts of three calls; SQS then redelivers as it
would. Every time the document must end terminal with the clean run's result, one validate message must
have finished it, and no message may be left behind or dead-lettered.

The driver plays the event source mapping itself, one invocation at a time, so "the N-th call of step S"
means the same call in every scenario. A failed record becomes visible again at once (SQS's visibility
timeout, which on AWS is six times the function's timeout: here it is one invocation's time, so that a
record refused because Powertools still holds its idempotency record in progress (the fault hit Powertools'
own write) comes back once that record has expired, as on AWS. The contexts give each invocation 2 s.
"""

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from enhancer.local.emulator import EmbeddedAws
from enhancer.local.faults import CallPlan, FaultProxy
from enhancer.local.functions import load_handler_module, sqs_event
from enhancer.local.provision import dead_letter_queue_urls, provision
from enhancer.models import DocumentStatus
from enhancer.observability import logger
from enhancer.pipeline.context import build_pipeline
from enhancer.resources import INCOMING_PREFIX, QUEUES, RESULTS_PREFIX, QueueSpec
from enhancer.settings import get_settings
from tests.reliability.harness import LARGE, MARKS, clear_caches, normalised, small_pdf

pytestmark = MARKS

INVOCATION_S = 2.0
TARGETS = ("extract", "extract_pages", "enrich", "validate")


class Context:
    """A Lambda context whose remaining time really runs down."""

    def __init__(self, function_key: str, timeout_s: float = INVOCATION_S) -> None:
        self.function_name = f"doc-enhancer-crash-{function_key}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "crash"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Trace:
    status: DocumentStatus
    result: dict[str, Any]
    calls: dict[str, int] = field(default_factory=dict)  # step → calls of its targeted invocation
    operations: dict[str, list[str]] = field(default_factory=dict)
    validate_messages: int = 0
    left_in_queues: int = 0
    dead_letters: int = 0
    invocations: Counter[str] = field(default_factory=Counter)


@dataclass
class CrashStack:
    moto: EmbeddedAws
    proxy: FaultProxy
    plan: CallPlan
    env: dict[str, str]
    admin_sqs: Any
    admin_s3: Any

    def drive(self, pdf: bytes, target: str | None = None, fail: frozenset[int] = frozenset()) -> Trace:
        """Upload one PDF and play every queue until nothing is left; the targeted step's invocation that
        does the most (the fan-in one for page ranges) gets ``fail``."""
        pipeline = build_pipeline(get_settings())
        key = f"{INCOMING_PREFIX}crash-{uuid.uuid4().hex[:8]}.pdf"
        etag = self.admin_s3.put_object(Bucket=self.env["INPUT_BUCKET"], Key=key, Body=pdf)["ETag"]
        from enhancer.pipeline.ids import document_id_for

        document_id = document_id_for(self.env["INPUT_BUCKET"], key, etag.strip('"'))
        trace = Trace(status=DocumentStatus.RECEIVED, result={})
        dead_before = self._dead_letters()
        validate_ids: set[str] = set()
        idle_rounds = 0
        for _ in range(400):
            moved = False
            for spec in QUEUES:
                url = self.env[spec.env_var]
                messages = self.admin_sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=spec.batch_size,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                ).get("Messages", [])
                if not messages:
                    continue
                moved = True
                if spec.key == "validate":
                    validate_ids.update(m["MessageId"] for m in messages)
                self._invoke(spec, messages, trace, target, fail)
            if not moved:
                record = pipeline.documents.get(document_id)
                if record is not None and record.status.is_terminal and self._depth() == 0:
                    break
                idle_rounds += 1
                time.sleep(0.5)  # a message waiting out an in-progress idempotency record
                if idle_rounds > 60:
                    break
            else:
                idle_rounds = 0
        record = pipeline.documents.get(document_id)
        assert record is not None
        trace.status = record.status
        trace.result = json.loads(
            self.admin_s3.get_object(
                Bucket=self.env["OUTPUT_BUCKET"], Key=f"{RESULTS_PREFIX}{document_id}.json"
            )["Body"].read()
        )
        trace.validate_messages = len(validate_ids)
        trace.left_in_queues = self._depth()
        trace.dead_letters = self._dead_letters() - dead_before
        return trace

    def _dead_letters(self) -> int:
        return sum(self._queue_depth(url) for url in dead_letter_queue_urls(self.env["STAGE"]).values())

    def _invoke(
        self,
        spec: QueueSpec,
        messages: list[dict[str, Any]],
        trace: Trace,
        target: str | None,
        fail: frozenset[int],
    ) -> None:
        trace.invocations[spec.consumer] += 1
        targeted = spec.consumer == target and self._is_targeted(
            spec.consumer, trace.invocations[spec.consumer]
        )
        self.plan.arm(fail if targeted else frozenset())
        arn = self.admin_sqs.get_queue_attributes(
            QueueUrl=self.env[spec.env_var], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        try:
            response = load_handler_module(spec.consumer).lambda_handler(
                sqs_event(messages, arn), Context(spec.consumer)
            )
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in messages}
        calls = self.plan.disarm()
        if (
            self._is_targeted(spec.consumer, trace.invocations[spec.consumer])
            and spec.consumer not in trace.calls
        ):
            trace.calls[spec.consumer] = calls
            trace.operations[spec.consumer] = list(self.plan.operations)
        url = self.env[spec.env_var]
        for message in messages:
            if message["MessageId"] in failed:
                # Back after the visibility timeout, as on AWS, where it outlasts the invocation (6x): by then
                # an idempotency record the failed invocation left in progress has expired.
                self.admin_sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=int(INVOCATION_S)
                )
            else:
                self.admin_sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    @staticmethod
    def _is_targeted(function_key: str, invocation: int) -> bool:
        # The page ranges' third (last) range is the fan-in; every other step does its work in its first.
        return invocation == (3 if function_key == "extract_pages" else 1)

    def _queue_depth(self, url: str) -> int:
        attributes = self.admin_sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def _depth(self) -> int:
        return sum(self._queue_depth(self.env[spec.env_var]) for spec in QUEUES)


@pytest.fixture(scope="module")
def crash_stack(embedded_aws: EmbeddedAws) -> Iterator[CrashStack]:
    monkeypatch = pytest.MonkeyPatch()
    plan = CallPlan()
    with FaultProxy(embedded_aws.endpoint_url, plan) as proxy:
        env = {
            "AWS_ENDPOINT_URL": proxy.url,
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "2",  # every attempt of a failed call fails: fewer attempts, shorter runs
            "POWERTOOLS_METRICS_DISABLED": "true",
            "CACHE_ENABLED": "false",
            "EXTRACT_FANOUT_PAGES": "2",  # three pages → three ranges: the pages step and its fan-in run too
            "EXTRACT_PAGES_PER_TASK": "1",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        clear_caches()
        stage = f"crash{uuid.uuid4().hex[:6]}"
        resources = provision(stage, visibility_timeout_s=30)
        for name, value in resources.items():
            monkeypatch.setenv(name, value)
        admin_sqs = boto3.client("sqs", endpoint_url=embedded_aws.endpoint_url)
        admin_sqs.purge_queue(QueueUrl=resources["INGEST_QUEUE_URL"])  # S3's s3:TestEvent
        clear_caches()
        previous_level = logger.log_level
        logger.setLevel("CRITICAL")
        try:
            yield CrashStack(
                embedded_aws,
                proxy,
                plan,
                {**env, **resources},
                admin_sqs,
                boto3.client("s3", endpoint_url=embedded_aws.endpoint_url),
            )
        finally:
            logger.setLevel(previous_level)
            monkeypatch.undo()
            clear_caches()


def _same(result: dict[str, Any]) -> dict[str, Any]:
    """What must not change between two runs of the same PDF under different keys."""
    copy = normalised(result)
    copy["source"].pop("key", None)
    return copy


def _scenarios() -> list[tuple[str, str]]:
    return [(step, kind) for step in TARGETS for kind in ("each call", "bursts of 3")]


_baselines: dict[str, Trace] = {}


def _baseline(crash_stack: CrashStack, step: str) -> Trace:
    """The clean run, with the number of AWS calls the step's targeted invocation makes (once per step)."""
    if step not in _baselines:
        _baselines[step] = crash_stack.drive(small_pdf(7, chapters=3), target=step)
    return _baselines[step]


def _crash_points(calls: int, kind: str) -> list[int]:
    """Every call in ``make soak``; a spread in ``make test`` (first, last and every sixth; bursts twice)."""
    numbers = list(range(1, calls + 1))
    if LARGE:
        return numbers
    if kind == "bursts of 3":
        return sorted({1, max(1, calls // 2)})
    return sorted({*numbers[::6], numbers[-1]})


@pytest.mark.parametrize(("step", "kind"), _scenarios())
def test_a_failing_aws_call_anywhere_in_a_step_never_strands_or_changes_the_document(
    crash_stack: CrashStack, step: str, kind: str
) -> None:
    # Given the clean run of the same PDF, and how many AWS calls the step's invocation makes
    baseline = _baseline(crash_stack, step)
    assert baseline.status == DocumentStatus.COMPLETED
    assert baseline.validate_messages == 1
    calls, operations = baseline.calls[step], baseline.operations[step]
    assert calls > 0
    for number in _crash_points(calls, kind):
        fail = frozenset({number}) if kind == "each call" else frozenset(range(number, number + 3))
        # When that call (and, for a burst, the two after it) fails with every SDK retry
        trace = crash_stack.drive(small_pdf(7, chapters=3), target=step, fail=fail)
        where = f"{step}: call {number} of {calls} ({operations[number - 1]}) failed"
        # Then the document still ends as the clean run did, finished by one validate message
        assert trace.status == DocumentStatus.COMPLETED, where
        assert _same(trace.result) == _same(baseline.result), where
        assert trace.validate_messages == 1, where
        assert trace.left_in_queues == 0, where
        assert trace.dead_letters == 0, where
