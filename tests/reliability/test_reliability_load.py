"""Many PDFs dropped at once (CI: 100, soak: 1,000): every one terminal, none lost, throughput printed."""

import time
from pathlib import Path

import pytest

from enhancer.fakellm import FakeLlmServer
from enhancer.local.session import RunOptions, run_local
from tests.reliability.harness import MARKS, local_stack, sized, small_pdf

pytestmark = MARKS


def test_a_burst_of_pdfs_all_finish_and_none_is_lost(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = sized(100, 1000)
    bodies = {f"burst-{n:04d}.pdf": small_pdf(n) for n in range(count)}
    env = {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-fake-reliability"}
    with local_stack(monkeypatch, aws_endpoint, "burst", env=env, enrich_workers=4) as stack:
        started = time.perf_counter()
        ids = [stack.upload(name, body) for name, body in bodies.items()]
        uploaded = time.perf_counter()
        stack.wait_terminal(ids, stall_s=180)
        finished = time.perf_counter()
        results = stack.assert_accounted_for()

    assert len(results) == count
    assert {r["status"] for r in results.values()} == {"COMPLETED"}
    chapters = sum(len(r["chapters"]) for r in results.values())
    assert chapters == 3 * count
    assert fake_llm.stats()["by_route"]["openai"] >= chapters  # no cache: one real call per chapter
    seconds = finished - started
    print(
        f"\nload: {count} PDFs ({chapters} chapters) in {seconds:.1f} s "
        f"(upload {uploaded - started:.1f} s): {count / seconds:.2f} documents/s, "
        f"{chapters / seconds:.2f} chapters/s; 4 enrich workers, fake OpenAI over HTTP, moto over HTTP"
    )


def test_a_long_local_run_keeps_stdout_for_its_own_output(
    aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given more than 100 chapters: Powertools prints a metric with 100 values even with metrics disabled
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(40):
        (folder / f"doc-{n:02d}.pdf").write_bytes(small_pdf(1000 + n))
    summaries = run_local(
        [folder],
        RunOptions(out_dir=tmp_path / "out", endpoint_url=aws_endpoint, stage="stdout", provider="offline"),
    )
    # Then stdout (where `doc-enhancer run --json` writes its summaries) carries no EMF line
    assert {s.status for s in summaries} == {"COMPLETED"}
    assert '"_aws"' not in capsys.readouterr().out
