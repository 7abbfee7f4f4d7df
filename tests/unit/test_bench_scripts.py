"""The quick benchmarks still run on today's samples: ``make bench`` is not part of ``make test``, so a bench
that an input change breaks (a new sample the bench cannot read) would otherwise go unseen until someone
measures. Figures are printed, never asserted."""

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT, SAMPLES_DIR


def _bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_prompt_bench_covers_every_profile_and_names_the_samples_it_leaves_out() -> None:
    out = _bench("prompt.py")
    for profile in ("academic_paper", "default", "report", "technical_book"):
        assert f"\n{profile} " in out
    assert "scanned-memo.pdf (NO_TEXT)" in out
    assert "truncated.pdf (CORRUPT_PDF)" in out


def test_the_extract_stage_report_times_every_file_it_is_given_refused_ones_included() -> None:
    files = [SAMPLES_DIR / "research-paper.pdf", SAMPLES_DIR / "truncated.pdf"]
    per_file = json.loads(_bench("extract.py", "--stages", "--rounds", "1", *map(str, files)))
    assert sorted(per_file) == ["research-paper.pdf", "truncated.pdf"]
    for stages in per_file.values():
        assert set(stages) == {"loop", "plain", "styled", "scan", "extract"}
        assert all(ms >= 0 for ms in stages.values())
