"""OpenAI (and any OpenAI-compatible endpoint) through the ``openai`` SDK's structured outputs.

The response format is a strict JSON schema built from the profile's pydantic model by the SDK's own
converter (every property required, ``additionalProperties: false``, optional fields nullable). Length
limits strict mode does not accept move into the field descriptions; our validation enforces them.
The endpoint comes from ``OPENAI_BASE_URL`` when set, so vLLM, Ollama, LiteLLM or Azure-compatible
gateways work unchanged.
"""

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from enhancer.providers.llm import Completion, StructuredLlmProvider, system_text
from enhancer.providers.pricing import PriceTable, TokenUsage
from enhancer.providers.prompts import Prompt, repair_message
from enhancer.providers.resilience import CallBudget, LlmCallError, classify_status

_STRICT_UNSUPPORTED = ("maxLength", "minLength")
_LIMIT_WORDS = {"maxLength": "at most", "minLength": "at least"}


class OpenAIProvider(StructuredLlmProvider):
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str | None,
        budget: CallBudget,
        prices: PriceTable,
        timeout_s: float,
        client: Any = None,
    ) -> None:
        super().__init__(model=model, budget=budget, prices=prices)
        if client is None:
            from openai import OpenAI

            # Our CallBudget retries; the SDK must not retry a second time underneath it.
            client = OpenAI(api_key=api_key, timeout=timeout_s, max_retries=0)
        self._client = client

    def _send(self, prompt: Prompt, model: str, turns: list[Any]) -> Completion:
        import openai

        messages: list[Any] = [
            {"role": "system", "content": system_text(prompt)},
            {"role": "user", "content": prompt.user},
            *turns,
        ]
        try:
            response = self._client.chat.completions.create(
                model=model,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": prompt.tool_name,
                        "schema": strict_schema(prompt.output_model),
                        "strict": True,
                    },
                },
                max_completion_tokens=prompt.max_output_tokens,
            )
        except openai.APIStatusError as exc:
            raise classify_status(exc.status_code, exc.response.headers, _error_message(exc)) from exc
        except openai.APITimeoutError as exc:
            raise LlmCallError("request timed out", retryable=True) from exc
        except openai.APIConnectionError as exc:
            raise LlmCallError("connection failed", retryable=True) from exc
        choice = response.choices[0] if response.choices else None
        content = choice.message.content if choice is not None else None
        refusal = getattr(choice.message, "refusal", None) if choice is not None else None
        data: Any = _parse(content) if content else f"no content (refusal: {refusal!r})"
        usage = response.usage
        cached = 0
        if usage is not None and usage.prompt_tokens_details is not None:
            cached = usage.prompt_tokens_details.cached_tokens or 0
        return Completion(
            data=data,
            usage=TokenUsage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
                cached_input_tokens=cached,
            ),
            assistant_turn={"role": "assistant", "content": content or ""},
        )

    def _repair_turns(self, completion: Completion, feedback: str) -> list[Any]:
        return [completion.assistant_turn, {"role": "user", "content": repair_message(feedback)}]


def _error_message(exc: Any) -> str:
    """The provider's error type only: SDK messages can echo request details, never worth the risk."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("type") or error.get("code") or "")[:80]
    return type(exc).__name__


def _parse(content: str) -> Any:
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        return content


@lru_cache(maxsize=64)
def _strict_schema_json(model: type[BaseModel]) -> str:
    from openai.lib._pydantic import to_strict_json_schema

    return json.dumps(_move_unsupported(to_strict_json_schema(model)))


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The SDK's strict-mode schema for ``model`` (a fresh copy per call: the SDK may mutate params)."""
    schema: dict[str, Any] = json.loads(_strict_schema_json(model))
    return schema


def _move_unsupported(node: Any) -> Any:
    if isinstance(node, list):
        return [_move_unsupported(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _move_unsupported(value) for key, value in node.items() if key not in _STRICT_UNSUPPORTED}
    if isinstance(out.get("title"), str):
        del out["title"]
    limits = [f"{_LIMIT_WORDS[key]} {node[key]} characters" for key in _STRICT_UNSUPPORTED if key in node]
    if limits:
        out["description"] = f"{node.get('description', '')} ({', '.join(limits)})".strip()
    return out
