"""Fixtures every suite shares: where things are, and an environment that can never reach real AWS."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / "config"
EVENTS_DIR = REPO_ROOT / "events"
SAMPLES_DIR = REPO_ROOT / "samples"
# Beside the checkout (../shared/corpus); CORPUS_DIR points a worktree elsewhere at it.
CORPUS_DIR = Path(os.environ.get("CORPUS_DIR") or REPO_ROOT.parent / "shared" / "corpus")

# Fake credentials before anything imports boto3: no test may ever talk to a real account.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "doc-enhancer-tests",
    "POWERTOOLS_METRICS_NAMESPACE": "DocumentEnhancer",
    "POWERTOOLS_TRACE_DISABLED": "true",
}.items():
    os.environ[_name] = _value
# moto with DynamoDB's one-at-a-time writes to an item, for in-process mock_aws as for the embedded server.
from enhancer.local.emulator import serialise_dynamodb_writes  # noqa: E402

serialise_dynamodb_writes()
for _name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LLM_PROVIDER", "LLM_FALLBACK_PROVIDER", "AWS_PROFILE"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def config_dir() -> Path:
    return CONFIG_DIR


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS_DIR / "pdfs").is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    return CORPUS_DIR


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Settings and config are cached per process; every test starts from the environment it sets."""
    from enhancer.config import get_app_config
    from enhancer.settings import get_settings

    get_settings.cache_clear()
    get_app_config.cache_clear()
    yield
    get_settings.cache_clear()
    get_app_config.cache_clear()
