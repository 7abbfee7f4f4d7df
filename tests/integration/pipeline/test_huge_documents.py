"""A 1,200-page book through the real chain over HTTP, extracted in one go and in page ranges."""

import json
from pathlib import Path
from typing import Any

import pytest

from enhancer.local.session import RunOptions, run_local
from enhancer.pipeline import pages as pages_step
from enhancer.storage import QueueClient
from tests.unit.pdf.huge_book import huge_book

pytestmark = pytest.mark.integration
PAGES = 1200


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("huge")
    (folder / "huge-book.pdf").write_bytes(huge_book(PAGES, pages_per_chapter=40, lines_per_page=3))
    return folder


def _result(book: Path, out: Path, endpoint: str, env: dict[str, str]) -> dict[str, Any]:
    (summary,) = run_local(
        [book], RunOptions(out_dir=out, endpoint_url=endpoint, stage=out.name, extra_env=env, workers=2)
    )
    assert summary.status == "COMPLETED", summary.error_message
    result: dict[str, Any] = json.loads((out / "huge-book.json").read_text())
    return result


def _shape(result: dict[str, Any]) -> tuple[Any, ...]:
    chapters = [
        (c["index"], c["title"], c["start_page"], c["end_page"], c["detected_by"], c["char_count"])
        for c in result["chapters"]
    ]
    return result["pdf"], chapters, result["status"], result["error_code"]


def test_page_ranges_give_the_result_of_one_shot_extraction_even_when_every_range_comes_twice(
    book: Path, tmp_path: Path, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_shot = _result(book, tmp_path / "oneshot", aws_endpoint, {"EXTRACT_FANOUT_PAGES": "5000"})

    # Given: every pages message sent twice, and a count of the fan-ins.
    original_send = QueueClient.send
    fan_ins: list[str] = []
    original_finish = pages_step.finish_extraction

    def send_twice(self: QueueClient, url: str, messages: Any) -> Any:
        return original_send(self, url, [*messages, *messages] if url.endswith("-pages") else messages)

    def counted_finish(pipeline: Any, manifest: Any, *args: Any, **kwargs: Any) -> None:
        fan_ins.append(manifest.document_id)
        original_finish(pipeline, manifest, *args, **kwargs)

    monkeypatch.setattr(QueueClient, "send", send_twice)
    monkeypatch.setattr(pages_step, "finish_extraction", counted_finish)

    fanned = _result(
        book,
        tmp_path / "fanned",
        aws_endpoint,
        {"EXTRACT_FANOUT_PAGES": "300", "EXTRACT_PAGES_PER_TASK": "100"},  # 12 ranges
    )

    assert len(fan_ins) == 1
    assert _shape(fanned) == _shape(one_shot)
    assert len(one_shot["chapters"]) == PAGES // 40
    assert one_shot["pdf"]["page_count"] == PAGES
