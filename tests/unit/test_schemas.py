import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from enhancer import schemas
from enhancer.models import DocumentResult, DocumentStatus, ErrorCode, SourceInfo


def test_committed_schemas_match_the_models() -> None:
    # Given the schemas committed under schemas/, When regenerated from the models, Then nothing changes.
    assert schemas.main([]) == 0, "run `make schemas` and commit the result"


def test_shipped_config_files_validate_against_their_schemas(config_dir: Path) -> None:
    for path in sorted(config_dir.glob("*.json")):
        schema = json.loads((schemas.SCHEMA_DIR / path.name.replace(".json", ".schema.json")).read_text())
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)


def test_failed_result_round_trips_through_the_schema() -> None:
    result = DocumentResult(
        document_id="0" * 32,
        source=SourceInfo(bucket="in", key="incoming/x.pdf", size_bytes=0, sha256="e3b0"),
        status=DocumentStatus.FAILED,
        error_code=ErrorCode.EMPTY_FILE,
        error_message="the file is empty (0 bytes)",
        profile="default",
        created_at=datetime.now(UTC),
    )
    payload = json.loads(result.model_dump_json())
    schema = json.loads((schemas.SCHEMA_DIR / "result.schema.json").read_text())

    jsonschema.validate(payload, schema)
    assert set(payload) >= {
        "schema_version", "document_id", "source", "status", "error_code", "error_message", "profile", "pdf",
        "document", "chapters", "validation", "usage", "timings", "created_at", "completed_at",
    }  # fmt: skip


def test_usage_counts_provider_calls_not_cache_hits_or_offline_answers() -> None:
    from enhancer.models import LlmCallInfo, Usage

    paid = {"input_tokens": 5, "output_tokens": 1, "estimated_cost_usd": 0.25}
    calls = [
        LlmCallInfo(provider="openai", model="m", input_tokens=100, output_tokens=10, estimated_cost_usd=0.5),
        LlmCallInfo(provider="openai", model="m", cached=True),
        LlmCallInfo(provider="offline", model="yake-extractive"),
        LlmCallInfo(provider="anthropic", model="h", **paid),
    ]

    usage = Usage.of_calls(calls)

    assert (usage.llm_calls, usage.cache_hits) == (2, 1)
    assert (usage.input_tokens, usage.output_tokens, usage.estimated_cost_usd) == (105, 11, 0.75)
