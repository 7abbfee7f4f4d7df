"""Bounds on text that comes from a PDF (title, author, outline and chapter titles), applied by the models
where each structure is built, so no record, message or log line carries an unbounded string from a file
anyone can upload (a 1 MB ``/Title`` once froze its document: the DynamoDB item passed 400 KB).

A model with bounded fields lists them in ``_bounds`` and gets a ``truncated`` field: the names of the
fields that were cut. A cut string ends with ``…`` at exactly its field's limit; that shape is recognised
when a cut value is copied into another bounded model (an outline title becoming a chapter title, a
chapter span becoming a chapter result), so the flag follows the text.
"""

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, Field, model_validator

ELLIPSIS = "…"
TITLE_MAX_CHARS = 500  # pdf.title, outline, section and chapter titles
AUTHOR_MAX_CHARS = 300
LABEL_MAX_CHARS = 64  # printed page labels (/PageLabels)
ERROR_MESSAGE_MAX_CHARS = 1000
PROFILE_MAX_CHARS = 64


def cut(value: str, limit: int) -> tuple[str, bool]:
    """``value`` at most ``limit`` characters, and whether it was (now or before) cut."""
    if len(value) > limit:
        return value[: limit - 1] + ELLIPSIS, True
    return value, len(value) == limit and value.endswith(ELLIPSIS)


class BoundedText(BaseModel):
    """Base of the models whose string fields come from a PDF; see the module docstring."""

    _bounds: ClassVar[dict[str, int]] = {}

    truncated: list[str] = Field(
        default_factory=list,
        description="fields whose text from the PDF was cut to its limit (ends with …)",
    )

    @model_validator(mode="before")
    @classmethod
    def _bound(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls._bounds:
            return data
        data = dict(data)
        flagged = list(data.get("truncated") or [])
        for name, limit in cls._bounds.items():
            value = data.get(name)
            if isinstance(value, str):
                data[name], was_cut = cut(value, limit)
                if was_cut and name not in flagged:
                    flagged.append(name)
        data["truncated"] = flagged
        return data


def _cut_to(limit: int) -> AfterValidator:
    return AfterValidator(lambda value: cut(value, limit)[0])


# Cut without a flag: for stores that keep a copy of text whose flag lives in the result JSON (the DynamoDB
# record's title and error message) and for names the pipeline was given (a profile from object metadata).
RecordTitle = Annotated[str, _cut_to(TITLE_MAX_CHARS)]
ErrorMessage = Annotated[str, _cut_to(ERROR_MESSAGE_MAX_CHARS)]
ProfileName = Annotated[str, _cut_to(PROFILE_MAX_CHARS)]
