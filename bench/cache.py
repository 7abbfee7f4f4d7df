"""LLM response cache: a second run over the same PDFs against the first, and the LLM calls it makes.

    python bench/cache.py [--latency-ms 500]

Two ``run_local`` runs (each in a fresh process, so the second one starts from a new emulation and only
the file cache, in a temp dir, survives) over the samples, the real OpenAI SDK against the fake server at a
fixed latency. The fake server's request count between the runs is the number of LLM calls the second run
made: the target is 0. Time = the slowest document's ``timings.total_ms``.
"""

import argparse
import tempfile
from pathlib import Path

from common import REPO, machine
from pipeline import run_local_once

from enhancer.fakellm.server import FakeLlmServer, FaultPlan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    pdfs = sorted((REPO / "samples").glob("*.pdf"))
    print(machine())
    print(f"\n## cache: {len(pdfs)} sample PDFs, fake OpenAI at {args.latency_ms} ms, {args.workers} workers")
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeLlmServer(plan=FaultPlan(latency_ms=args.latency_ms)) as llm,
    ):
        cache_dir = Path(tmp) / "llm_responses"
        rows = []
        for run in ("first", "second"):
            before = llm.request_count
            result = run_local_once(pdfs, Path(tmp) / run, args.workers, llm.openai_base_url, cache_dir)
            docs = result["documents"]
            rows.append(
                (
                    run,
                    max(d["total_s"] for d in docs),
                    llm.request_count - before,
                    sum(d["cache_hits"] for d in docs),
                    sum(d["chapters"] for d in docs),
                )
            )
    print(f"{'run':7} {'seconds':>8} {'x first':>8} {'LLM calls':>10} {'cache hits':>11} {'chapters':>9}")
    first = rows[0][1]
    for run, seconds, calls, hits, chapters in rows:
        print(f"{run:7} {seconds:8.2f} {seconds / first:8.2f} {calls:10d} {hits:11d} {chapters:9d}")


if __name__ == "__main__":
    main()
