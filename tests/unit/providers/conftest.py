from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enhancer.config import AppConfig, load_app_config
from enhancer.models import ChapterMetadata, LlmCallInfo
from enhancer.providers.base import EnrichmentOutcome, EnrichmentRequest, ReduceOutcome, ReduceRequest


@pytest.fixture(scope="session")
def app_config(config_dir: Path) -> AppConfig:
    return load_app_config(config_dir)


@pytest.fixture
def chapter(app_config: AppConfig) -> Callable[..., EnrichmentRequest]:
    def _make(
        profile_name: str = "default", text: str = "Some chapter text. It has sentences.", **extra: Any
    ):
        name, profile = app_config.extraction_profiles.get(profile_name)
        values: dict[str, Any] = {
            "document_id": "d" * 32,
            "chapter_index": 0,
            "chapter_title": "Intro",
            "text": text,
            "profile_name": name,
            "profile": profile,
        }
        values.update(extra)
        return EnrichmentRequest(**values)

    return _make


class ScriptedProvider:
    """An in-memory EnrichmentProvider: answers, or raises the next scripted error."""

    def __init__(self, name: str, errors: list[Exception] | None = None) -> None:
        self.name = name
        self.errors = list(errors or [])
        self.calls = 0

    def _next(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        self._next()
        return EnrichmentOutcome(
            metadata=ChapterMetadata(summary=f"{self.name}: {request.text[:20]}", keywords=["k"]),
            llm=LlmCallInfo(
                provider=self.name,
                model=f"{self.name}-model",
                input_tokens=10,
                output_tokens=5,
                attempts=1,
                estimated_cost_usd=0.001,
            ),
        )

    def reduce_document(self, request: ReduceRequest) -> ReduceOutcome:
        self._next()
        return ReduceOutcome(
            summary=f"{self.name} summary",
            fields={"research_field": "x"},
            llm=LlmCallInfo(provider=self.name, model=f"{self.name}-model", attempts=1),
        )


@pytest.fixture
def scripted() -> type[ScriptedProvider]:
    return ScriptedProvider
