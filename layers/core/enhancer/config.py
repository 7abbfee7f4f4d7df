"""The five JSON configuration files, their models, and a loader that fails fast.

A bad file stops the process at load with the file, the field and the reason, e.g.
``config/extraction_profiles.json: profiles.default.max_chapter_chars: Input should be greater than 0``.
Each file is checked on its own (types, bounds, cross-field rules such as ``min_chapter_chars`` ≤
``max_chapter_chars``, rule paths that parse), then ``AppConfig`` checks the files against each other
(rules name existing profiles). Prices for the configured models are checked by ``enhancer.startup``.
"""

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enhancer.errors import ConfigError, PermanentError
from enhancer.models.enums import ErrorCode, Severity
from enhancer.models.result import DocumentResult

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
        _min_not_above_max(self.min_items, self.max_items, "min_items", "max_items")
        return self


def _min_not_above_max(low: int | None, high: int | None, low_name: str, high_name: str) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"{low_name} ({low}) is greater than {high_name} ({high})")


LLM_PROVIDERS = ("openai", "anthropic", "bedrock")


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
    models: dict[str, str] = Field(
        default_factory=dict,
        description="per-provider model override (openai, anthropic, bedrock); each model needs a price",
    )

    @field_validator("models")
    @classmethod
    def _providers(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LLM_PROVIDERS))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a provider; one of: {', '.join(LLM_PROVIDERS)}")
        return value

    @model_validator(mode="after")
    def _chapter_bounds(self) -> "ProfileConfig":
        _min_not_above_max(
            self.min_chapter_chars, self.max_chapter_chars, "min_chapter_chars", "max_chapter_chars"
        )
        return self


class ExtractionProfilesConfig(_ConfigFile):
    default_profile: str = "default"
    profiles: dict[str, ProfileConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> "ExtractionProfilesConfig":
        if self.default_profile not in self.profiles:
            raise ValueError(f"default_profile {self.default_profile!r} is not one of the profiles")
        return self

    def get(self, name: str | None) -> tuple[str, ProfileConfig]:
        """The named profile, or the default one when the name is empty or unknown (for steps after
        extraction, which only ever see a name ``require`` accepted)."""
        chosen = name if name in self.profiles else self.default_profile
        return chosen, self.profiles[chosen]

    def require(self, name: str | None) -> tuple[str, ProfileConfig]:
        """The named profile (the default one when the name is empty); an unknown name is a
        ``PermanentError`` with code ``UNKNOWN_PROFILE`` that lists the profiles."""
        if not name:
            return self.default_profile, self.profiles[self.default_profile]
        if name not in self.profiles:
            raise PermanentError(self.unknown_message(name), code=ErrorCode.UNKNOWN_PROFILE)
        return name, self.profiles[name]

    def unknown_message(self, name: str) -> str:
        shown = name if len(name) <= 64 else name[:63] + "…"
        hint = self.spelled_like(name)
        suggestion = f" (did you mean {hint!r}?)" if hint else ""
        return f"unknown profile {shown!r}{suggestion}; one of: {', '.join(self.profiles)}"

    def spelled_like(self, name: str) -> str | None:
        """The profile ``name`` spells, up to case and ``-``/``_``/space (``Technical-Book``)."""
        folded = _fold_profile_name(name)
        return next((p for p in self.profiles if _fold_profile_name(p) == folded), None)


def _fold_profile_name(name: str) -> str:
    return re.sub(r"[-_\s]+", "_", name.strip().lower())


# --- validation_rules.json -------------------------------------------------------------------------


_PATH_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(\[\*\])?"
_RULE_PATH = re.compile(rf"^{_PATH_SEGMENT}(\.{_PATH_SEGMENT})*$")


class _Rule(_ConfigModel):
    name: str
    path: str = Field(description="dotted path into the result JSON; '[*]' iterates a list")
    severity: Severity = Severity.ERROR
    profiles: list[str] | None = Field(default=None, description="only for these profiles; all when absent")
    min_source_chars: int | None = Field(
        default=None,
        ge=1,
        description="where the text the value was made from is shorter (the chapter's char_count under "
        "chapters[*], else pdf.text_chars), a length or count rule keeps only its max and any other rule "
        "skips the value; unknown lengths are checked",
    )

    @field_validator("path")
    @classmethod
    def _parses(cls, value: str) -> str:
        """A path that cannot match anything would fail (or pass) every document, so it fails the load."""
        if not _RULE_PATH.match(value):
            raise ValueError(
                f"{value!r} is not a dotted path of names, each optionally followed by [*] "
                "(e.g. chapters[*].metadata.summary)"
            )
        top = value.split(".", 1)[0].removesuffix("[*]")
        if top not in DocumentResult.model_fields:
            raise ValueError(f"{value!r} starts with {top!r}, not a key of the result JSON")
        return value


class _RangeRule(_Rule):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> "_RangeRule":
        _min_not_above_max(self.min, self.max, "min", "max")
        return self


class RequiredRule(_Rule):
    type: Literal["required"]


class LengthRule(_RangeRule):
    type: Literal["length"]


class CountRule(_RangeRule):
    type: Literal["count"]


class AllowedValuesRule(_Rule):
    type: Literal["allowed_values"]
    values: list[str] = Field(min_length=1)


class PageTilingRule(_Rule):
    type: Literal["page_tiling"]


class LanguageRule(_Rule):
    type: Literal["language"]
    values: list[str] = Field(min_length=1, description="ISO 639-1 codes accepted")


class UniqueSentencesRule(_Rule):
    type: Literal["unique_sentences"]


class CompleteSentencesRule(_Rule):
    type: Literal["complete_sentences"]


class UniqueItemsRule(_Rule):
    type: Literal["unique_items"]
    containment: bool = Field(
        default=False, description="also flag an item whose words occur inside another item's"
    )


ValidationRule = Annotated[
    RequiredRule
    | LengthRule
    | CountRule
    | AllowedValuesRule
    | PageTilingRule
    | LanguageRule
    | UniqueSentencesRule
    | CompleteSentencesRule
    | UniqueItemsRule,
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


_UTF16_32_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _read_text(path: Path) -> str:
    """The file as UTF-8 (a UTF-8 byte-order mark is allowed); any other encoding names the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found (set {CONFIG_DIR_ENV} or pass --config-dir)") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    for bom, encoding in _UTF16_32_BOMS.items():
        if data.startswith(bom):
            raise ConfigError(f"{path}: the file is {encoding}-encoded; save it as UTF-8")
    if b"\x00" in data[:64]:  # JSON text has no NUL: UTF-16 or UTF-32 without a byte-order mark
        raise ConfigError(f"{path}: the file looks UTF-16-encoded (NUL bytes); save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8: byte 0x{data[exc.start]:02x} at position {exc.start}; save it as UTF-8"
        ) from exc


def load_config_file(path: Path, model: type[ConfigT]) -> ConfigT:
    text = _read_text(path)
    try:
        raw = json.loads(text)
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
    """All five configuration files, validated one by one and against each other."""

    model_config = ConfigDict(frozen=True)

    directory: Path
    chapter_patterns: ChapterPatternsConfig
    extraction_profiles: ExtractionProfilesConfig
    validation_rules: ValidationRulesConfig
    metadata_keywords: MetadataKeywordsConfig
    llm_pricing: LlmPricingConfig


def load_app_config(config_dir: Path | None = None) -> AppConfig:
    directory = config_dir or default_config_dir()
    profiles = load_config_file(directory / "extraction_profiles.json", ExtractionProfilesConfig)
    rules = load_config_file(directory / "validation_rules.json", ValidationRulesConfig)
    for index, rule in enumerate(rules.rules):
        unknown = [name for name in rule.profiles or [] if name not in profiles.profiles]
        if unknown:
            raise ConfigError(
                f"{directory / 'validation_rules.json'}: rules.{index}.profiles: unknown profile "
                f"{unknown[0]!r} (rule {rule.name!r}); one of: {', '.join(profiles.profiles)}"
            )
    return AppConfig(
        directory=directory,
        chapter_patterns=load_config_file(directory / "chapter_patterns.json", ChapterPatternsConfig),
        extraction_profiles=profiles,
        validation_rules=rules,
        metadata_keywords=load_config_file(directory / "metadata_keywords.json", MetadataKeywordsConfig),
        llm_pricing=load_config_file(directory / "llm_pricing.json", LlmPricingConfig),
    )


@lru_cache(maxsize=8)
def get_app_config(config_dir: Path | None = None) -> AppConfig:
    """Cached per directory: handlers call this at cold start, tests clear it with ``cache_clear``."""
    return load_app_config(config_dir)
