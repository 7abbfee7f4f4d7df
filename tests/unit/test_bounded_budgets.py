"""Every string from a PDF is bounded where its model is built, and the documents item and each SQS body
stay inside their size budgets with every field at its limit."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from enhancer.models import (
    ChapterResult,
    ChapterSpan,
    DocumentRecord,
    DocumentResult,
    EnrichMessage,
    OutlineEntry,
    PagesMessage,
    PdfInfo,
    SourceInfo,
    ValidateMessage,
)
from enhancer.models.bounded import (
    AUTHOR_MAX_CHARS,
    ERROR_MESSAGE_MAX_CHARS,
    PROFILE_MAX_CHARS,
    TITLE_MAX_CHARS,
    cut,
)
from enhancer.models.budget import (
    DYNAMODB_ITEM_BUDGET_BYTES,
    MAX_CHAPTERS_BUDGETED,
    S3_KEY_MAX_BYTES,
    SQS_MESSAGE_BUDGET_BYTES,
    dynamodb_item_bytes,
)
from enhancer.pipeline.keys import chapter_key
from enhancer.storage.documents import record_to_item

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WIDE = "\U0001f4d6"  # 4 bytes in UTF-8: the worst case per character
MEGABYTE = WIDE * 262_144


def test_a_megabyte_title_and_author_are_cut_and_flagged() -> None:
    pdf = PdfInfo(page_count=1, title=MEGABYTE, author=MEGABYTE)

    assert len(pdf.title or "") == TITLE_MAX_CHARS
    assert len(pdf.author or "") == AUTHOR_MAX_CHARS
    assert (pdf.title or "").endswith("…")
    assert pdf.truncated == ["title", "author"]
    assert PdfInfo.model_validate_json(pdf.model_dump_json()).truncated == ["title", "author"]  # round trip


def test_the_flag_follows_a_cut_title_from_outline_to_chapter_to_result() -> None:
    entry = OutlineEntry(title="x" * 10_000, page=1)
    span = ChapterSpan(
        index=0, title=entry.title, start_page=1, end_page=1, detected_by="outline", char_count=1
    )
    chapter = ChapterResult(
        **span.model_dump(exclude={"sections", "part", "parts", "truncated"}), status="COMPLETED"
    )
    result = DocumentResult(
        document_id="d" * 32,
        source=SourceInfo(bucket="b", key="k", size_bytes=1, sha256="s"),
        status="COMPLETED",
        profile="default",
        pdf=PdfInfo(page_count=1, title="y" * 600),
        chapters=[chapter],
        created_at=NOW,
    )

    assert entry.truncated == span.truncated == chapter.truncated == ["title"]
    assert result.truncated == ["pdf.title", "chapters[0].title"]
    assert DocumentResult(**result.model_dump(exclude={"truncated"})).truncated == result.truncated


def test_short_text_is_untouched_and_unflagged() -> None:
    pdf = PdfInfo(page_count=1, title="A Field Guide", author="Ann Author")
    assert (pdf.title, pdf.author, pdf.truncated) == ("A Field Guide", "Ann Author", [])


@given(st.text(max_size=2000), st.integers(min_value=2, max_value=700))
def test_cut_never_exceeds_its_limit_and_keeps_short_text(value: str, limit: int) -> None:
    text, was_cut = cut(value, limit)
    assert len(text) <= limit
    if len(value) < limit:
        assert (text, was_cut) == (value, False)
    assert cut(text, limit) == (text, was_cut)  # idempotent: a cut text is recognised as cut


def test_the_documents_item_with_every_field_at_its_limit_is_inside_its_budget() -> None:
    record = DocumentRecord(
        document_id="d" * 32,
        status="FAILED",
        profile=MEGABYTE,
        source_bucket="b" * 63,
        source_key="k" * S3_KEY_MAX_BYTES,
        source_etag="e" * 64,
        size_bytes=2**53,
        sha256="s" * 64,
        page_count=5000,
        title=MEGABYTE,
        chapter_count=MAX_CHAPTERS_BUDGETED,
        chapters_done=set(range(MAX_CHAPTERS_BUDGETED)),
        chapters_failed=set(range(MAX_CHAPTERS_BUDGETED)),
        page_tasks=5000,
        pages_done=set(range(1, 5001)),
        pages_fan_in=4999,
        llm_calls=10**9,
        cache_hits=10**9,
        input_tokens=10**12,
        output_tokens=10**12,
        estimated_cost_usd=123456.789012,
        extract_ms=10**9,
        validate_ms=10**9,
        result_key="results/" + "d" * 32 + ".json",
        error_code="INTERNAL",
        error_message=MEGABYTE,
        created_at=NOW,
        updated_at=NOW,
        run=10**6,
    )

    assert len(record.title or "") == TITLE_MAX_CHARS
    assert len(record.error_message or "") == ERROR_MESSAGE_MAX_CHARS
    assert len(record.profile) == PROFILE_MAX_CHARS
    size = dynamodb_item_bytes(record_to_item(record))
    assert size <= DYNAMODB_ITEM_BUDGET_BYTES, size


def test_every_sqs_body_with_its_fields_at_their_limits_is_inside_its_budget() -> None:
    doc = "d" * 32
    bodies = [
        EnrichMessage(
            document_id=doc,
            chapter_index=MAX_CHAPTERS_BUDGETED,
            chapter_key=chapter_key(doc, MAX_CHAPTERS_BUDGETED),
            profile="p" * PROFILE_MAX_CHARS,
            run=10**6,
        ),
        PagesMessage(document_id=doc, first_page=4901, last_page=5000, run=10**6),
        ValidateMessage(document_id=doc),
    ]
    for body in bodies:
        assert len(body.model_dump_json().encode()) <= SQS_MESSAGE_BUDGET_BYTES
