"""Health: a liveness answer, and a detailed check of every dependency with its latency.

Overall ``unhealthy`` when a dependency cannot be reached (HTTP 503); ``degraded`` when everything answers
but something needs a person: messages in a dead-letter queue, a recent error rate above the runbook's
critical 10 %, or a paid provider configured without a key; else ``healthy``.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from enhancer.api.models import CheckKind, CheckStatus, DependencyCheck, DetailedHealth, Health
from enhancer.api.services import ApiServices
from enhancer.errors import PipelineError
from enhancer.loops import thread_map
from enhancer.models import DocumentStatus
from enhancer.resources import INCOMING_PREFIX, RESULTS_PREFIX

ERROR_RATE_WINDOW = timedelta(hours=1)
ERROR_RATE_DEGRADED = 0.10
ERROR_RATE_SAMPLE = 100
PAID_PROVIDERS = {"openai": "openai_key", "anthropic": "anthropic_key"}

Outcome = tuple[CheckStatus, str, dict[str, bool | int | float | str | None]]


def liveness() -> Health:
    return Health(status="healthy", timestamp=datetime.now(UTC))


def _timed(name: str, kind: CheckKind, probe: Callable[[], Outcome]) -> DependencyCheck:
    started = time.perf_counter()
    try:
        status, message, details = probe()
    except PipelineError as exc:
        # The converted SDK error ends in its code (e.g. ResourceNotFoundException); the rest stays in logs.
        status, message, details = "unavailable", f"unreachable ({exc.message.rsplit(': ', 1)[-1]})", {}
    except Exception as exc:
        status, message, details = "unavailable", f"unreachable ({type(exc).__name__})", {}
    latency = round((time.perf_counter() - started) * 1000, 1)
    depth = details.pop("depth", None) if "depth" in details else None
    return DependencyCheck(
        name=name,
        kind=kind,
        status=status,
        latency_ms=latency,
        message=message,
        depth=int(depth) if isinstance(depth, int | float) else None,
        details=details,
    )


def _table(services: ApiServices) -> Outcome:
    table_status = services.documents.describe()
    ok = table_status == "ACTIVE"
    return ("ok" if ok else "degraded"), f"table {table_status}", {}


def _bucket(services: ApiServices, bucket: str, prefix: str) -> Callable[[], Outcome]:
    def probe() -> Outcome:
        if not bucket:
            return "unavailable", "not configured", {}
        services.objects.probe(bucket, prefix)
        return "ok", "reachable", {}

    return probe


def _queue(services: ApiServices, url: str) -> Callable[[], Outcome]:
    def probe() -> Outcome:
        if not url:
            return "unavailable", "not configured", {}
        depth = services.queues.approximate_depth(url)
        return "ok", f"{depth} message(s) waiting or in flight", {"depth": depth}

    return probe


def _dead_letters(services: ApiServices, url: str) -> Callable[[], Outcome]:
    def probe() -> Outcome:
        if not url:
            return "unavailable", "not configured", {}
        dlq = services.queues.dead_letter_queue_url(url)
        if dlq is None:
            return "degraded", "the queue has no dead-letter queue", {}
        depth = services.queues.approximate_depth(dlq)
        if depth:
            return "degraded", f"{depth} dead-lettered message(s): see doc-enhancer redrive", {"depth": depth}
        return "ok", "empty", {"depth": 0}

    return probe


def _provider(services: ApiServices) -> Outcome:
    config = services.provider
    details: dict[str, bool | int | float | str | None] = {
        "provider": config.provider,
        "fallback_provider": config.fallback_provider,
        "openai_key_present": config.openai_key,
        "anthropic_key_present": config.anthropic_key,
        "secret_configured": config.keys_secret,
    }
    missing = [
        name
        for name in (config.provider, config.fallback_provider)
        if name in PAID_PROVIDERS and not (getattr(config, PAID_PROVIDERS[name]) or config.keys_secret)
    ]
    if missing:
        return "degraded", f"no API key for {', '.join(missing)}", details
    return "ok", f"{config.provider} configured", details


def _error_rate(services: ApiServices) -> Outcome:
    since = datetime.now(UTC) - ERROR_RATE_WINDOW
    counts = {}
    for status in (DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED):
        recent = services.documents.list_by_status(status, limit=ERROR_RATE_SAMPLE)
        counts[status] = sum(1 for r in recent if r.updated_at >= since)
    finished = sum(counts.values())
    rate = counts[DocumentStatus.FAILED] / finished if finished else 0.0
    details: dict[str, bool | int | float | str | None] = {
        "window_minutes": int(ERROR_RATE_WINDOW.total_seconds() // 60),
        "completed": counts[DocumentStatus.COMPLETED],
        "partial": counts[DocumentStatus.PARTIAL],
        "failed": counts[DocumentStatus.FAILED],
        "error_rate": round(rate, 4),
    }
    message = f"{counts[DocumentStatus.FAILED]} of {finished} recent document(s) failed"
    return ("degraded" if rate > ERROR_RATE_DEGRADED else "ok"), message, details


def detailed_health(services: ApiServices) -> DetailedHealth:
    """Every check runs in parallel, so the answer takes as long as the slowest dependency."""
    probes: list[tuple[str, CheckKind, Callable[[], Outcome]]] = [
        (services.documents.table_name, "table", lambda: _table(services)),
        (
            services.input_bucket or "input",
            "bucket",
            _bucket(services, services.input_bucket, INCOMING_PREFIX),
        ),
        (
            services.output_bucket or "output",
            "bucket",
            _bucket(services, services.output_bucket, RESULTS_PREFIX),
        ),
    ]
    for key, url in services.queue_urls.items():
        probes.append((key, "queue", _queue(services, url)))
        probes.append((f"{key}-dlq", "dead_letter_queue", _dead_letters(services, url)))
    probes.append(("llm", "provider", lambda: _provider(services)))
    probes.append(("documents", "error_rate", lambda: _error_rate(services)))
    # All at once, each in a copy of this context (the local runtime's IAM identity holds in the threads).
    checks = thread_map(lambda probe: _timed(*probe), probes, max_workers=len(probes))
    if any(c.status == "unavailable" for c in checks):
        overall = "unhealthy"
    elif any(c.status == "degraded" for c in checks):
        overall = "degraded"
    else:
        overall = "healthy"
    return DetailedHealth(status=overall, timestamp=datetime.now(UTC), checks=checks)
