"""The four JSON configuration files, their models, and a loader that fails fast.

A bad file stops the process at load with the file, the field and the reason, e.g.
``config/extraction_profiles.json: profiles.default.max_chapter_chars: Input should be greater than 0``.
"""

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enhancer.errors import ConfigError
from enhancer.models.enums import Severity

CONFIG_DIR_ENV = "CONFIG_DIR"


class _ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _ConfigFile(_ConfigModel):
    schema_ref: str | None = Field(default=None, alias="$schema")


# --- chapter_patterns.json -------------------------------------------------------------------------

RegexFlag = Literal["IGNORECASE", "MULTILINE", "UNICODE"]


class HeadingPattern(_ConfigModel):
    name: str
    regex: str = Field(description="Python regex matched against one line; may capture 'number' and 'title'")
    flags: list[RegexFlag] = Field(default_factory=list)
    kind: Literal["chapter", "part", "section", "appendix"] = "chapter"
    languages: list[str] = Field(default_factory=list)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    def compiled(self) -> re.Pattern[str]:
        flags = 0
        for flag in self.flags:
            flags |= getattr(re, flag)
        return re.compile(self.regex, flags)


class ChapterPatternsConfig(_ConfigFile):
    heading_patterns: list[HeadingPattern] = Field(min_length=1)
    toc_markers: list[str] = Field(
        default_factory=list, description="lower-case titles of table-of-contents pages"
    )
    heading_search_lines: int = Field(default=6, ge=1, description="lines from the top of a page to search")
    max_heading_chars: int = Field(default=120, ge=10)
    running_line_min_pages: int = Field(
        default=3, ge=2, description="a line on this many pages is a running header or footer"
    )


# --- extraction_profiles.json ----------------------------------------------------------------------

FieldType = Literal["string", "string_list", "integer", "number", "boolean", "enum"]


class FieldSpec(_ConfigModel):
    type: FieldType
    description: str
    required: bool = True
    max_length: int | None = Field(default=None, gt=0, description="characters, for strings and list items")
    min_items: int | None = Field(default=None, ge=0)
    max_items: int | None = Field(default=None, gt=0)
    values: list[str] | None = Field(default=None, description="allowed values, for type enum")

    @model_validator(mode="after")
    def _enum_has_values(self) -> "FieldSpec":
        if self.type == "enum" and not self.values:
            raise ValueError("type 'enum' needs a non-empty 'values' list")
        return self


class ProfileConfig(_ConfigModel):
    description: str
    instructions: str = Field(description="what the LLM is asked to do with each chapter")
    chapter_fields: dict[str, FieldSpec] = Field(
        default_factory=dict, description="profile fields beyond summary, keywords and concepts"
    )
    document_fields: dict[str, FieldSpec] = Field(default_factory=dict)
    document_reduce: bool = Field(
        default=False, description="summarise the chapter summaries into the document summary with the LLM"
    )
    max_chapter_chars: int = Field(default=48_000, gt=0, description="longer chapters are split into parts")
    min_chapter_chars: int = Field(default=300, ge=0, description="shorter chapters merge into a neighbour")
    fallback_pages_per_chapter: int = Field(default=10, gt=0)
    summary_sentences: int = Field(default=3, gt=0)
    keyword_count: int = Field(default=10, gt=0)
    max_output_tokens: int = Field(default=1024, gt=0)
    models: dict[str, str] = Field(default_factory=dict, description="per-provider model override")


class ExtractionProfilesConfig(_ConfigFile):
    default_profile: str = "default"
    profiles: dict[str, ProfileConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> "ExtractionProfilesConfig":
        if self.default_profile not in self.profiles:
            raise ValueError(f"default_profile {self.default_profile!r} is not one of the profiles")
        return self

    def get(self, name: str | None) -> tuple[str, ProfileConfig]:
        """The named profile, or the default one when the name is empty or unknown."""
        chosen = name if name in self.profiles else self.default_profile
        return chosen, self.profiles[chosen]


# --- validation_rules.json -------------------------------------------------------------------------


class _Rule(_ConfigModel):
    name: str
    path: str = Field(description="dotted path into the result JSON; '[*]' iterates a list")
    severity: Severity = Severity.ERROR
    profiles: list[str] | None = Field(default=None, description="only for these profiles; all when absent")


class RequiredRule(_Rule):
    type: Literal["required"]


class LengthRule(_Rule):
    type: Literal["length"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class CountRule(_Rule):
    type: Literal["count"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class AllowedValuesRule(_Rule):
    type: Literal["allowed_values"]
    values: list[str] = Field(min_length=1)


class PageTilingRule(_Rule):
    type: Literal["page_tiling"]


class LanguageRule(_Rule):
    type: Literal["language"]
    values: list[str] = Field(min_length=1, description="ISO 639-1 codes accepted")


ValidationRule = Annotated[
    RequiredRule | LengthRule | CountRule | AllowedValuesRule | PageTilingRule | LanguageRule,
    Field(discriminator="type"),
]


class ValidationRulesConfig(_ConfigFile):
    rules: list[ValidationRule] = Field(min_length=1)
    fail_on: Severity = Field(
        default=Severity.ERROR, description="issues of this severity make validation.passed false"
    )


# --- metadata_keywords.json ------------------------------------------------------------------------


class KeywordDomain(_ConfigModel):
    label: str
    keywords: list[str] = Field(
        min_length=1, description="lower-case terms; a hit tags the domain's concepts"
    )


class MetadataKeywordsConfig(_ConfigFile):
    domains: dict[str, KeywordDomain] = Field(min_length=1)
    min_hits: int = Field(
        default=2, ge=1, description="distinct keyword hits before a domain becomes a topic"
    )


# --- llm_pricing.json ------------------------------------------------------------------------------


class ModelPrice(_ConfigModel):
    input_per_mtok: float = Field(ge=0, description="USD per 1M input tokens")
    output_per_mtok: float = Field(ge=0, description="USD per 1M output tokens")
    cached_input_per_mtok: float | None = Field(
        default=None, ge=0, description="USD per 1M input tokens read from the provider's prompt cache"
    )
    cache_write_per_mtok: float | None = Field(
        default=None, ge=0, description="USD per 1M input tokens written to the prompt cache (Anthropic)"
    )


class LlmPricingConfig(_ConfigFile):
    currency: Literal["USD"] = "USD"
    as_of: str = Field(description="when the prices were copied from the providers' price lists")
    models: dict[str, ModelPrice] = Field(min_length=1, description="model id -> prices")


# --- ocr_pricing.json ------------------------------------------------------------------------------


class OcrPricingConfig(_ConfigFile):
    currency: Literal["USD"] = "USD"
    as_of: str = Field(description="when the prices were copied from the providers' price lists")
    per_page: dict[str, float] = Field(min_length=1, description="OCR engine -> USD per page read")


# --- loading ---------------------------------------------------------------------------------------

CONFIG_FILES: dict[str, type[_ConfigFile]] = {
    "chapter_patterns.json": ChapterPatternsConfig,
    "extraction_profiles.json": ExtractionProfilesConfig,
    "validation_rules.json": ValidationRulesConfig,
    "metadata_keywords.json": MetadataKeywordsConfig,
    "llm_pricing.json": LlmPricingConfig,
    "ocr_pricing.json": OcrPricingConfig,
}

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def default_config_dir() -> Path:
    """``CONFIG_DIR`` when set; else the copy bundled into the Lambda layer; else the repository's."""
    if env := os.environ.get(CONFIG_DIR_ENV):
        return Path(env)
    bundled = Path(__file__).parent / "_config"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[3] / "config"


def load_config_file(path: Path, model: type[ConfigT]) -> ConfigT:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found (set {CONFIG_DIR_ENV} or pass --config-dir)") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{path}: {where}: {first['msg']}{more}") from exc


class AppConfig(BaseModel):
    """All four configuration files, validated."""

    model_config = ConfigDict(frozen=True)

    directory: Path
    chapter_patterns: ChapterPatternsConfig
    extraction_profiles: ExtractionProfilesConfig
    validation_rules: ValidationRulesConfig
    metadata_keywords: MetadataKeywordsConfig


def load_app_config(config_dir: Path | None = None) -> AppConfig:
    directory = config_dir or default_config_dir()
    return AppConfig(
        directory=directory,
        chapter_patterns=load_config_file(directory / "chapter_patterns.json", ChapterPatternsConfig),
        extraction_profiles=load_config_file(
            directory / "extraction_profiles.json", ExtractionProfilesConfig
        ),
        validation_rules=load_config_file(directory / "validation_rules.json", ValidationRulesConfig),
        metadata_keywords=load_config_file(directory / "metadata_keywords.json", MetadataKeywordsConfig),
    )


@lru_cache(maxsize=8)
def get_app_config(config_dir: Path | None = None) -> AppConfig:
    """Cached per directory: handlers call this at cold start, tests clear it with ``cache_clear``."""
    return load_app_config(config_dir)
