"""Turn a profile's field specs into the pydantic model that LLM output must satisfy.

The same model gives the providers their JSON schema (structured outputs, tool schemas) and checks what
comes back, so the profile in ``extraction_profiles.json`` is the single source of the output's shape.
"""

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from enhancer.config import FieldSpec, ProfileConfig

SUMMARY_MAX_CHARS = 2000
KEYWORD_MAX_CHARS = 80


class _StrictOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _annotation(spec: FieldSpec) -> tuple[Any, Any]:
    """The (type, FieldInfo) pair for one field spec."""
    item = str if spec.max_length is None else _bounded_str(spec.max_length)
    match spec.type:
        case "string":
            annotation: Any = item
        case "string_list":
            annotation = list[item]  # type: ignore[valid-type]
        case "integer":
            annotation = int
        case "number":
            annotation = float
        case "boolean":
            annotation = bool
        case "enum":
            annotation = Literal[tuple(spec.values or ())]
    constraints: dict[str, Any] = {"description": spec.description}
    if spec.type == "string_list":
        constraints["min_length"] = spec.min_items
        constraints["max_length"] = spec.max_items
    if not spec.required:
        return annotation | None, Field(default=None, **constraints)
    return annotation, Field(**constraints)


def _bounded_str(max_length: int) -> Any:
    from typing import Annotated

    from pydantic import StringConstraints

    return Annotated[str, StringConstraints(max_length=max_length)]


@lru_cache(maxsize=64)
def _chapter_model(profile_name: str, profile_json: str) -> type[BaseModel]:
    profile = ProfileConfig.model_validate_json(profile_json)
    fields: dict[str, Any] = {
        "summary": (
            _bounded_str(SUMMARY_MAX_CHARS),
            Field(description=f"{profile.summary_sentences} sentences at most, in the chapter's language"),
        ),
        "keywords": (
            list[_bounded_str(KEYWORD_MAX_CHARS)],  # type: ignore[misc]
            Field(min_length=1, max_length=profile.keyword_count, description="specific search terms"),
        ),
        "concepts": (
            list[_bounded_str(KEYWORD_MAX_CHARS)],  # type: ignore[misc]
            Field(max_length=profile.keyword_count, description="broader ideas the chapter discusses"),
        ),
    }
    for name, spec in profile.chapter_fields.items():
        fields[name] = _annotation(spec)
    model_name = "".join(part.capitalize() for part in profile_name.split("_")) + "ChapterMetadata"
    return create_model(model_name, __base__=_StrictOutput, **fields)


def chapter_output_model(profile_name: str, profile: ProfileConfig) -> type[BaseModel]:
    """The chapter metadata model for a profile (cached: one class per profile)."""
    return _chapter_model(profile_name, profile.model_dump_json())


@lru_cache(maxsize=64)
def _document_model(profile_name: str, profile_json: str) -> type[BaseModel]:
    profile = ProfileConfig.model_validate_json(profile_json)
    fields: dict[str, Any] = {
        "summary": (
            _bounded_str(SUMMARY_MAX_CHARS * 2),
            Field(description="the whole document in a paragraph"),
        ),
    }
    for name, spec in profile.document_fields.items():
        fields[name] = _annotation(spec)
    model_name = "".join(part.capitalize() for part in profile_name.split("_")) + "DocumentMetadata"
    return create_model(model_name, __base__=_StrictOutput, **fields)


def document_output_model(profile_name: str, profile: ProfileConfig) -> type[BaseModel]:
    """The document-level (reduce step) model for a profile: a summary plus the profile's document fields."""
    return _document_model(profile_name, profile.model_dump_json())
