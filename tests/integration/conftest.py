"""A moto server over real HTTP for the integration suites (one per test session and xdist worker)."""

from collections.abc import Iterator

import pytest

from enhancer.local.emulator import EmbeddedAws


@pytest.fixture(scope="session")
def embedded_aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws() as aws:
        yield aws


@pytest.fixture
def aws_endpoint(embedded_aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The endpoint URL, exported as ``AWS_ENDPOINT_URL`` so production code reaches it unchanged;
    every resource is dropped after the test."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", embedded_aws.endpoint_url)
    yield embedded_aws.endpoint_url
    embedded_aws.reset()
