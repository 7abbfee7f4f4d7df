"""``doc-enhancer eval`` on the demo's results: the table, the report, the threshold gate; and the demo's
results pass the text rules (no repeated or cut sentences, no duplicate keywords)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "doc-enhancer"
TEXT_RULES = ("unique", "complete")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"} | {"COLUMNS": "160"}
    return subprocess.run([str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    done = _cli("run", str(REPO / "samples"), "--out", str(out), "--json", cwd=out.parent)
    assert done.returncode in (0, 3), done.stderr
    return out


def test_the_demo_passes_the_text_rules(demo_results: Path) -> None:
    for path in demo_results.glob("*.json"):
        result = json.loads(path.read_text())
        issues = (result.get("validation") or {}).get("issues") or []
        text_issues = [i for i in issues if any(word in i["rule"] for word in TEXT_RULES)]
        assert not text_issues, (path.name, text_issues)


def test_eval_prints_writes_and_gates(demo_results: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"

    passed = _cli(
        "eval", str(demo_results), "--truth", str(REPO / "samples" / "truth"),
        "--min", "chapter_f1=0.9", "--min", "status_agreement=1", "--report", str(report), cwd=tmp_path,
    )  # fmt: skip

    assert passed.returncode == 0, passed.stderr
    assert "annual-report.pdf" in passed.stdout
    assert "chapter_f1" in passed.stdout
    written = json.loads(report.read_text())
    assert written["overall"]["status_agreement"] == 1.0
    assert written["overall"]["chapter_f1"] >= 0.9
    assert {d["file"] for d in written["documents"]} >= {"truncated.pdf", "cloud-data-handbook.pdf"}

    gated = _cli(
        "eval", str(demo_results), "--truth", str(REPO / "samples" / "truth"),
        "--min", "summary_similarity=0.99", "--report", str(report), cwd=tmp_path,
    )  # fmt: skip

    assert gated.returncode == 3
    assert "below threshold: summary_similarity" in gated.stderr


def test_eval_refuses_an_unknown_metric_and_a_missing_folder(tmp_path: Path) -> None:
    unknown = _cli(
        "eval", str(tmp_path), "--truth", str(REPO / "samples" / "truth"), "--min", "x=1", cwd=tmp_path
    )
    assert unknown.returncode == 2
    assert "not a metric" in unknown.stderr
    missing = _cli("eval", str(tmp_path / "nope"), "--truth", str(REPO / "samples" / "truth"), cwd=tmp_path)
    assert missing.returncode == 1
    assert "no such results folder" in missing.stderr
