"""Operator commands: ``health``, ``status``, ``list``, ``redrive``, ``reprocess``.

They talk to the stack's AWS resources directly (not through the IAM-authorised API): a local stack through
``--endpoint-url`` (what ``doc-enhancer serve`` prints) or ``AWS_ENDPOINT_URL``, a deployed one with the
normal AWS credentials. Resource names come from the env vars the functions read (``DOCUMENTS_TABLE``,
``INPUT_BUCKET``, ``INGEST_QUEUE_URL``…) and, where unset, from ``--stage`` with the naming of
``enhancer.resources`` (``doc-enhancer-{stage}-{key}``). A deployed stack's buckets have generated names:
export ``INPUT_BUCKET`` and ``OUTPUT_BUCKET`` from the stack outputs.
"""

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Annotated, Any, TypeVar

import typer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from enhancer.api import documents, health
from enhancer.api.errors import ApiError, Conflict
from enhancer.api.services import ApiServices, build_services
from enhancer.errors import PipelineError, RetryableError
from enhancer.models import DocumentStatus
from enhancer.pipeline.queue_state import PEEK_HIDE_S
from enhancer.resources import DEFAULT_STAGE, QUEUES, resource_name
from enhancer.settings import LlmSettings, StorageSettings
from enhancer.storage import QueueClient

EXIT_OK, EXIT_ERROR, EXIT_DEGRADED = 0, 1, 3
LOCAL_STAGE = "local"
# Fail in seconds when the stack is not there, instead of after the SDK's default retries.
# How long redrive waits for DLQ messages in flight to come back: as long as the sweeper's listing can hide
# one (under load a listing can outlast a shorter wait, and the message was then left behind, moved 0).
IN_FLIGHT_WAIT_S = float(PEEK_HIDE_S + 5)
FAST_FAIL = Config(connect_timeout=3, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})

EndpointOption = Annotated[
    str | None,
    typer.Option(help="AWS endpoint of a local stack (what `serve` prints); else AWS_ENDPOINT_URL"),
]
StageOption = Annotated[
    str | None,
    typer.Option(help="stage for resource names (default: STAGE, else local with an endpoint, else dev)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable JSON on stdout")]

T = TypeVar("T")


class OpsError(Exception):
    """One line for the operator; the command exits 1."""


def resolve_services(endpoint_url: str | None, stage: str | None) -> ApiServices:
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and not os.environ.get("AWS_ACCESS_KEY_ID"):
        # An emulator accepts any credentials; a real account is never reached through an endpoint override.
        os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    stage = stage or os.environ.get("STAGE") or (LOCAL_STAGE if endpoint else DEFAULT_STAGE)
    storage = StorageSettings()
    values: dict[str, str] = {
        "documents_table": storage.documents_table or resource_name(stage, "documents"),
        "input_bucket": storage.input_bucket or resource_name(stage, "input"),
        "output_bucket": storage.output_bucket or resource_name(stage, "output"),
    }
    services = build_services(
        storage.model_copy(update=values),
        LlmSettings(),
        max_file_bytes=0,
        profiles=frozenset(),
        client_config=FAST_FAIL,
    )
    for spec in QUEUES:
        if not services.queue_urls.get(spec.key):
            services.queue_urls[spec.key] = _queue_url(
                services.queues, resource_name(stage, spec.key), endpoint
            )
    return services


def _queue_url(queues: QueueClient, name: str, endpoint: str | None) -> str:
    try:
        return queues.queue_url(name)
    except RetryableError as exc:
        raise OpsError(f"cannot reach AWS at {endpoint or 'the default endpoint'} ({exc.message})") from exc
    except PipelineError as exc:
        raise OpsError(f"queue {name} not found (wrong --stage, or the stack is not deployed)") from exc


def _run(action: Callable[[], T]) -> T:
    """Run an operator action; one line on stderr and exit 1 for anything it cannot do."""
    try:
        return action()
    except OpsError as exc:
        message = str(exc)
    except ApiError as exc:
        message = exc.message
    except PipelineError as exc:
        message = f"AWS call failed: {exc.message}"
    except (BotoCoreError, ClientError) as exc:
        message = f"AWS call failed: {exc}"
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _emit_json(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    typer.echo(json.dumps(data, indent=2))


def _console() -> Any:
    from rich.console import Console

    return Console(file=sys.stdout)


def health_command(
    detailed: Annotated[bool, typer.Option("--detailed", help="every dependency with its latency")] = False,
    endpoint_url: EndpointOption = None,
    stage: StageOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the stack: exit 0 healthy, 3 degraded, 1 unhealthy or unreachable."""
    report = _run(lambda: health.detailed_health(resolve_services(endpoint_url, stage)))
    if all(c.status == "unavailable" for c in report.checks if c.kind != "provider"):
        typer.echo(f"error: the stack is unreachable ({report.checks[0].message})", err=True)
        raise typer.Exit(EXIT_ERROR)
    if as_json:
        _emit_json(
            report if detailed else {"status": report.status, "timestamp": report.timestamp.isoformat()}
        )
    elif detailed:
        from rich.table import Table

        colours = {"ok": "green", "degraded": "yellow", "unavailable": "red"}
        table = Table(title=f"health: {report.status}")
        for column in ("check", "kind", "status", "latency (ms)", "detail"):
            table.add_column(column, justify="right" if column == "latency (ms)" else "left")
        for check in report.checks:
            colour = colours[check.status]
            table.add_row(
                check.name,
                check.kind,
                f"[{colour}]{check.status}[/{colour}]",
                f"{check.latency_ms:.1f}",
                check.message,
            )
        _console().print(table)
    else:
        _console().print(f"{report.status}", highlight=False)
    raise typer.Exit({"healthy": EXIT_OK, "degraded": EXIT_DEGRADED}.get(report.status, EXIT_ERROR))


def _check_document_id(document_id: str) -> None:
    """A value that cannot be a document id is a usage error, said before any AWS call."""
    import re

    from enhancer.api.models import DOCUMENT_ID_PATTERN

    if not re.fullmatch(DOCUMENT_ID_PATTERN, document_id):
        typer.echo(
            f"error: {document_id[:64]!r} is not a document id (32 lower-case hex characters)", err=True
        )
        raise typer.Exit(2)


def status_command(
    document_id: Annotated[str, typer.Argument(help="the 32-character document id")],
    endpoint_url: EndpointOption = None,
    stage: StageOption = None,
    as_json: JsonOption = False,
) -> None:
    """One document's status record."""
    _check_document_id(document_id)
    document = _run(lambda: documents.get_document(resolve_services(endpoint_url, stage), document_id))
    if as_json:
        _emit_json(document)
        return
    from rich.table import Table

    table = Table(show_header=False, title=f"document {document.document_id}")
    for name, value in document.model_dump(mode="json").items():
        if value not in (None, "", 0) or name in ("status", "chapters_done"):
            table.add_row(name, str(value))
    _console().print(table)


def list_command(
    status: Annotated[DocumentStatus | None, typer.Option(help="only documents in this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="page size")] = 20,
    next_token: Annotated[str | None, typer.Option(help="continue a previous listing")] = None,
    endpoint_url: EndpointOption = None,
    stage: StageOption = None,
    as_json: JsonOption = False,
) -> None:
    """Documents, newest first within a status (all statuses: unordered)."""
    page = _run(
        lambda: documents.list_documents(resolve_services(endpoint_url, stage), status, limit, next_token)
    )
    if as_json:
        _emit_json(page)
        return
    from rich.table import Table

    table = Table(title=f"{len(page.items)} document(s)")
    for column in ("document", "status", "file", "chapters", "error code", "updated"):
        table.add_column(column)
    for doc in page.items:
        table.add_row(
            doc.document_id,
            doc.status.value,
            doc.source_key.rsplit("/", 1)[-1],
            f"{doc.chapters_done + doc.chapters_failed}/{doc.chapter_count or '?'}",
            doc.error_code.value if doc.error_code else "",
            doc.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    _console().print(table)
    if page.next_token:
        _console().print(f"more: --next-token {page.next_token}", highlight=False, soft_wrap=True)


@dataclass
class Redriven:
    moved: int = 0  # messages sent back to their queue
    reprocessed: int = 0  # FAILED documents run again from extraction (each once)
    dropped: int = 0  # messages of a run that a reprocess has replaced since


def redrive_messages(
    services: ApiServices, queue_key: str, dlq_url: str, source_url: str, reprocessed: set[str]
) -> Redriven:
    """Empty a DLQ: a message whose document ended FAILED on the message's run (the sweeper's
    ``DEAD_LETTERED``, or the step's last attempt) has that document reprocessed, once; a message of an
    earlier run is dropped; any other goes back to its source queue, body and attributes kept.

    Send (or reprocess) first, then delete: a crash in between repeats a message, which the idempotent
    consumers absorb, rather than losing one."""
    from enhancer.pipeline.sweep import dead_letter_of  # the pipeline steps load only for this command

    counts = Redriven()
    for message in _drain(services.queues, dlq_url):
        letter = dead_letter_of(queue_key, message)
        record = services.documents.get(letter.document_id) if letter else None
        if letter and letter.document_id in reprocessed:
            pass  # its document's new run does this message's work again
        elif letter and record and letter.older_than(record.run):
            counts.dropped += 1
        elif (
            letter
            and record
            and record.status == DocumentStatus.FAILED
            and letter.of_run(record.run)
            and _reprocess(services, letter.document_id)
        ):
            reprocessed.add(letter.document_id)
            counts.reprocessed += 1
        else:
            attributes = {
                name: value["StringValue"]
                for name, value in message.get("MessageAttributes", {}).items()
                if "StringValue" in value
            }
            services.queues.send_message(source_url, message["Body"], attributes)
            counts.moved += 1
        services.queues.delete(dlq_url, [message["ReceiptHandle"]])
    return counts


def _reprocess(services: ApiServices, document_id: str) -> bool:
    """False when the document left FAILED meanwhile (someone reprocessed it): its message goes back."""
    try:
        documents.reprocess(services, document_id)
    except Conflict:
        return False
    return True


def _drain(queues: QueueClient, dlq_url: str) -> Iterator[dict[str, Any]]:
    """Every message of the DLQ, once. The sweeper hides messages for a moment while it lists them, so an
    empty receive is believed only once the queue has nothing in flight either (or after a short wait)."""
    deadline: float | None = None
    while True:
        messages = queues.receive(dlq_url, max_messages=10, wait_s=0, visibility_timeout_s=60)
        if messages:
            deadline = None
            yield from messages
            continue
        if queues.approximate_depth(dlq_url) == 0:
            return
        deadline = deadline or time.monotonic() + IN_FLIGHT_WAIT_S
        if time.monotonic() > deadline:
            return
        time.sleep(0.2)


def redrive_command(
    queue: Annotated[str, typer.Option(help="ingest | pages | enrich | validate | all")] = "all",
    endpoint_url: EndpointOption = None,
    stage: StageOption = None,
    as_json: JsonOption = False,
) -> None:
    """Empty the dead-letter queues: messages go back to their queue, and FAILED documents whose message died
    are reprocessed; prints the counts per queue."""
    keys = [spec.key for spec in QUEUES]
    if queue != "all" and queue not in keys:
        typer.echo(f"error: --queue must be one of {', '.join(keys)} or all", err=True)
        raise typer.Exit(EXIT_ERROR)
    selected = keys if queue == "all" else [queue]

    def redrive_all() -> dict[str, Redriven]:
        services = resolve_services(endpoint_url, stage)
        counts = {}
        reprocessed: set[str] = set()
        for key in selected:
            source = services.queue_urls[key]
            dlq = services.queues.dead_letter_queue_url(source)
            if dlq is None:
                raise OpsError(f"the {key} queue has no dead-letter queue")
            counts[key] = redrive_messages(services, key, dlq, source, reprocessed)
        return counts

    counts = _run(redrive_all)
    if as_json:
        _emit_json({key: asdict(count) for key, count in counts.items()})
        return
    for key, count in counts.items():
        line = f"{key}: {count.moved} message(s) moved back from the dead-letter queue"
        if count.reprocessed:
            line += f", {count.reprocessed} failed document(s) reprocessed"
        if count.dropped:
            line += f", {count.dropped} message(s) of an earlier run dropped"
        _console().print(line, highlight=False)


def reprocess_command(
    document_id: Annotated[str, typer.Argument(help="the 32-character document id")],
    endpoint_url: EndpointOption = None,
    stage: StageOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a finished document again from extraction (refused while it is still running)."""
    _check_document_id(document_id)
    accepted = _run(lambda: documents.reprocess(resolve_services(endpoint_url, stage), document_id))
    if as_json:
        _emit_json(accepted)
    else:
        _console().print(
            f"{accepted.document_id}: {accepted.status.value} (run {accepted.run})", highlight=False
        )
