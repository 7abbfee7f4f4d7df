"""Extraction speed, agreement and memory: extract_pdf per engine against plain pypdf/pypdfium2 loops.

    python bench/extract.py [--corpus DIR] [--rounds N]

Ratios against the plain pypdf loop measured in the same run. Each mode runs in its own
subprocess per file set, so peak RSS (ru_maxrss) belongs to that mode alone; the modes take turns
``--rounds`` times and each keeps its fastest round, so a busy neighbour on a shared machine
slows one round rather than one mode. Then, on the corpus, where ``extract_pdf`` spends the time the plain
PDFium loop does not (file by file in one warm process), and last the thesis in one fresh process per
engine, imports included.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[1]
MODES = ["pypdf-loop", "pdfium-loop", "extract-pypdf", "extract-auto"]


def _worker(mode: str, files: list[Path]) -> dict[str, Any]:
    import io
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from pypdf import PdfReader

    from enhancer.config import load_app_config
    from enhancer.errors import PermanentError
    from enhancer.pdf import extract_pdf

    config = load_app_config(REPO / "config")
    profile = config.extraction_profiles.get(None)[1]
    pages = 0
    per_file: dict[str, Any] = {}
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        entry: dict[str, Any] = {"text": "", "chapters": None}
        try:
            if mode == "pypdf-loop":
                reader = PdfReader(io.BytesIO(data))
                texts = [p.extract_text() for p in reader.pages]
                pages += len(texts)
                entry["text"] = "\n".join(texts)
            elif mode == "pdfium-loop":
                import pypdfium2 as pdfium

                doc = pdfium.PdfDocument(data)
                texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
                pages += len(texts)
                entry["text"] = "\n".join(texts)
                doc.close()
            else:
                engine: Literal["auto", "pypdf"] = "pypdf" if mode == "extract-pypdf" else "auto"
                result = extract_pdf(
                    data,
                    profile=profile,
                    patterns=config.chapter_patterns,
                    max_file_bytes=200 << 20,
                    max_pages=5000,
                    engine=engine,
                )
                pages += result.pdf.page_count
                entry["text"] = "\n".join(c.text for c in result.chapters)
                entry["chapters"] = [(c.title, c.start_page, c.end_page) for c in result.chapters]
                entry["outline"] = result.pdf.has_outline
        except PermanentError as exc:
            entry["error"] = exc.code.value
        except Exception as exc:
            entry["error"] = type(exc).__name__
        per_file[path.name] = entry
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"pages": pages, "seconds": seconds, "rss_mb": rss_mb, "files": per_file}


def _run(mode: str, files: list[Path]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "layers" / "core")}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, *map(str, files)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout)


def _similarity(a: str, b: str) -> float:
    """Shared words over all words (multiset Jaccard): order-free, linear, robust to line breaks."""
    words_a, words_b = Counter(a.split()), Counter(b.split())
    union = sum((words_a | words_b).values())
    return sum((words_a & words_b).values()) / union if union else 1.0


def _report(name: str, files: list[Path], rounds: int) -> None:
    results: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for mode in MODES:
            run = _run(mode, files)
            if mode not in results or run["seconds"] < results[mode]["seconds"]:
                results[mode] = run
    base = results["pypdf-loop"]
    print(
        f"\n## {name}: {len(files)} files, {base['pages']} pages "
        f"(fastest of {rounds} rounds; ratios vs the plain pypdf loop)"
    )
    print(f"{'mode':15} {'pages/s':>9} {'x pypdf':>8} {'peak RSS MB':>12}")
    for mode, r in results.items():
        rate = r["pages"] / r["seconds"] if r["seconds"] else 0.0
        base_rate = base["pages"] / base["seconds"]
        print(f"{mode:15} {rate:9.0f} {rate / base_rate:8.1f} {r['rss_mb']:12.0f}")

    slow, fast = results["extract-pypdf"]["files"], results["extract-auto"]["files"]
    chars_slow = sum(len(e["text"]) for e in slow.values())
    chars_fast = sum(len(e["text"]) for e in fast.values())
    sims = [_similarity(slow[f]["text"], fast[f]["text"]) for f in slow if "error" not in slow[f]]
    outlined = [f for f in slow if slow[f].get("outline")]
    same = sum(slow[f]["chapters"] == fast[f]["chapters"] for f in slow if "error" not in slow[f])
    same_outlined = sum(slow[f]["chapters"] == fast[f]["chapters"] for f in outlined)
    completed = sum("error" not in e for e in slow.values())
    print(
        f"characters: pypdf {chars_slow:,}, pdfium {chars_fast:,} "
        f" (ratio {chars_fast / max(chars_slow, 1):.3f})"
    )
    print(
        f"text similarity (normalised, per document): "
        f"min {min(sims, default=1):.3f}, mean {sum(sims) / max(len(sims), 1):.3f}"
    )
    print(
        f"identical chapters: {same}/{completed} completed documents; "
        f"{same_outlined}/{len(outlined)} with an outline"
    )
    errors = {
        f: (slow[f].get("error"), fast[f].get("error"))
        for f in slow
        if "error" in slow[f] or "error" in fast[f]
    }
    if errors:
        print(
            "error codes (pypdf, auto): " + ", ".join(f"{f}={a}/{b}" for f, (a, b) in sorted(errors.items()))
        )


def _stages(files: list[Path], rounds: int) -> dict[str, Any]:
    """File by file, fastest of ``rounds``: the plain PDFium loop, the same pages read with typography,
    the raw stream scan, and ``extract_pdf`` (auto) whole; milliseconds per stage and per file."""
    import logging

    import pypdfium2 as pdfium
    from common import fastest  # here, not at the top: the mode workers' peak RSS stays their own

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from enhancer.config import load_app_config
    from enhancer.errors import PermanentError
    from enhancer.pdf import extract_pdf
    from enhancer.pdf.engines import pdfium_page
    from enhancer.pdf.rawscan import streams_are_bounded

    config = load_app_config(REPO / "config")
    profile = config.extraction_profiles.get(None)[1]

    def ms(call: Any, *args: Any) -> float:
        # A file the engine refuses costs what refusing it took; anything else is a bench bug.
        return fastest(partial(call, *args), rounds, refusals=(PermanentError, pdfium.PdfiumError)) * 1000

    def loop(data: bytes, styled: bool | None) -> None:
        doc = pdfium.PdfDocument(data)
        for index in range(len(doc)):
            if styled is None:
                doc[index].get_textpage().get_text_range()
            else:
                pdfium_page(doc, index, styled=styled)
        doc.close()

    def extract(data: bytes) -> None:
        extract_pdf(
            data,
            profile=profile,
            patterns=config.chapter_patterns,
            max_file_bytes=200 << 20,
            max_pages=5000,
        )

    per_file: dict[str, dict[str, float]] = {}
    for path in files:
        data = path.read_bytes()
        per_file[path.name] = {
            "loop": ms(loop, data, None),
            "plain": ms(loop, data, False),
            "styled": ms(loop, data, True),
            "scan": ms(partial(streams_are_bounded, encrypted=False), data),
            "extract": ms(extract, data),
        }
    return per_file


def _report_stages(files: list[Path], rounds: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "layers" / "core")}
    out = subprocess.run(
        [sys.executable, __file__, "--stages", "--rounds", str(rounds), *map(str, files)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    per_file: dict[str, dict[str, float]] = json.loads(out.stdout)
    total = {key: sum(f[key] for f in per_file.values()) for key in next(iter(per_file.values()))}
    gap = total["extract"] - total["loop"]
    typography = total["styled"] - total["plain"]
    print(
        f"\n## where extract_pdf's time goes, corpus file by file in one process (fastest of {rounds})\n"
        f"plain PDFium loop {total['loop']:.0f} ms, extract_pdf {total['extract']:.0f} ms "
        f"({total['loop'] / total['extract']:.0%} of its speed); beyond the loop {gap:.0f} ms:\n"
        f"  typography {typography:.0f} ms, raw stream scan {total['scan']:.0f} ms, "
        f"the rest (structure, fallbacks, guard, layout, chapters) {gap - typography - total['scan']:.0f} ms"
    )
    largest = sorted(per_file.items(), key=lambda item: item[1]["loop"] - item[1]["extract"])[:4]
    print("  largest gaps: " + ", ".join(f"{name} +{f['extract'] - f['loop']:.0f} ms" for name, f in largest))


THESIS = "sf-geotopo-thesis-de.pdf"  # the corpus's longest file (117 pages, LaTeX, an outline)
_ONE_FILE = """
import sys
from pathlib import Path
from enhancer.config import load_app_config
from enhancer.pdf import extract_pdf
config = load_app_config(Path(sys.argv[1]))
extract_pdf(Path(sys.argv[2]), profile=config.extraction_profiles.get(None)[1],
            patterns=config.chapter_patterns, max_file_bytes=200 << 20, max_pages=5000, engine=sys.argv[3])
"""


def _whole_process(path: Path, rounds: int) -> None:
    """One fresh process per run, imports and config included: what one extract invocation pays."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "layers" / "core")}
    best: dict[str, float] = {}
    for _ in range(rounds):
        for engine in ("pypdf", "auto"):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", _ONE_FILE, str(REPO / "config"), str(path), engine],
                check=True,
                env=env,
            )
            best[engine] = min(best.get(engine, float("inf")), time.perf_counter() - started)
    print(
        f"\n## whole process, {path.name} (fastest of {rounds} alternating rounds): "
        f"pypdf {best['pypdf']:.2f} s, auto {best['auto']:.2f} s, {best['pypdf'] / best['auto']:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pdfs")
    parser.add_argument("--rounds", type=int, default=3, help="runs per mode; the fastest counts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--stages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.files)))
        return
    if args.stages:
        print(json.dumps(_stages(args.files, args.rounds)))
        return
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    _report("samples", sorted((REPO / "samples").glob("*.pdf")), args.rounds)
    if args.corpus.is_dir():
        _report("corpus", sorted(args.corpus.glob("*.pdf")), args.rounds)
        _report_stages(sorted(args.corpus.glob("*.pdf")), max(args.rounds, 5))
        if (args.corpus / THESIS).is_file():
            _whole_process(args.corpus / THESIS, args.rounds)


if __name__ == "__main__":
    main()
