"""Settings read once from the environment and validated at cold start.

Only handlers and the CLI read these; logic receives plain values. Tests set env vars and call
``get_settings.cache_clear()``.
"""

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

ProviderName = Literal["openai", "anthropic", "bedrock", "offline"]
PdfEngine = Literal["auto", "pdfium", "pypdf"]
OcrEngineSetting = Literal["auto", "textract", "rapidocr", "none"]


class _EnvSettings(BaseModel):
    """Each field is read from the environment variable its alias names (case-insensitive); keyword
    arguments, by alias or name, win over the environment.

    That is all these settings need of pydantic-settings, which costs ~95 ms of imports (its dotenv,
    secrets-manager and file sources) on every cold start.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _read_environment(cls, given: Any) -> Any:
        if not isinstance(given, dict):
            return given
        environment = {name.upper(): value for name, value in os.environ.items()}
        read = {
            field.alias: environment[field.alias.upper()]
            for name, field in cls.model_fields.items()
            if field.alias and field.alias.upper() in environment and not {name, field.alias} & given.keys()
        }
        return {**read, **given}


class StorageSettings(_EnvSettings):
    stage: str = Field(default="dev", alias="STAGE")
    input_bucket: str = Field(default="", alias="INPUT_BUCKET")
    output_bucket: str = Field(default="", alias="OUTPUT_BUCKET")
    documents_table: str = Field(default="", alias="DOCUMENTS_TABLE")
    cache_table: str = Field(default="", alias="CACHE_TABLE")
    idempotency_table: str = Field(default="", alias="IDEMPOTENCY_TABLE")
    rate_limit_table: str = Field(default="", alias="RATE_LIMIT_TABLE")
    ingest_queue_url: str = Field(default="", alias="INGEST_QUEUE_URL")
    enrich_queue_url: str = Field(default="", alias="ENRICH_QUEUE_URL")
    pages_queue_url: str = Field(default="", alias="PAGES_QUEUE_URL")
    validate_queue_url: str = Field(default="", alias="VALIDATE_QUEUE_URL")


class ExtractionSettings(_EnvSettings):
    pdf_engine: PdfEngine = Field(default="auto", alias="PDF_ENGINE")
    max_file_bytes: int = Field(default=200 * 1024 * 1024, gt=0, alias="MAX_FILE_BYTES")
    max_pages: int = Field(default=5000, gt=0, alias="MAX_PAGES")
    config_dir: Path | None = Field(default=None, alias="CONFIG_DIR")
    # Above this many pages the text is extracted in ranges over the pages queue (Lambda's 15 min, memory).
    fanout_pages: int = Field(default=300, gt=0, alias="EXTRACT_FANOUT_PAGES")
    pages_per_task: int = Field(default=100, gt=0, alias="EXTRACT_PAGES_PER_TASK")


class OcrSettings(_EnvSettings):
    # auto: Textract on Lambda, RapidOCR elsewhere; none: scanned documents end NO_TEXT.
    engine: OcrEngineSetting = Field(default="auto", alias="OCR_ENGINE")
    dpi: int = Field(default=150, ge=72, le=600, alias="OCR_DPI")
    min_dpi: int = Field(default=72, ge=36, le=600, alias="OCR_MIN_DPI")
    # One grayscale byte per pixel: 40 Mpx is an A4 page at 600 dpi, a 27 x 27 in poster at 150 dpi.
    max_pixels: int = Field(default=40_000_000, ge=1_000_000, alias="OCR_MAX_PIXELS")
    min_image_coverage: float = Field(default=0.5, gt=0, le=1, alias="OCR_MIN_IMAGE_COVERAGE")
    # More scanned pages than this go to the pages queue in ranges of OCR_PAGES_PER_TASK (when there is one).
    fanout_pages: int = Field(default=4, ge=1, alias="OCR_FANOUT_PAGES")
    pages_per_task: int = Field(default=4, ge=1, alias="OCR_PAGES_PER_TASK")
    threads: int = Field(default=0, ge=0, alias="OCR_THREADS", description="RapidOCR threads; 0: all cores")


class LlmSettings(_EnvSettings):
    provider: ProviderName | None = Field(default=None, alias="LLM_PROVIDER")
    fallback_provider: ProviderName | None = Field(default=None, alias="LLM_FALLBACK_PROVIDER")
    model: str | None = Field(default=None, alias="LLM_MODEL")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    anthropic_api_key: SecretStr | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    # On AWS the keys live in one Secrets Manager secret, JSON with OPENAI_API_KEY and ANTHROPIC_API_KEY,
    # read at run time through Powertools parameters; never in plain environment variables.
    api_keys_secret: str | None = Field(default=None, alias="LLM_API_KEYS_SECRET")
    rate_limit_per_minute: int = Field(default=60, gt=0, alias="RATE_LIMIT")
    max_attempts: int = Field(default=3, ge=1, alias="LLM_MAX_ATTEMPTS")
    backoff_base_s: float = Field(default=1.0, ge=0, alias="LLM_BACKOFF_BASE")
    timeout_s: float = Field(default=30.0, gt=0, alias="LLM_TIMEOUT")
    cache_enabled: bool = Field(default=True, alias="CACHE_ENABLED")
    cache_ttl_s: int = Field(default=30 * 24 * 3600, gt=0, alias="CACHE_TTL")
    # Set by the local runtime: a laptop keeps LLM answers in files (the runbook's cache/llm_responses/)
    # so they survive between runs; on AWS it is unset and the DynamoDB cache table is used.
    cache_dir: Path | None = Field(default=None, alias="LLM_CACHE_DIR")
    max_workers: int = Field(default=4, ge=1, alias="MAX_WORKERS")

    def effective_provider(self) -> ProviderName:
        """``LLM_PROVIDER`` when set, else ``offline``: a clone with no key still works end to end."""
        return self.provider or "offline"


class SweepSettings(_EnvSettings):
    # Unset: each step's maximum time comes from its queues (maxReceiveCount x visibility timeout).
    stale_after_s: float | None = Field(default=None, gt=0, alias="SWEEP_STALE_AFTER_S")


class Settings(_EnvSettings):
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    storage: StorageSettings = Field(default_factory=StorageSettings)
    extraction: ExtractionSettings = Field(default_factory=ExtractionSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    sweep: SweepSettings = Field(default_factory=SweepSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
