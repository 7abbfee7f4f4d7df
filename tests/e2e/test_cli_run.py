"""``doc-enhancer run`` as a user runs it: a subprocess, its exit code, its outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "doc-enhancer"
SCANNED_SAMPLE = "scanned-memo.pdf"  # every page an image of text (scripts/make_samples.py)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    return subprocess.run(
        [str(CLI), "run", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


# OCR of the scanned sample and the corpus scans takes seconds a page, minutes on a loaded machine.
@pytest.mark.timeout(1200)
def test_run_on_the_samples(tmp_path: Path) -> None:
    samples = REPO / "samples"
    if not any(samples.glob("*.pdf")):
        pytest.skip("samples/ not generated (make samples)")

    done = _run(str(samples), "--out", str(tmp_path / "out"), "--json", cwd=tmp_path)

    summaries = json.loads(done.stdout)
    statuses = {Path(s["file"]).name: s["status"] for s in summaries}
    assert all(status in {"COMPLETED", "PARTIAL", "FAILED"} for status in statuses.values())
    expected_exit = 0 if set(statuses.values()) == {"COMPLETED"} else 3
    assert done.returncode == expected_exit, done.stderr
    for pdf in samples.glob("*.pdf"):
        result = json.loads((tmp_path / "out" / f"{pdf.stem}.json").read_text())
        assert result["status"] == statuses[pdf.name]
        assert set(result) >= {
            "schema_version",
            "document_id",
            "source",
            "status",
            "chapters",
            "usage",
            "timings",
        }
        _assert_ocr(pdf.name, result)


def _assert_ocr(name: str, result: dict[str, Any]) -> None:
    """The scanned sample is read by OCR page by page, its usage counts the pages; no other page is OCR'd."""
    pdf, usage = result.get("pdf") or {}, result["usage"]
    if name != SCANNED_SAMPLE:
        assert (pdf.get("ocr_pages", []), usage["ocr_pages"]) == ([], 0), name
        return
    assert result["status"] == "COMPLETED", result.get("error_message")
    pages = pdf["ocr_pages"]
    assert [(p["page"], p["status"], p["engine"]) for p in pages] == [
        (n, "ocr", "rapidocr") for n in range(1, pdf["page_count"] + 1)
    ]
    assert all(p["confidence"] > 0.5 and p["chars"] > 0 for p in pages)
    assert usage["ocr_pages"] == pdf["page_count"]
    assert usage["ocr_cost_usd"] == 0  # RapidOCR runs here, at no price per page
    assert result["chapters"]
    assert all(c["ocr_share"] == 1.0 for c in result["chapters"])


def test_a_missing_path_is_a_fatal_error(tmp_path: Path) -> None:
    done = _run(str(tmp_path / "nope"), cwd=tmp_path)
    assert done.returncode == 1
    assert "no such file" in done.stderr


@pytest.mark.corpus
@pytest.mark.timeout(1200)
def test_run_on_the_corpus_gives_the_documented_outcomes(corpus_dir: Path, tmp_path: Path) -> None:
    manifest = json.loads((corpus_dir / "manifest.json").read_text())

    done = _run(str(corpus_dir / "pdfs"), "--out", str(tmp_path / "out"), "--json", cwd=tmp_path)

    assert done.returncode in (0, 3), done.stderr
    by_name = {Path(s["file"]).name: s for s in json.loads(done.stdout)}
    mismatches = []
    for entry in manifest:
        summary = by_name[entry["file"]]
        # The run OCRs scanned pages (OCR_ENGINE=auto is RapidOCR locally): scans have their own outcome.
        allowed = {entry.get("expected_status_with_ocr", entry["expected_status"])}
        note = entry.get("note", "")
        if note.startswith("COMPLETED or FAILED"):
            allowed |= {"COMPLETED", "FAILED"}
        if summary["status"] not in allowed:
            mismatches.append((entry["file"], summary["status"], summary["error_code"]))
            continue
        if summary["status"] == "FAILED" and entry["expected_error_code"]:
            codes = {entry["expected_error_code"], *(["EMPTY_FILE"] if "EMPTY_FILE" in note else [])}
            if summary["error_code"] not in codes:
                mismatches.append((entry["file"], summary["status"], summary["error_code"]))
    assert not mismatches
    # Scans are read by OCR on every page (or say what OCR found: nothing); born-digital files OCR no page.
    for entry in manifest:
        path = tmp_path / "out" / f"{Path(entry['file']).stem}.json"
        result = json.loads(path.read_text()) if path.is_file() else {}
        ocr_pages = [p["status"] for p in (result.get("pdf") or {}).get("ocr_pages", [])]
        if entry.get("expected_status_with_ocr") == "COMPLETED":
            assert ocr_pages == ["ocr"] * entry["pages"], entry["file"]
        elif "expected_status_with_ocr" in entry:
            assert "OCR (rapidocr) read" in result["error_message"], entry["file"]
        elif result.get("status") == "COMPLETED":
            assert ocr_pages == [], entry["file"]


def test_the_runbook_script_runs_the_cli_and_tags_its_logs(tmp_path: Path) -> None:
    # Given one sample PDF in an input folder, as the runbook lays it out
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "paper.pdf").write_bytes((REPO / "samples" / "research-paper.pdf").read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}

    # When the runbook's entry point runs with its flags
    script = REPO / "scripts" / "run_pipeline.py"
    flags = ["--input", "in", "--out", "out", "--config", str(REPO / "config"), "--debug"]
    flags += ["--worker-id", "w7"]
    done = subprocess.run(
        [sys.executable, str(script), *flags],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    # Then the document completes, its result is written, and the debug logs carry the worker id
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "paper.json").read_text())["status"] == "COMPLETED"
    assert '"worker_id":"w7"' in done.stderr
