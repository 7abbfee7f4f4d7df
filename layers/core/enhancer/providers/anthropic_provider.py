"""Anthropic through the ``anthropic`` SDK: forced tool use, the profile's schema as the tool's input.

The stable head of the prompt — the tool definition (schema), the system rules and the profile's
instructions — ends with a ``cache_control`` breakpoint, so chapters after the first read it from
Anthropic's prompt cache (billed at the cached-input price; below the model's minimum cacheable length the
API simply does not cache). What comes back is validated against the profile model like every provider's.
The endpoint comes from ``ANTHROPIC_BASE_URL`` when set.
"""

from typing import Any

from enhancer.providers.llm import Completion, StructuredLlmProvider, system_text
from enhancer.providers.pricing import PriceTable, TokenUsage
from enhancer.providers.prompts import Prompt, json_schema, repair_message
from enhancer.providers.resilience import CallBudget, LlmCallError, classify_status

TOOL_DESCRIPTION = "Record the structured metadata extracted from the text. Call exactly once."


class AnthropicProvider(StructuredLlmProvider):
    name = "anthropic"

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
            from anthropic import Anthropic

            # Our CallBudget retries; the SDK must not retry a second time underneath it.
            client = Anthropic(api_key=api_key, timeout=timeout_s, max_retries=0)
        self._client = client

    def _send(self, prompt: Prompt, model: str, turns: list[Any]) -> Completion:
        import anthropic

        try:
            response = self._client.messages.create(
                model=model,
                max_tokens=prompt.max_output_tokens,
                system=[
                    {"type": "text", "text": system_text(prompt), "cache_control": {"type": "ephemeral"}}
                ],
                tools=[
                    {
                        "name": prompt.tool_name,
                        "description": TOOL_DESCRIPTION,
                        "input_schema": json_schema(prompt.output_model),
                    }
                ],
                tool_choice={"type": "tool", "name": prompt.tool_name, "disable_parallel_tool_use": True},
                messages=[{"role": "user", "content": prompt.user}, *turns],
            )
        except anthropic.APIStatusError as exc:
            raise classify_status(exc.status_code, exc.response.headers, _error_type(exc)) from exc
        except anthropic.APITimeoutError as exc:
            raise LlmCallError("request timed out", retryable=True) from exc
        except anthropic.APIConnectionError as exc:
            raise LlmCallError("connection failed", retryable=True) from exc
        blocks = [block.model_dump(exclude_none=True) for block in response.content]
        tool_use = next(
            (b for b in blocks if b.get("type") == "tool_use" and b.get("name") == prompt.tool_name), None
        )
        data: Any = (
            tool_use["input"] if tool_use else "".join(b.get("text", "") for b in blocks) or "no answer"
        )
        usage = response.usage
        read = usage.cache_read_input_tokens or 0
        written = usage.cache_creation_input_tokens or 0
        return Completion(
            data=data,
            usage=TokenUsage(
                input_tokens=usage.input_tokens + read + written,
                output_tokens=usage.output_tokens,
                cached_input_tokens=read,
                cache_write_input_tokens=written,
            ),
            assistant_turn={"role": "assistant", "content": _echo(blocks)},
        )

    def _repair_turns(self, completion: Completion, feedback: str) -> list[Any]:
        content = completion.assistant_turn["content"]
        tool_use = next((b for b in content if b.get("type") == "tool_use"), None)
        if tool_use is None:
            return [completion.assistant_turn, {"role": "user", "content": repair_message(feedback)}]
        result = {
            "type": "tool_result",
            "tool_use_id": tool_use["id"],
            "is_error": True,
            "content": repair_message(feedback),
        }
        return [completion.assistant_turn, {"role": "user", "content": [result]}]


def _echo(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer's blocks as request params (only the keys a request may carry)."""
    echoed: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "tool_use":
            echoed.append({k: block[k] for k in ("type", "id", "name", "input") if k in block})
        elif block.get("type") == "text" and block.get("text"):
            echoed.append({"type": "text", "text": block["text"]})
    return echoed or [{"type": "text", "text": "(no answer)"}]


def _error_type(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("type", ""))[:80]
    return type(exc).__name__
