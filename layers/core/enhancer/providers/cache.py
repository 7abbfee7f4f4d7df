"""The LLM response cache, keyed by content so the same chapter in another upload costs nothing.

Key: provider, model, prompt version, profile (name and a digest of its definition) and a SHA-256 of the
chapter text. On AWS the DynamoDB cache table (``CACHE_TABLE``, TTL attribute ``expires_at``); on a laptop
one JSON file per entry under ``cache/llm_responses/``, which survives between runs. A hit is reported as
``cached=True`` with 0 tokens and 0 cost, and counted in ``CacheHits``. Cache trouble never fails a
chapter: a broken read is a miss, a broken write is logged.
"""

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from enhancer.config import ProfileConfig
from enhancer.models import ChapterMetadata, LlmCallInfo
from enhancer.observability import MetricName, logger, metrics
from enhancer.providers.base import (
    EnrichmentOutcome,
    EnrichmentProvider,
    EnrichmentRequest,
    ReduceOutcome,
    ReduceRequest,
)
from enhancer.providers.prompts import PROMPT_VERSION

DEFAULT_LOCAL_CACHE_DIR = Path("cache") / "llm_responses"


class ResponseCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any], ttl_s: int) -> None: ...


def cache_key(
    kind: str, provider: str, model: str, profile_name: str, profile: ProfileConfig, content: str
) -> str:
    profile_digest = hashlib.sha256(profile.model_dump_json().encode()).hexdigest()[:16]
    content_digest = hashlib.sha256(content.encode()).hexdigest()
    material = json.dumps(
        [kind, provider, model, PROMPT_VERSION, profile_name, profile_digest, content_digest]
    )
    return f"{provider}:{profile_name}:{hashlib.sha256(material.encode()).hexdigest()}"


class FileResponseCache:
    """One JSON file per entry; writes are atomic (temp file + rename), so parallel workers are safe."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._clock = clock

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if entry.get("key") != key or entry.get("expires_at", 0) <= self._clock():
            return None
        value = entry.get("value")
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any], ttl_s: int) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"key": key, "expires_at": int(self._clock()) + ttl_s, "value": value}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class DynamoDbResponseCache:
    """Items ``{cache_key, payload, expires_at}``; expired items are ignored before TTL sweeps them."""

    def __init__(
        self, table_name: str, *, client: Any = None, clock: Callable[[], float] = time.time
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        self.table_name = table_name
        self._client = client
        self._clock = clock

    def get(self, key: str) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self.table_name, Key={"cache_key": {"S": key}}).get("Item")
        if not item or int(item.get("expires_at", {}).get("N", "0")) <= self._clock():
            return None
        value = json.loads(item["payload"]["S"])
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any], ttl_s: int) -> None:
        self._client.put_item(
            TableName=self.table_name,
            Item={
                "cache_key": {"S": key},
                "payload": {"S": json.dumps(value, ensure_ascii=False)},
                "expires_at": {"N": str(int(self._clock()) + ttl_s)},
            },
        )


class CachingProvider:
    """Answers from the cache when it can; stores only what the primary provider itself produced (a
    fallback's answer under the primary's key would pin a degraded result for the whole TTL)."""

    def __init__(
        self,
        inner: EnrichmentProvider,
        cache: ResponseCache,
        *,
        provider: str,
        model_for: Callable[[dict[str, str]], str],
        ttl_s: int,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self._provider = provider
        self._model_for = model_for
        self._ttl_s = ttl_s

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        model = self._model_for(request.profile.models)
        key = cache_key("chapter", self._provider, model, request.profile_name, request.profile, request.text)
        started = time.perf_counter()
        hit = self._get(key)
        if hit is not None:
            try:
                metadata = ChapterMetadata.model_validate(hit["metadata"])
            except (KeyError, ValueError):
                metadata = None
            if metadata is not None:
                return EnrichmentOutcome(metadata=metadata, llm=self._hit_info(model, started))
        outcome = self.inner.enrich_chapter(request)
        if self._storable(outcome.llm):
            self._put(
                key, {"metadata": outcome.metadata.model_dump(mode="json"), "llm": outcome.llm.model_dump()}
            )
        return outcome

    def reduce_document(self, request: ReduceRequest) -> ReduceOutcome:
        model = self._model_for(request.profile.models)
        content = json.dumps([request.document_title, request.chapter_titles, request.chapter_summaries])
        key = cache_key("document", self._provider, model, request.profile_name, request.profile, content)
        started = time.perf_counter()
        hit = self._get(key)
        if hit is not None and isinstance(hit.get("summary"), str):
            return ReduceOutcome(
                summary=hit["summary"],
                fields=dict(hit.get("fields") or {}),
                llm=self._hit_info(model, started),
            )
        outcome = self.inner.reduce_document(request)
        if self._storable(outcome.llm):
            self._put(
                key, {"summary": outcome.summary, "fields": outcome.fields, "llm": outcome.llm.model_dump()}
            )
        return outcome

    def _storable(self, info: LlmCallInfo) -> bool:
        return info.provider == self._provider and not info.cached

    def _hit_info(self, model: str, started: float) -> LlmCallInfo:
        metrics.add_metric(name=MetricName.CACHE_HITS, unit=MetricUnit.Count, value=1)
        return LlmCallInfo(
            provider=self._provider,
            model=model,
            input_tokens=0,
            output_tokens=0,
            cached=True,
            latency_ms=int((time.perf_counter() - started) * 1000),
            attempts=0,
            estimated_cost_usd=0.0,
        )

    def _get(self, key: str) -> dict[str, Any] | None:
        try:
            return self.cache.get(key)
        except Exception as exc:  # a cache that cannot answer is a miss, never a failed chapter
            logger.warning("LLM cache read failed", extra={"error": type(exc).__name__})
            return None

    def _put(self, key: str, value: dict[str, Any]) -> None:
        try:
            self.cache.put(key, value, self._ttl_s)
        except Exception as exc:
            logger.warning("LLM cache write failed", extra={"error": type(exc).__name__})
