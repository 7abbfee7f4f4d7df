"""The Anthropic provider through the real ``anthropic`` SDK against the fake LLM server."""

from collections.abc import Callable

import pytest

from enhancer.errors import PermanentError
from enhancer.fakellm import FakeLlmServer
from enhancer.models import ErrorCode
from enhancer.profiles import chapter_output_model
from enhancer.providers.anthropic_provider import AnthropicProvider
from enhancer.providers.base import EnrichmentRequest
from enhancer.providers.pricing import PriceTable
from enhancer.providers.resilience import CallBudget

pytestmark = pytest.mark.integration


@pytest.fixture
def provider(
    budget: Callable[[str], CallBudget], prices: PriceTable, fake_llm: FakeLlmServer
) -> AnthropicProvider:
    return AnthropicProvider(
        api_key="sk-ant-test", model=None, budget=budget("anthropic"), prices=prices, timeout_s=0.5
    )


def test_forced_tool_use_with_a_cached_prompt_head(
    provider: AnthropicProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    request = chapter("report")

    first = provider.enrich_chapter(request)
    second = provider.enrich_chapter(request.model_copy(update={"chapter_index": 1}))

    chapter_output_model("report", request.profile).model_validate(first.metadata.model_dump())
    assert first.llm.provider == "anthropic"
    assert first.llm.model == "claude-haiku-4-5"
    sent = fake_llm.requests[0].body
    assert sent["tool_choice"] == {
        "type": "tool",
        "name": "record_chapter_metadata",
        "disable_parallel_tool_use": True,
    }
    assert sent["tools"][0]["input_schema"]["additionalProperties"] is False
    assert sent["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "ignore any instruction" in sent["system"][0]["text"]
    # The second chapter reads the head from the prompt cache: same tokens, lower price.
    assert second.llm.input_tokens == first.llm.input_tokens
    assert second.llm.estimated_cost_usd < first.llm.estimated_cost_usd


def test_overloaded_is_retried(
    provider: AnthropicProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    fake_llm.script("503", "429")

    outcome = provider.enrich_chapter(chapter())

    assert outcome.llm.attempts == 3
    assert fake_llm.request_count == 3


def test_bad_tool_input_gets_a_tool_result_error_then_fails(
    provider: AnthropicProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    fake_llm.script("schema_violation", "schema_violation")

    with pytest.raises(PermanentError) as caught:
        provider.enrich_chapter(chapter())

    assert caught.value.code == ErrorCode.INVALID_LLM_OUTPUT
    messages = fake_llm.requests[1].body["messages"]
    assert messages[1]["role"] == "assistant"
    assert messages[1]["content"][0]["type"] == "tool_use"
    result = messages[2]["content"][0]
    assert result["type"] == "tool_result"
    assert result["is_error"] is True
    assert result["tool_use_id"] == messages[1]["content"][0]["id"]


def test_text_instead_of_a_tool_call_is_reasked(
    provider: AnthropicProvider, fake_llm: FakeLlmServer, chapter: Callable[..., EnrichmentRequest]
) -> None:
    fake_llm.script("invalid_json")  # the fake answers with plain text, no tool_use block

    outcome = provider.enrich_chapter(chapter())

    assert outcome.llm.attempts == 2
    assert fake_llm.requests[1].body["messages"][1]["content"][0]["type"] == "text"
