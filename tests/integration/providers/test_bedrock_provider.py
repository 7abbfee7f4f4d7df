"""The Bedrock provider through boto3 ``bedrock-runtime`` Converse, pointed at the fake LLM server by
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (SigV4-signed requests, botocore's own parsing of answers and errors)."""

from collections.abc import Callable

import pytest

from enhancer.errors import PermanentError, RetryableError
from enhancer.fakellm import FakeLlmServer
from enhancer.models import ErrorCode
from enhancer.profiles import chapter_output_model
from enhancer.providers.base import EnrichmentRequest
from enhancer.providers.bedrock_provider import BedrockProvider
from enhancer.providers.pricing import PriceTable
from enhancer.providers.resilience import CallBudget

pytestmark = pytest.mark.integration


@pytest.fixture
def provider(
    budget: Callable[[str], CallBudget], prices: PriceTable, fake_llm: FakeLlmServer
) -> BedrockProvider:
    return BedrockProvider(model=None, budget=budget("bedrock"), prices=prices, timeout_s=0.5)


def test_converse_with_a_forced_tool(
    provider: BedrockProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    request = chapter()

    first = provider.enrich_chapter(request)
    second = provider.enrich_chapter(request)

    chapter_output_model(request.profile_name, request.profile).model_validate(first.metadata.model_dump())
    assert first.llm.provider == "bedrock"
    assert first.llm.model == "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    recorded = fake_llm.requests[0]
    assert recorded.path == "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"
    assert recorded.body["toolConfig"]["toolChoice"] == {"tool": {"name": "record_chapter_metadata"}}
    assert recorded.body["system"][-1] == {"cachePoint": {"type": "default"}}
    assert "authorization" not in recorded.headers  # SigV4 was sent, but the fake never records it
    assert first.llm.estimated_cost_usd > second.llm.estimated_cost_usd > 0  # priced via the region prefix


def test_throttling_exception_is_retried(
    provider: BedrockProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    fake_llm.script("429", "500")

    outcome = provider.enrich_chapter(chapter())

    assert outcome.llm.attempts == 3


def test_timeouts_exhaust_the_budget(
    provider: BedrockProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    fake_llm.script("timeout", "timeout", "timeout")

    with pytest.raises(RetryableError) as caught:
        provider.enrich_chapter(chapter())

    assert caught.value.code == ErrorCode.LLM_UNAVAILABLE
    assert fake_llm.request_count == 3  # botocore did not retry underneath us


def test_bad_tool_input_gets_a_tool_result_error_then_fails(
    provider: BedrockProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    fake_llm.script("schema_violation", "schema_violation")

    with pytest.raises(PermanentError) as caught:
        provider.enrich_chapter(chapter())

    assert caught.value.code == ErrorCode.INVALID_LLM_OUTPUT
    messages = fake_llm.requests[1].body["messages"]
    result = messages[2]["content"][0]["toolResult"]
    assert result["status"] == "error"
    assert result["toolUseId"] == messages[1]["content"][0]["toolUse"]["toolUseId"]
