"""Every real PDF in ../shared/corpus reaches the outcome its manifest implies, with both engines."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from enhancer.cli.app import app
from enhancer.config import load_app_config
from enhancer.errors import PermanentError
from enhancer.models.extraction import ExtractionResult
from enhancer.pdf import extract_pdf
from tests.conftest import CORPUS_DIR

pytestmark = pytest.mark.corpus
REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = CORPUS_DIR / "manifest.json"
ENTRIES = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else []
# The manifest's "FAILED NOT_A_PDF / EMPTY_FILE" and "COMPLETED or FAILED X" notes allow either.
EMPTY_FILE_CODES = {"NOT_A_PDF", "EMPTY_FILE"}


def _run(path: Path, engine: str) -> ExtractionResult | PermanentError:
    config = load_app_config(REPO_ROOT / "config")
    try:
        return extract_pdf(
            path,
            profile=config.extraction_profiles.get(None)[1],
            patterns=config.chapter_patterns,
            max_file_bytes=200 * 1024 * 1024,
            max_pages=5000,
            engine=engine,  # type: ignore[arg-type]
        )
    except PermanentError as exc:
        return exc


def _allowed(entry: dict[str, Any]) -> set[str]:
    """Outcomes the manifest accepts: COMPLETED and/or error codes."""
    status, code, note = entry["expected_status"], entry["expected_error_code"], entry.get("note", "")
    if status == "COMPLETED":
        return {"COMPLETED"}
    if status == "FAILED":
        return EMPTY_FILE_CODES if code in EMPTY_FILE_CODES else {code}
    allowed = {"COMPLETED"}
    allowed |= {word for word in note.replace(";", " ").split() if word.isupper() and "_" in word}
    allowed |= {"NO_TEXT"} if "NO_TEXT" in note else set()
    return allowed


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_each_engine_reaches_the_expected_outcome(corpus_dir: Path, entry: dict[str, Any]) -> None:
    outcomes = {}
    for engine in ("pdfium", "pypdf"):
        result = _run(corpus_dir / "pdfs" / entry["file"], engine)
        if isinstance(result, ExtractionResult):
            assert result.chapters, f"{engine}: completed without chapters"
            outcomes[engine] = "COMPLETED"
        else:
            outcomes[engine] = result.code.value
        assert outcomes[engine] in _allowed(entry), f"{engine}: {outcomes[engine]}"
    assert outcomes["pdfium"] == outcomes["pypdf"]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["outline_entries"]], ids=lambda e: e["file"])
def test_engines_find_identical_chapters_when_there_is_an_outline(
    corpus_dir: Path, entry: dict[str, Any]
) -> None:
    fast = _run(corpus_dir / "pdfs" / entry["file"], "pdfium")
    slow = _run(corpus_dir / "pdfs" / entry["file"], "pypdf")
    assert isinstance(fast, ExtractionResult)
    assert isinstance(slow, ExtractionResult)
    assert [c.span().model_dump(exclude={"char_count"}) for c in fast.chapters] == [
        c.span().model_dump(exclude={"char_count"}) for c in slow.chapters
    ]


def test_cli_extract_on_corpus_files(corpus_dir: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["extract", str(corpus_dir / "pdfs" / "sf-pdflatex-outline.pdf"), "--json"])
    bad = runner.invoke(app, ["extract", str(corpus_dir / "pdfs" / "sf-user-password.pdf"), "--json"])
    assert good.exit_code == 0
    assert json.loads(good.stdout)["chapters"]
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["error_code"] == "ENCRYPTED"


TRUTH = json.loads((REPO_ROOT / "bench" / "chapter_truth.json").read_text())


def _norm(title: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in title.lower()).split())


@pytest.mark.parametrize("name", sorted(k for k in TRUTH if not k.startswith("_")))
def test_documents_without_an_outline_get_the_chapters_a_reader_sees(corpus_dir: Path, name: str) -> None:
    # Hand labels (bench/chapter_truth.json): the stories of an anthology, the SemiBold sections of a report.
    result = _run(corpus_dir / "pdfs" / name, "pdfium")
    assert isinstance(result, ExtractionResult)
    want = {(c["page"], _norm(c["title"])) for c in TRUTH[name]["chapters"]}
    got = {(c.start_page, _norm(c.title)) for c in result.chapters}
    assert len(got & want) >= 0.8 * len(want)
    assert got - want <= {(1, _norm(result.chapters[0].title))}  # at most the first, if front matter merged
    sections = {(s["page"], _norm(s["title"])) for s in TRUTH[name]["sections"]}
    assert sections <= {(s.page, _norm(s.title)) for c in result.chapters for s in c.sections}
