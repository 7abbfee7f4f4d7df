"""What every remote provider shares: prompt → one structured answer, validated, re-asked once, priced.

A provider subclass only knows its SDK: how to send one request (``_send``) and how to tell the model its
previous answer was wrong (``_repair_turns``). Every request passes the ``CallBudget`` (shared rate limit,
then retries), so the re-ask is limited and retried like the first ask.
"""

import time
from abc import ABC, abstractmethod
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict

from enhancer.errors import PermanentError
from enhancer.models import ChapterMetadata, ErrorCode, LlmCallInfo
from enhancer.observability import MetricName, logger, metrics
from enhancer.profiles import chapter_output_model, document_output_model
from enhancer.providers.base import EnrichmentOutcome, EnrichmentRequest, ReduceOutcome, ReduceRequest
from enhancer.providers.pricing import PriceTable, TokenUsage
from enhancer.providers.prompts import Prompt, chapter_prompt, reduce_prompt, validate_output
from enhancer.providers.resilience import CallBudget, ProviderRejectedError, ProviderUnavailableError

DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-haiku-4-5",
    "bedrock": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
}


class InvalidOutputError(PermanentError):
    code = ErrorCode.INVALID_LLM_OUTPUT


class Completion(BaseModel):
    """One answer, SDK-independent. ``data`` is the parsed JSON object, or the raw text when it did not
    parse; ``assistant_turn`` is the provider's own message, echoed back when re-asking."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    data: Any
    usage: TokenUsage
    assistant_turn: Any = None
    latency_ms: int = 0


class StructuredLlmProvider(ABC):
    name: str

    def __init__(self, *, model: str | None, budget: CallBudget, prices: PriceTable) -> None:
        self.default_model = model or DEFAULT_MODELS[self.name]
        self.budget = budget
        self.prices = prices

    @abstractmethod
    def _send(self, prompt: Prompt, model: str, turns: list[Any]) -> Completion:
        """One request; raises ``LlmCallError`` classified as retryable or not."""

    @abstractmethod
    def _repair_turns(self, completion: Completion, feedback: str) -> list[Any]:
        """The conversation turns that show the model its answer and what was wrong with it."""

    def model_for(self, profile_models: dict[str, str]) -> str:
        """The profile's per-provider override, else ``LLM_MODEL`` / the provider default."""
        return profile_models.get(self.name) or self.default_model

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        output_model = chapter_output_model(request.profile_name, request.profile)
        prompt = chapter_prompt(request, output_model)
        answer, info = self._structured(prompt, self.model_for(request.profile.models))
        metadata = ChapterMetadata.model_validate(answer.model_dump(exclude_none=True))
        return EnrichmentOutcome(metadata=metadata, llm=info)

    def reduce_document(self, request: ReduceRequest) -> ReduceOutcome:
        output_model = document_output_model(request.profile_name, request.profile)
        prompt = reduce_prompt(request, output_model)
        answer, info = self._structured(prompt, self.model_for(request.profile.models))
        fields = answer.model_dump(exclude_none=True)
        summary = str(fields.pop("summary"))
        return ReduceOutcome(summary=summary, fields=fields, llm=info)

    def _structured(self, prompt: Prompt, model: str) -> tuple[BaseModel, LlmCallInfo]:
        started = time.perf_counter()
        usage = TokenUsage()
        attempts = 0
        turns: list[Any] = []
        answer: BaseModel | None = None
        for ask in (1, 2):
            try:
                completion, tries = self.budget.call(partial(self._timed_send, prompt, model, turns))
            except (ProviderUnavailableError, ProviderRejectedError) as exc:
                exc.attempts += attempts  # a failed re-ask also spent the first ask's requests
                raise
            attempts += tries
            usage += completion.usage
            self._record(model, completion)
            answer, problems = validate_output(prompt.output_model, completion.data)
            if answer is not None:
                break
            logger.warning(
                "LLM output does not fit the schema",
                extra={"provider": self.name, "model": model, "ask": ask, "problems": problems},
            )
            if ask == 2:
                raise InvalidOutputError(
                    f"{self.name} ({model}) answered twice without fitting the schema: {problems[:500]}"
                )
            turns = self._repair_turns(completion, problems)
        assert answer is not None
        info = LlmCallInfo(
            provider=self.name,
            model=model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached=False,
            latency_ms=int((time.perf_counter() - started) * 1000),
            attempts=attempts,
            estimated_cost_usd=self.prices.cost(model, usage),
        )
        return answer, info

    def _timed_send(self, prompt: Prompt, model: str, turns: list[Any]) -> Completion:
        started = time.perf_counter()
        completion = self._send(prompt, model, turns)
        return completion.model_copy(update={"latency_ms": int((time.perf_counter() - started) * 1000)})

    def _record(self, model: str, completion: Completion) -> None:
        metrics.add_metric(
            name=MetricName.LLM_LATENCY, unit=MetricUnit.Milliseconds, value=completion.latency_ms
        )
        metrics.add_metric(
            name=MetricName.INPUT_TOKENS, unit=MetricUnit.Count, value=completion.usage.input_tokens
        )
        metrics.add_metric(
            name=MetricName.OUTPUT_TOKENS, unit=MetricUnit.Count, value=completion.usage.output_tokens
        )
        metrics.add_metric(
            name=MetricName.ESTIMATED_COST_USD,
            unit=MetricUnit.NoUnit,
            value=self.prices.cost(model, completion.usage),
        )


def system_text(prompt: Prompt) -> str:
    """The stable head of every request: system rules and the profile's instructions."""
    return f"{prompt.system}\n\n{prompt.instructions}"
