"""``doc-enhancer extract`` as a user runs it: a table or JSON, exit 0 or 2, never a traceback."""

import json
from pathlib import Path

from typer.testing import CliRunner

from enhancer.cli.app import app

runner = CliRunner()


def test_table_lists_the_chapters(samples_dir: Path) -> None:
    result = runner.invoke(app, ["extract", str(samples_dir / "research-paper.pdf")])
    assert result.exit_code == 0, result.output
    assert "Related Work" in result.output
    assert "pattern" in result.output


def test_json_has_the_same_fields_on_success_and_failure(samples_dir: Path, tmp_path: Path) -> None:
    ok = runner.invoke(
        app, ["extract", str(samples_dir / "cloud-data-handbook.pdf"), "--json", "--engine", "pypdf"]
    )
    bad_file = tmp_path / "notes.pdf"
    bad_file.write_text("just some notes, not a PDF")
    bad = runner.invoke(app, ["extract", str(bad_file), "--json"])

    assert ok.exit_code == 0
    assert bad.exit_code == 2
    good, failed = json.loads(ok.stdout), json.loads(bad.stdout)
    assert good.keys() == failed.keys()
    assert good["engine"] == "pypdf"
    assert good["error_code"] is None
    assert [c["detected_by"] for c in good["chapters"]] == ["outline"] * 5
    assert "text" not in good["chapters"][0]
    assert failed["status"] == "FAILED"
    assert failed["error_code"] == "NOT_A_PDF"


def test_text_flag_includes_chapter_text(samples_dir: Path) -> None:
    result = runner.invoke(
        app, ["extract", str(samples_dir / "annual-report.pdf"), "--json", "--text", "--profile", "report"]
    )
    report = json.loads(result.stdout)
    assert report["profile"] == "report"
    assert "Revenue" in " ".join(c["text"] for c in report["chapters"])


def test_bad_file_prints_one_line_and_exits_2(samples_dir: Path) -> None:
    result = runner.invoke(app, ["extract", str(samples_dir / "truncated.pdf")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("CORRUPT_PDF:")
    assert "Traceback" not in result.output


def test_unknown_profile_is_a_usage_error(samples_dir: Path) -> None:
    result = runner.invoke(app, ["extract", str(samples_dir / "research-paper.pdf"), "--profile", "nope"])
    assert result.exit_code == 2
    assert "unknown profile" in result.output
