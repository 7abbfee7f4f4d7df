"""A local run from start to finish: emulation, resources, uploads, event sources, results on disk.

``LocalSession`` is what ``doc-enhancer run`` and the e2e tests drive. Handlers read their settings from the
environment this sets (the resource env var names of ``enhancer.resources``), like on Lambda.
"""

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
from pydantic import BaseModel

from enhancer.errors import PipelineError, RetryableError
from enhancer.models import DocumentRecord, DocumentStatus, ErrorCode
from enhancer.observability import logger
from enhancer.pipeline.context import Pipeline, build_pipeline, clear_pipeline_cache
from enhancer.pipeline.idempotency import clear_idempotency_cache
from enhancer.pipeline.ids import document_id_for
from enhancer.pipeline.lifecycle import failed_result
from enhancer.providers.cache import DEFAULT_LOCAL_CACHE_DIR
from enhancer.resources import INCOMING_PREFIX, QUEUES
from enhancer.settings import get_settings
from enhancer.storage import clear_clients

LOCAL_STAGE = "local"
LOCAL_VISIBILITY_TIMEOUT_S = 120
DEFAULT_STALL_TIMEOUT_S = 900.0
MAX_READ_BACKOFF_S = 5.0
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # the emulation accepts anything; no real account is reachable
    "AWS_DEFAULT_REGION": "us-east-1",
}


class RunError(Exception):
    """A fatal problem with the run itself (nothing to process, the emulation will not start, a stall, AWS
    failing while the run watches). Once uploads began, ``summaries`` says where each document got to; the
    results of the finished ones are already written."""

    def __init__(self, message: str, summaries: list["DocumentSummary"] | None = None) -> None:
        super().__init__(message)
        self.summaries = summaries or []


class RunInterrupted(Exception):
    """Ctrl-C during a run: the results of the finished documents are written; ``summaries`` says where each
    document got to."""

    def __init__(self, summaries: list["DocumentSummary"]) -> None:
        super().__init__("interrupted")
        self.summaries = summaries


class DocumentSummary(BaseModel):
    file: str
    document_id: str
    status: DocumentStatus | None = None
    pages: int | None = None
    chapters: int | None = None
    chapters_finished: int = 0
    error_code: str | None = None
    error_message: str | None = None
    seconds: float | None = None
    llm_calls: int = 0
    cache_hits: int = 0
    estimated_cost_usd: float = 0.0
    result_file: str | None = None


@dataclass
class RunOptions:
    out_dir: Path = Path("outputs")
    provider: str | None = None
    profile: str | None = None
    workers: int | None = None
    endpoint_url: str | None = None
    config_dir: Path | None = None
    stage: str = LOCAL_STAGE
    retry_delay_s: int = 1
    stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S
    poll_interval_s: float = 0.25
    # Reads of the run's own progress (status, result) retried on transient AWS errors, with doubling waits.
    read_attempts: int = 6
    read_backoff_s: float = 0.5
    sweep_interval_s: float = 1.0
    log_level: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)


def find_pdfs(paths: Iterable[Path]) -> list[Path]:
    """PDFs named directly, and every ``*.pdf`` under the folders named (sorted, case-insensitive)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf"))
        elif path.is_file():
            found.append(path)
        else:
            raise RunError(f"{path}: no such file or folder")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise RunError("no PDF files found in " + ", ".join(str(p) for p in paths))
    return unique


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    _clear_caches()
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        _clear_caches()


def _clear_caches() -> None:
    from enhancer.config import get_app_config

    get_settings.cache_clear()
    get_app_config.cache_clear()
    clear_clients()
    clear_pipeline_cache()
    clear_idempotency_cache()


@contextmanager
def _quiet_logs(level: str | None) -> Iterator[None]:
    """Handler logs go to stderr (stdout carries the table or ``--json``), at ERROR unless asked."""
    handler: Any = logger.registered_handler
    previous_stream = getattr(handler, "stream", None)
    previous_level = logger.log_level
    handler.setStream(sys.stderr)
    logger.setLevel(level or "ERROR")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No application metrics to publish")
            yield
    finally:
        if previous_stream is not None:
            handler.setStream(previous_stream)
        logger.setLevel(previous_level)


@contextmanager
def _endpoint(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from enhancer.local.emulator import EmbeddedAws

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    try:
        aws = EmbeddedAws().start()
    except Exception as exc:
        raise RunError(f"the embedded AWS emulation did not start: {exc}") from exc
    try:
        yield aws.endpoint_url
    finally:
        aws.stop()


ProgressCallback = Callable[[list[DocumentSummary]], None]


def run_local(
    paths: Iterable[Path], options: RunOptions, on_progress: ProgressCallback | None = None
) -> list[DocumentSummary]:
    """Run every PDF through the pipeline until each document is terminal; write ``<stem>.json`` results."""
    pdfs = find_pdfs(paths)
    endpoint_hint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    with _endpoint(endpoint_hint) as endpoint:
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would pollute stdout; no CloudWatch here
            "POWERTOOLS_TRACE_DISABLED": "true",
            **{k: v for k, v in FAKE_CREDENTIALS.items() if not os.environ.get(k)},
            "LLM_CACHE_DIR": os.environ.get("LLM_CACHE_DIR") or str(DEFAULT_LOCAL_CACHE_DIR.resolve()),
            **options.extra_env,
        }
        if options.provider:
            env["LLM_PROVIDER"] = options.provider
        if options.workers:
            env["MAX_WORKERS"] = str(options.workers)
        if options.config_dir:
            env["CONFIG_DIR"] = str(options.config_dir)
        with (
            _environment(env),
            _quiet_logs(options.log_level),
        ):
            return _run(pdfs, options, on_progress)


def _run(
    pdfs: list[Path], options: RunOptions, on_progress: ProgressCallback | None
) -> list[DocumentSummary]:
    from enhancer.local.provision import provision
    from enhancer.local.runtime import LocalEventSources

    resource_env = provision(options.stage, visibility_timeout_s=LOCAL_VISIBILITY_TIMEOUT_S)
    os.environ.update(resource_env)
    _clear_caches()
    settings = get_settings()
    pipeline = build_pipeline(settings)
    pipeline.config.extraction_profiles  # noqa: B018 - load and validate the config before any upload
    queue_urls = {spec.key: resource_env[spec.env_var] for spec in QUEUES}
    sources = LocalEventSources(
        queue_urls,
        enrich_workers=settings.llm.max_workers,
        retry_delay_s=options.retry_delay_s,
        sweep_interval_s=options.sweep_interval_s,
    ).start()
    summaries: list[DocumentSummary] = []
    results = _Results(pipeline, options)
    try:
        try:
            _upload(pdfs, settings.storage.input_bucket, options.profile, summaries)
            results.name(summaries, pdfs)
            _wait(pipeline, summaries, results, options, on_progress)
        finally:
            sources.stop()
    except KeyboardInterrupt:
        results.name(summaries, pdfs[: len(summaries)])  # an interrupt may come mid-upload
        results.collect_late(summaries)
        raise RunInterrupted(summaries) from None
    except RunError as exc:
        results.collect_late(summaries)
        exc.summaries = summaries
        raise
    except PipelineError as exc:
        raise RunError(f"AWS call failed: {exc.message}", summaries) from exc
    return summaries


def _upload(pdfs: list[Path], bucket: str, profile: str | None, summaries: list[DocumentSummary]) -> None:
    """Each PDF to ``incoming/``, its summary appended as soon as S3 has it (an interrupt keeps the list)."""
    s3: Any = boto3.client("s3")
    used: set[str] = set()
    for pdf in pdfs:
        name = pdf.name if pdf.suffix.lower() == ".pdf" else f"{pdf.name}.pdf"
        key = f"{INCOMING_PREFIX}{name}"
        counter = 2
        while key in used:
            key = f"{INCOMING_PREFIX}{pdf.stem}-{counter}.pdf"
            counter += 1
        used.add(key)
        metadata = {"profile": profile} if profile else {}
        response = s3.put_object(Bucket=bucket, Key=key, Body=pdf.read_bytes(), Metadata=metadata)
        etag = str(response["ETag"]).strip('"')
        summaries.append(DocumentSummary(file=str(pdf), document_id=document_id_for(bucket, key, etag)))


def _wait(
    pipeline: Pipeline,
    summaries: list[DocumentSummary],
    results: "_Results",
    options: RunOptions,
    on_progress: ProgressCallback | None,
) -> None:
    """Follow every document until it is terminal, writing each result the moment its document is."""
    last_change = time.monotonic()
    last_snapshot: list[tuple[Any, ...]] = []
    while True:
        for summary in summaries:
            if summary.status is not None and summary.status.is_terminal:
                continue
            document_id = summary.document_id
            record = results.read(
                f"status of {document_id}",
                lambda document_id=document_id: pipeline.documents.get(document_id),  # type: ignore[misc]
            )
            if record is None:
                continue
            _update(summary, record)
            if record.status.is_terminal:
                results.write(summary, record)
        snapshot = [(s.status, s.chapters_finished) for s in summaries]
        if snapshot != last_snapshot:
            last_snapshot, last_change = snapshot, time.monotonic()
            if on_progress:
                on_progress(summaries)
        if all(s.status is not None and s.status.is_terminal for s in summaries):
            return
        if time.monotonic() - last_change > options.stall_timeout_s:
            raise RunError(f"no progress for {options.stall_timeout_s:.0f} s; stopping")
        time.sleep(options.poll_interval_s)


def _update(summary: DocumentSummary, record: DocumentRecord) -> None:
    summary.status = record.status
    summary.pages = record.page_count
    summary.chapters = record.chapter_count
    summary.chapters_finished = len(record.chapters_done | record.chapters_failed)
    summary.error_code = record.error_code.value if record.error_code else None
    summary.error_message = record.error_message


T = TypeVar("T")


class _Results:
    """Writes ``<stem>.json`` for each finished document, reading what it needs with bounded retries."""

    def __init__(self, pipeline: Pipeline, options: RunOptions) -> None:
        self._pipeline = pipeline
        self._options = options
        self._names: dict[str, str] = {}

    def name(self, summaries: list[DocumentSummary], pdfs: list[Path]) -> None:
        """File names fixed in input order, whatever order documents finish in: a repeated stem gets the
        document id's first 8 characters."""
        used: set[str] = set()
        for summary, pdf in zip(summaries, pdfs, strict=True):
            name = pdf.stem if pdf.stem not in used else f"{pdf.stem}-{summary.document_id[:8]}"
            used.add(name)
            self._names[summary.document_id] = name

    def read(self, what: str, action: Callable[[], T]) -> T:
        """``action`` retried on transient AWS errors, waiting 0.5, 1, 2… s (at most 5 s) between attempts;
        after ``read_attempts`` failures in a row the run stops with a RunError that says what failed."""
        delay = self._options.read_backoff_s
        for attempt in range(1, self._options.read_attempts + 1):
            try:
                return action()
            except RetryableError as exc:
                if attempt == self._options.read_attempts:
                    raise RunError(
                        f"reading the {what} failed {attempt} times in a row: {exc.message}"
                    ) from exc
                logger.warning(
                    "transient error while watching the run; retrying", extra={"error": exc.message}
                )
                time.sleep(min(delay, MAX_READ_BACKOFF_S))
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def write(self, summary: DocumentSummary, record: DocumentRecord) -> None:
        pipeline = self._pipeline
        if record.result_key:
            key = record.result_key
            result: dict[str, Any] = self.read(
                f"result of {record.document_id}",
                lambda: pipeline.objects.get_json(pipeline.output_bucket, key),
            )
        else:
            code = record.error_code or ErrorCode.INTERNAL
            result = failed_result(record, code, record.error_message or "").model_dump(mode="json")
        out_dir = self._options.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{self._names[summary.document_id]}.json"
        target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        summary.result_file = str(target)
        summary.seconds = round((result.get("timings") or {}).get("total_ms", 0) / 1000, 2) or None
        usage = result.get("usage") or {}
        summary.llm_calls = usage.get("llm_calls", 0)
        summary.cache_hits = usage.get("cache_hits", 0)
        summary.estimated_cost_usd = usage.get("estimated_cost_usd", 0.0)

    def collect_late(self, summaries: list[DocumentSummary]) -> None:
        """After the pollers stopped: one more look, so a document that finished in the last moments still
        gets its result. Best effort: the run is already ending."""
        for summary in summaries:
            if summary.result_file:
                continue
            try:
                record = self._pipeline.documents.get(summary.document_id)
                if record is not None:
                    _update(summary, record)
                    if record.status.is_terminal:
                        self.write(summary, record)
            except (PipelineError, RunError):
                continue
