"""A fake LLM server for tests and demos: OpenAI, Anthropic and Bedrock Converse wire formats."""

from enhancer.fakellm.server import ACTIONS, FakeLlmServer, FaultPlan, RecordedRequest

__all__ = ["ACTIONS", "FakeLlmServer", "FaultPlan", "RecordedRequest"]
