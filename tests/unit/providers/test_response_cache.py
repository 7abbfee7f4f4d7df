import subprocess
import sys
from pathlib import Path

import boto3
from moto import mock_aws

from enhancer.observability import metrics
from enhancer.providers.cache import CachingProvider, DynamoDbResponseCache, FileResponseCache, cache_key
from enhancer.providers.prompts import PROMPT_VERSION


def _caching(inner, cache) -> CachingProvider:
    return CachingProvider(inner, cache, provider="openai", model_for=lambda models: "gpt-x", ttl_s=3600)


def test_a_hit_costs_nothing_and_is_counted(scripted, chapter, tmp_path: Path) -> None:
    inner = scripted("openai")
    provider = _caching(inner, FileResponseCache(tmp_path))
    metrics.clear_metrics()

    first = provider.enrich_chapter(chapter(document_id="a" * 32))
    second = provider.enrich_chapter(chapter(document_id="b" * 32, chapter_index=3))

    assert inner.calls == 1
    assert first.llm.cached is False
    assert first.llm.estimated_cost_usd > 0
    assert second.llm.cached is True
    assert second.llm.attempts == 0
    assert (second.llm.input_tokens, second.llm.output_tokens, second.llm.estimated_cost_usd) == (0, 0, 0.0)
    assert second.metadata == first.metadata
    assert sum(metrics.metric_set["CacheHits"]["Value"]) == 1
    metrics.clear_metrics()


def test_the_key_covers_text_profile_model_and_prompt_version(chapter) -> None:
    request = chapter()
    other_profile = chapter("report").profile
    base = cache_key("chapter", "openai", "m", "default", request.profile, "text")

    assert base == cache_key("chapter", "openai", "m", "default", request.profile, "text")
    assert base != cache_key("chapter", "openai", "m", "default", request.profile, "text!")
    assert base != cache_key("chapter", "openai", "m2", "default", request.profile, "text")
    assert base != cache_key("chapter", "anthropic", "m", "default", request.profile, "text")
    assert base != cache_key("chapter", "openai", "m", "default", other_profile, "text")
    assert PROMPT_VERSION  # hashed into every key


def test_fallback_answers_are_not_cached(scripted, chapter, tmp_path: Path) -> None:
    inner = scripted("offline")  # what a FallbackProvider returns when the primary was out
    provider = _caching(inner, FileResponseCache(tmp_path))

    provider.enrich_chapter(chapter())
    provider.enrich_chapter(chapter())

    assert inner.calls == 2


def test_file_cache_survives_the_process(tmp_path: Path) -> None:
    FileResponseCache(tmp_path).put("k1", {"metadata": {"summary": "s"}}, ttl_s=60)

    code = (
        "import json, sys; from pathlib import Path; from enhancer.providers.cache import FileResponseCache; "
        "print(json.dumps(FileResponseCache(Path(sys.argv[1])).get('k1')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == '{"metadata": {"summary": "s"}}'


def test_file_cache_expires_and_ignores_garbage(tmp_path: Path) -> None:
    now = [1000.0]
    cache = FileResponseCache(tmp_path, clock=lambda: now[0])
    cache.put("k", {"v": 1}, ttl_s=10)
    assert cache.get("k") == {"v": 1}

    now[0] += 11
    assert cache.get("k") is None
    for path in tmp_path.rglob("*.json"):
        path.write_text("{broken")
    assert cache.get("k") is None


def test_reduce_results_are_cached_too(scripted, chapter, tmp_path: Path) -> None:
    from enhancer.providers.base import ReduceRequest

    inner = scripted("openai")
    provider = _caching(inner, FileResponseCache(tmp_path))
    base = chapter("academic_paper")
    request = ReduceRequest(
        document_id="x", document_title="T", chapter_titles=["a"], chapter_summaries=["s"],
        profile_name=base.profile_name, profile=base.profile,
    )  # fmt: skip

    provider.reduce_document(request)
    hit = provider.reduce_document(request)

    assert inner.calls == 1
    assert hit.llm.cached is True
    assert hit.fields == {"research_field": "x"}


@mock_aws
def test_dynamodb_cache_round_trip_with_ttl() -> None:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="cache",
        KeySchema=[{"AttributeName": "cache_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "cache_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    now = [5000.0]
    cache = DynamoDbResponseCache("cache", client=client, clock=lambda: now[0])

    cache.put("openai:default:abc", {"metadata": {"summary": "é"}}, ttl_s=100)

    assert cache.get("openai:default:abc") == {"metadata": {"summary": "é"}}
    item = client.get_item(TableName="cache", Key={"cache_key": {"S": "openai:default:abc"}})["Item"]
    assert item["expires_at"]["N"] == "5100"
    now[0] = 5100.0
    assert cache.get("openai:default:abc") is None  # expired, even before DynamoDB's TTL sweep
    assert cache.get("missing") is None


def test_a_broken_cache_is_a_miss_not_a_failure(scripted, chapter) -> None:
    class Broken:
        def get(self, key: str) -> None:
            raise ConnectionError("down")

        def put(self, key: str, value: object, ttl_s: int) -> None:
            raise ConnectionError("down")

    outcome = _caching(scripted("openai"), Broken()).enrich_chapter(chapter())

    assert outcome.llm.provider == "openai"
