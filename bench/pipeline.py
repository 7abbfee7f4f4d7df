"""End-to-end time of the local pipeline against its ideal, for 1, 4 and 16 enrich workers.

    python bench/pipeline.py [--chapters 32] [--latency-ms 500] [--repeats 3]

The real handlers run through ``run_local`` (embedded moto, the SQS pollers) with the real OpenAI SDK
pointed at the fake LLM server, which answers every request after a fixed latency; cache off, rate limit
far above what the run needs. One generated PDF with ``--chapters`` outlined chapters.

    ideal = ceil(chapters / workers) x latency + extraction time   (extract_ms from the result)

measured = the result's ``timings.total_ms`` (the document's RECEIVED → COMPLETED, as the pipeline itself
records it). A last run with an instant LLM shows the floor: the handler and emulation work per chapter,
which shares the machine's cores with everything else. Ratios, not seconds, compare across machines.
"""

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import book_pdf, fake_openai_env, machine, median

from enhancer.fakellm.server import FakeLlmServer, FaultPlan

WORKERS = (1, 4, 16)


def run_local_once(
    pdfs: list[Path], out: Path, workers: int, base_url: str, cache_dir: Path | None = None
) -> dict[str, Any]:
    """One ``run_local`` in a fresh process: moto's state lives per process, so a second run in the same
    one would find its documents already done. ``cache_dir`` turns the LLM file cache on."""
    command = [sys.executable, __file__, "--worker", str(workers), "--base-url", base_url, "--out", str(out)]
    if cache_dir:
        command += ["--cache-dir", str(cache_dir)]
    done = subprocess.run([*command, *map(str, pdfs)], check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _worker(
    pdfs: list[Path], out: Path, workers: int, base_url: str, cache_dir: Path | None
) -> dict[str, Any]:
    from enhancer.local.session import RunOptions, run_local

    env = fake_openai_env(base_url, cache=cache_dir is not None)
    env["LLM_CACHE_DIR"] = str(cache_dir or out / "unused-cache")
    marks: list[float] = []
    summaries = run_local(
        pdfs,
        RunOptions(out_dir=out, workers=workers, extra_env=env),
        on_progress=lambda _: marks.append(time.perf_counter()),
    )
    documents = []
    for summary in summaries:
        result = json.loads(Path(str(summary.result_file)).read_text())
        documents.append(
            {
                "status": result["status"],
                "chapters": len(result["chapters"]),
                "total_s": result["timings"]["total_ms"] / 1000 if result.get("timings") else 0.0,
                "extract_s": result["timings"]["extract_ms"] / 1000 if result.get("timings") else 0.0,
                "cache_hits": (result.get("usage") or {}).get("cache_hits", 0),
            }
        )
    return {"wall_s": marks[-1] - marks[0], "documents": documents}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=int, default=32)
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("pdfs", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.pdfs, args.out, args.worker, args.base_url, args.cache_dir)))
        return
    latency_s = args.latency_ms / 1000
    print(machine())
    print(
        f"\n## pipeline: {args.chapters} chapters, fake OpenAI at {args.latency_ms} ms, "
        f"median of {args.repeats}"
    )
    print(f"{'workers':>7} {'ideal s':>8} {'measured s':>11} {'x ideal':>8} {'extract s':>10}")
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeLlmServer(plan=FaultPlan(latency_ms=args.latency_ms)) as llm,
    ):
        pdf = book_pdf(Path(tmp) / "book.pdf", args.chapters)
        chapters = 0
        for workers in WORKERS:
            runs = [
                run_local_once([pdf], Path(tmp) / f"out-{workers}-{i}", workers, llm.openai_base_url)[
                    "documents"
                ][0]
                for i in range(args.repeats)
            ]
            assert all(r["status"] == "COMPLETED" for r in runs), runs
            chapters = runs[0]["chapters"]
            extract_s = median([r["extract_s"] for r in runs])
            ideal = math.ceil(chapters / workers) * latency_s + extract_s
            measured = median([r["total_s"] for r in runs])
            print(f"{workers:7d} {ideal:8.2f} {measured:11.2f} {measured / ideal:8.2f} {extract_s:10.2f}")
        print(
            f"LLM requests: {llm.request_count} ({chapters} chapters x {len(WORKERS)} x {args.repeats} runs)"
        )
        with FakeLlmServer() as instant:
            floor = median(
                [
                    run_local_once([pdf], Path(tmp) / f"floor-{i}", max(WORKERS), instant.openai_base_url)[
                        "documents"
                    ][0]["total_s"]
                    for i in range(args.repeats)
                ]
            )
        print(
            f"floor (0 ms LLM, {max(WORKERS)} workers): {floor:.2f} s, {1000 * floor / chapters:.0f} ms "
            "of handler + emulation work per chapter"
        )


if __name__ == "__main__":
    main()
