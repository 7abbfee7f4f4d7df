"""``doc-enhancer redrive`` and the sweeper's DLQ listing: a message the listing holds hidden is waited for,
not left behind (under load a listing outlasted redrive's old 10 s wait and the redrive moved 0); and the
sweeper keeps them hidden until it has settled their documents (a redrive in between moved a message back
just before the sweeper ended its document FAILED, and the document stayed FAILED)."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from enhancer.cli.app import app
from enhancer.cli.ops import IN_FLIGHT_WAIT_S
from enhancer.local.provision import dead_letter_queue_urls, provision
from enhancer.pipeline.queue_state import PEEK_HIDE_S, QueueInspector
from enhancer.resources import QUEUES
from enhancer.settings import get_settings

pytestmark = pytest.mark.integration
STAGE = "redrive"


@pytest.fixture
def resources(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    get_settings.cache_clear()
    found = provision(STAGE, visibility_timeout_s=20)
    sqs: Any = boto3.client("sqs")
    for spec in QUEUES:  # the s3:TestEvent that setting up the notification sent
        sqs.purge_queue(QueueUrl=found[spec.env_var])
    for spec in QUEUES:  # the CLI finds the queues by stage, as an operator's shell has no queue URLs
        monkeypatch.delenv(spec.env_var, raising=False)
    yield found
    get_settings.cache_clear()


def test_redrive_waits_at_least_as_long_as_a_listing_can_hide_a_message() -> None:
    assert IN_FLIGHT_WAIT_S > PEEK_HIDE_S


def test_a_dead_letter_hidden_by_a_listing_that_died_is_still_redriven(
    resources: dict[str, str], aws_endpoint: str
) -> None:
    # Given a message in the ingest DLQ that a listing received and never showed again (hidden for 3 s)
    sqs: Any = boto3.client("sqs")
    dlq = dead_letter_queue_urls(STAGE)["ingest"]
    sqs.send_message(QueueUrl=dlq, MessageBody='{"not": "a notification of a known document"}')
    held = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1, VisibilityTimeout=3)
    assert len(held["Messages"]) == 1
    # When the operator redrives the ingest queue
    result = CliRunner().invoke(
        app, ["redrive", "--queue", "ingest", "--endpoint-url", aws_endpoint, "--stage", STAGE]
    )
    # Then the message came back, was moved to its queue, and the DLQ is empty
    assert result.exit_code == 0, result.output
    assert "ingest: 1 message(s) moved" in result.stdout
    ingest = sqs.receive_message(QueueUrl=resources["INGEST_QUEUE_URL"], MaxNumberOfMessages=10)
    assert [m["Body"] for m in ingest["Messages"]] == ['{"not": "a notification of a known document"}']
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == (
        "0",
        "0",
    )


def test_the_sweeper_holds_dead_letters_hidden_until_it_has_settled_their_documents(
    resources: dict[str, str],
) -> None:
    # Given a dead letter
    sqs: Any = boto3.client("sqs")
    dlq = dead_letter_queue_urls(STAGE)["ingest"]
    sqs.send_message(QueueUrl=dlq, MessageBody="{}")
    inspector = QueueInspector()
    # When the sweeper holds it (fail_dead_lettered settles the documents inside this block)
    with inspector.holding(dlq, limit=10) as held:
        # Then no other reader (a redrive) can take it meanwhile
        assert len(held) == 1
        assert sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []) == []
    # And it is visible again, still in the DLQ, once the block ends
    assert [m["Body"] for m in inspector.peek(dlq, limit=10)] == ["{}"]
