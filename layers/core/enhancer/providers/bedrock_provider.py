"""Amazon Bedrock through boto3's ``bedrock-runtime`` Converse API with a forced tool.

IAM credentials, no API key. botocore's own retries are off (``total_max_attempts=1``) because the
``CallBudget`` retries; ``read_timeout`` is the LLM timeout. ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (or
``AWS_ENDPOINT_URL``) points it elsewhere, e.g. at the fake LLM server. Claude and Nova models get a
``cachePoint`` after the stable system prompt.
"""

from typing import Any

from enhancer.providers.llm import Completion, StructuredLlmProvider, system_text
from enhancer.providers.pricing import PriceTable, TokenUsage
from enhancer.providers.prompts import Prompt, json_schema, repair_message
from enhancer.providers.resilience import CallBudget, LlmCallError

THROTTLING = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"})
PASSING = frozenset(
    {
        "ModelTimeoutException",
        "InternalServerException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
    }
)
_CACHEABLE_FAMILIES = ("anthropic.claude", "amazon.nova")


class BedrockProvider(StructuredLlmProvider):
    name = "bedrock"

    def __init__(
        self,
        *,
        model: str | None,
        budget: CallBudget,
        prices: PriceTable,
        timeout_s: float,
        client: Any = None,
    ) -> None:
        super().__init__(model=model, budget=budget, prices=prices)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "bedrock-runtime",
                config=Config(
                    read_timeout=timeout_s,
                    connect_timeout=min(10.0, timeout_s),
                    retries={"total_max_attempts": 1, "mode": "standard"},
                ),
            )
        self._client = client

    def _send(self, prompt: Prompt, model: str, turns: list[Any]) -> Completion:
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        system: list[dict[str, Any]] = [{"text": system_text(prompt)}]
        if any(family in model for family in _CACHEABLE_FAMILIES):
            system.append({"cachePoint": {"type": "default"}})
        try:
            response = self._client.converse(
                modelId=model,
                system=system,
                messages=[{"role": "user", "content": [{"text": prompt.user}]}, *turns],
                toolConfig={
                    "tools": [
                        {
                            "toolSpec": {
                                "name": prompt.tool_name,
                                "description": "Record the structured metadata extracted from the text.",
                                "inputSchema": {"json": json_schema(prompt.output_model)},
                            }
                        }
                    ],
                    "toolChoice": {"tool": {"name": prompt.tool_name}},
                },
                inferenceConfig={"maxTokens": prompt.max_output_tokens},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            throttled = code in THROTTLING or status == 429
            retryable = throttled or code in PASSING or (status is not None and status >= 500)
            raise LlmCallError(
                f"{code or 'error'} (HTTP {status})", retryable=retryable, throttled=throttled, status=status
            ) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise LlmCallError("request timed out", retryable=True) from exc
        except (EndpointConnectionError, ConnectionClosedError) as exc:
            raise LlmCallError("connection failed", retryable=True) from exc
        content = response.get("output", {}).get("message", {}).get("content", [])
        tool_use = next((b["toolUse"] for b in content if "toolUse" in b), None)
        data: Any = (
            tool_use["input"] if tool_use else "".join(b.get("text", "") for b in content) or "no answer"
        )
        usage = response.get("usage", {})
        read = usage.get("cacheReadInputTokens", 0)
        written = usage.get("cacheWriteInputTokens", 0)
        return Completion(
            data=data,
            usage=TokenUsage(
                input_tokens=usage.get("inputTokens", 0) + read + written,
                output_tokens=usage.get("outputTokens", 0),
                cached_input_tokens=read,
                cache_write_input_tokens=written,
            ),
            assistant_turn={"role": "assistant", "content": content},
        )

    def _repair_turns(self, completion: Completion, feedback: str) -> list[Any]:
        content = completion.assistant_turn["content"] or [{"text": "(no answer)"}]
        tool_use = next((b["toolUse"] for b in content if "toolUse" in b), None)
        if tool_use is None:
            return [
                completion.assistant_turn,
                {"role": "user", "content": [{"text": repair_message(feedback)}]},
            ]
        result = {
            "toolResult": {
                "toolUseId": tool_use["toolUseId"],
                "content": [{"text": repair_message(feedback)}],
                "status": "error",
            }
        }
        return [{"role": "assistant", "content": content}, {"role": "user", "content": [result]}]
