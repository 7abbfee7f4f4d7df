"""Size budgets of what the pipeline writes to DynamoDB and SQS, and how those services count bytes.

Every string from a PDF is cut where its model is built (``enhancer.models.bounded``); the other fields of
the documents-table item are ids, numbers, timestamps and a key (S3 keys are at most 1,024 bytes), and the
SQS bodies carry pointers, never text. The tests build each item and message with every field at its
limit and check it against these budgets.
"""

from decimal import Decimal
from typing import Any

DYNAMODB_ITEM_MAX_BYTES = 400 * 1024  # the service's hard limit per item
DYNAMODB_ITEM_BUDGET_BYTES = 200 * 1024  # what our documents item may use: half, for headroom
SQS_MESSAGE_MAX_BYTES = 256 * 1024  # the long-standing limit (LocalStack and older accounts)
SQS_MESSAGE_BUDGET_BYTES = 16 * 1024
S3_KEY_MAX_BYTES = 1024
# With the shipped limits (MAX_PAGES 5,000, 100,000 characters a page, max_chapter_chars ≥ 40,000) a
# document splits into at most ~15,000 chapters; the budget is checked at this many, in both index sets.
MAX_CHAPTERS_BUDGETED = 20_000


def dynamodb_item_bytes(item: dict[str, Any]) -> int:
    """An item's size the way DynamoDB counts it: attribute names plus values (UTF-8 strings, numbers at
    about one byte per two digits plus one, sets and maps summed, 3 bytes of overhead per list or map)."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: Any) -> int:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind == "S":
            return len(str(inner).encode())
        if kind == "N":
            return _number_bytes(str(inner))
        if kind == "B":
            return len(inner)
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "SS":
            return sum(len(str(v).encode()) for v in inner)
        if kind == "NS":
            return sum(_number_bytes(str(v)) for v in inner)
        if kind == "L":
            return 3 + sum(1 + _value_bytes(v) for v in inner)
        if kind == "M":
            return 3 + sum(len(k.encode()) + 1 + _value_bytes(v) for k, v in inner.items())
    raise ValueError(f"not a DynamoDB attribute value: {value!r}")


def _number_bytes(text: str) -> int:
    significant = format(abs(Decimal(text)), "f").replace(".", "").strip("0") or "0"
    return (len(significant) + 1) // 2 + 1
