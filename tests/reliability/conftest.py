"""The reliability suites share the integration fixtures: one moto server and one fake LLM server per
xdist worker, the SDKs pointed at the fake through their own env vars."""

from tests.integration.conftest import aws_endpoint, embedded_aws
from tests.integration.providers.conftest import fake_llm, fake_llm_server

__all__ = ["aws_endpoint", "embedded_aws", "fake_llm", "fake_llm_server"]
