"""The deploy-time knobs, read once from CDK context (``cdk.json`` or ``-c key=value``).

Defaults come from ``enhancer.settings`` so the deployed functions and a laptop run agree unless told
otherwise. Context given on the command line arrives as strings, hence the parsing here.
"""

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_lambda as lambda_

from enhancer.resources import DEFAULT_STAGE
from enhancer.settings import LlmSettings

_OCR_ENGINES = ("auto", "textract", "rapidocr", "none")
_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}
_PROVIDERS = ("openai", "anthropic", "bedrock", "offline")


def _llm_default(field: str) -> Any:
    return LlmSettings.model_fields[field].default


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def snapstart_enabled(get: Any) -> bool:
    """``-c snapstart=false`` turns Lambda SnapStart off on every function (it is on by default where it
    pays; see ``infra.constructs.function``). ``get`` is ``node.try_get_context``."""
    found = get("snapstart")
    return True if found in (None, "") else _as_bool(found)


@dataclass(frozen=True)
class StackConfig:
    stage: str = DEFAULT_STAGE
    alert_email: str | None = None
    llm_provider: str = "offline"
    llm_model: str | None = None
    max_workers: int = _llm_default("max_workers")
    rate_limit: int = _llm_default("rate_limit_per_minute")
    cache_enabled: bool = _llm_default("cache_enabled")
    cache_ttl_s: int = _llm_default("cache_ttl_s")
    log_level: str = "INFO"
    architecture: str = "arm64"
    # OCR of scanned pages: auto = Textract on AWS; rapidocr adds the OCR layer to the extract functions.
    ocr_engine: str = "auto"
    # Where `doc-enhancer console --stage` serves the console: the browser PUTs uploads to S3 from there.
    console_origins: tuple[str, ...] = ("http://127.0.0.1:8090", "http://localhost:8090")
    # Tests only: point every code asset at a stub folder so synth hashes no layer and runs no pip.
    stub_assets: bool = False

    def __post_init__(self) -> None:
        if self.architecture not in _ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {sorted(_ARCHITECTURES)}, not {self.architecture!r}"
            )
        if self.llm_provider not in _PROVIDERS:
            raise ValueError(f"provider must be one of {_PROVIDERS}, not {self.llm_provider!r}")
        if self.ocr_engine not in _OCR_ENGINES:
            raise ValueError(f"ocr_engine must be one of {_OCR_ENGINES}, not {self.ocr_engine!r}")
        if self.max_workers < 1 or self.rate_limit < 1:
            raise ValueError("max_workers and rate_limit must be at least 1")

    @property
    def lambda_architecture(self) -> lambda_.Architecture:
        return _ARCHITECTURES[self.architecture]

    @classmethod
    def from_context(cls, get: Any) -> "StackConfig":
        """``get`` is ``node.try_get_context``; absent or empty values keep the defaults."""
        defaults = cls()

        def value(key: str, fallback: Any) -> Any:
            found = get(key)
            return fallback if found in (None, "") else found

        model = value("model", None)
        email = value("alert_email", None)
        return cls(
            stage=str(value("stage", defaults.stage)),
            alert_email=str(email) if email else None,
            llm_provider=str(value("provider", defaults.llm_provider)),
            llm_model=str(model) if model else None,
            max_workers=int(value("max_workers", defaults.max_workers)),
            rate_limit=int(value("rate_limit", defaults.rate_limit)),
            cache_enabled=_as_bool(value("cache_enabled", defaults.cache_enabled)),
            cache_ttl_s=int(value("cache_ttl", defaults.cache_ttl_s)),
            log_level=str(value("log_level", defaults.log_level)).upper(),
            architecture=str(value("architecture", defaults.architecture)),
            ocr_engine=str(value("ocr_engine", defaults.ocr_engine)),
            console_origins=_origins(value("console_origins", defaults.console_origins)),
            stub_assets=_as_bool(value("stub_assets", defaults.stub_assets)),
        )


def _origins(raw: Any) -> tuple[str, ...]:
    """``-c console_origins=http://127.0.0.1:9000,https://ops.example.com`` (or a list in cdk.json)."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())
