"""Chapter quality and extraction time: this tree's detector against the previous one, in the same run.

    python bench/chapters.py [--corpus DIR] [--real DIR] [--baseline REV] [--rounds N]

The labelled set is generated afresh (``scripts/make_chapter_set.py``, deterministic) and scored with
its truth; corpus files without an outline are scored with the hand labels in ``bench/chapter_truth.json``,
and corpus files with an outline are compared chapter for chapter with the baseline. Scores are
precision, recall and F1 of chapter starts (physical page and title) and of sections (page and title),
titles compared case- and punctuation-free; the parts of a split chapter count as one start.
``--real DIR`` adds real documents that are not in the corpus, scored with ``bench/real_chapter_truth.json``
(which says where to fetch them). The baseline is the repository at ``--baseline`` (default: the commit before
typographic detection), run from a ``git archive`` of that revision. Timing: extraction per page over the
corpus (``auto`` engine), fastest of ``--rounds`` runs per tree in its own subprocess, and per file against
this tree's pypdf engine; plus a generated page whose Form XObjects share sub-forms (a DAG) for the inflation
guard.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASELINE = "08fc6f6"  # main before typographic chapters (issue 13)
_PART = re.compile(r"\s*\(part \d+ of \d+\)$")


def _worker(tree: Path, files: list[Path], engine: str) -> dict[str, Any]:
    sys.path.insert(0, str(tree / "layers" / "core"))
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from enhancer.config import load_app_config
    from enhancer.pdf import extract_pdf

    config = load_app_config(tree / "config")
    profile = config.extraction_profiles.get(None)[1]
    out: dict[str, Any] = {}
    pages = 0
    started = time.perf_counter()
    for path in files:
        began = time.perf_counter()
        try:
            result = extract_pdf(
                path,
                profile=profile,
                patterns=config.chapter_patterns,
                max_file_bytes=200 << 20,
                max_pages=5000,
                engine=engine,  # type: ignore[arg-type]
            )
        except Exception as exc:
            out[path.name] = {"error": type(exc).__name__, "seconds": time.perf_counter() - began}
            continue
        pages += result.pdf.page_count
        out[path.name] = {
            "seconds": time.perf_counter() - began,
            "pages": result.pdf.page_count,
            "outline": result.pdf.has_outline,
            "chapters": [
                {
                    "title": c.title,
                    "start": c.start_page,
                    "end": c.end_page,
                    "by": str(c.detected_by),
                    "sections": [{"title": s.title, "page": s.page} for s in c.sections],
                }
                for c in result.chapters
            ],
        }
    return {"files": out, "pages": pages, "seconds": time.perf_counter() - started}


def _run(tree: Path, files: list[Path], engine: str = "auto") -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(tree), "--engine", engine, *map(str, files)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(done.stdout)


def _baseline_tree(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "layers/core", "config"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _norm(title: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", _PART.sub("", title).lower()).split())


def _predicted(entry: dict[str, Any]) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    chapters: set[tuple[int, str]] = set()
    sections: set[tuple[int, str]] = set()
    for chapter in entry.get("chapters", []):
        title = _norm(chapter["title"])
        split = _PART.search(chapter["title"])
        first_part = split is None or split.group(0).strip().startswith("(part 1 ")
        if chapter["by"] != "fallback" and title != "front matter" and first_part:
            chapters.add((chapter["start"], title))
        sections |= {(s["page"], _norm(s["title"])) for s in chapter["sections"]}
    return chapters, sections


def _first_chapter_at_its_heading(
    predicted: set[tuple[int, str]], truth: set[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Small front matter merges into the first chapter, which then starts on page 1: that chapter
    counts at the page of its heading (both trees alike)."""
    first = min(predicted, default=None)
    if first is None or first[0] != 1:
        return predicted
    pages = {title: page for page, title in truth}
    later = min((page for page, _ in predicted - {first}), default=1 << 30)
    if first[1] in pages and pages[first[1]] < later:
        return (predicted - {first}) | {(pages[first[1]], first[1])}
    return predicted


def _score(pairs: list[tuple[set[Any], set[Any]]]) -> tuple[float, float, float]:
    hit = sum(len(p & t) for p, t in pairs)
    predicted = sum(len(p) for p, _ in pairs)
    truth = sum(len(t) for _, t in pairs)
    precision = hit / predicted if predicted else (1.0 if not truth else 0.0)
    recall = hit / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _quality(name: str, truth: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
    print(f"\n## {name}: chapter starts and sections (P / R / F1), baseline vs this tree")
    print(f"{'file':32} {'chapters old':>20} {'chapters new':>20} {'sections old':>20} {'sections new':>20}")
    totals: dict[str, list[tuple[set[Any], set[Any]]]] = {"co": [], "cn": [], "so": [], "sn": []}
    for file, facts in sorted(truth.items()):
        want_c = {(c["page"], _norm(c["title"])) for c in facts["chapters"]}
        want_s = {(s["page"], _norm(s["title"])) for s in facts["sections"]}
        row = []
        for side, key in ((old, "o"), (new, "n")):
            chapters, sections = _predicted(side["files"].get(file, {}))
            chapters = _first_chapter_at_its_heading(chapters, want_c)
            totals["c" + key].append((chapters, want_c))
            totals["s" + key].append((sections, want_s))
        for key in ("co", "cn", "so", "sn"):
            p, r, f = _score([totals[key][-1]])
            row.append(f"{p:.2f}/{r:.2f}/{f:.2f}")
        print(f"{file:32} " + " ".join(f"{cell:>20}" for cell in row))
    row = []
    for key in ("co", "cn", "so", "sn"):
        p, r, f = _score(totals[key])
        row.append(f"{p:.2f}/{r:.2f}/{f:.2f}")
    print(f"{'ALL (micro)':32} " + " ".join(f"{cell:>20}" for cell in row))


def _outline_check(old: dict[str, Any], new: dict[str, Any]) -> None:
    print("\n## corpus files with an outline: chapters (title, first and last page) against the baseline")
    for file, entry in sorted(new["files"].items()):
        if not entry.get("outline"):
            continue
        before = [(c["title"], c["start"], c["end"]) for c in old["files"][file]["chapters"]]
        after = [(c["title"], c["start"], c["end"]) for c in entry["chapters"]]
        print(f"{file:32} {'unchanged' if before == after else 'CHANGED'} ({len(after)} chapters)")
        if before != after:
            print(f"    before: {before}\n    after:  {after}")


def _timing(old_tree: Path, files: list[Path], rounds: int) -> None:
    best: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for label, tree, engine in (
            ("baseline auto", old_tree, "auto"),
            ("this auto", REPO, "auto"),
            ("this pypdf", REPO, "pypdf"),
        ):
            run = _run(tree, files, engine)
            if label not in best or run["seconds"] < best[label]["seconds"]:
                best[label] = run
    print(f"\n## extraction time over {len(files)} corpus files (fastest of {rounds} rounds)")
    base = best["baseline auto"]
    for label, run in best.items():
        rate = run["pages"] / run["seconds"] if run["seconds"] else 0.0
        ratio = run["seconds"] / base["seconds"] if base["seconds"] else 0.0
        print(
            f"{label:14} {run['pages']:5d} pages {run['seconds']:7.2f} s {rate:8.0f} pages/s "
            f"x{ratio:.2f} baseline time"
        )
    ours, theirs = (r["seconds"] / max(r["pages"], 1) for r in (best["this auto"], base))
    print(f"time per page, this tree / baseline: {ours / theirs:.2f} (target <= 1.5)")
    slow = best["this pypdf"]["files"]
    ratios = sorted(
        (entry["seconds"] / max(slow[f]["seconds"], 0.02), f)
        for f, entry in best["this auto"]["files"].items()
        if f in slow
    )
    worst = ratios[-1] if ratios else (0.0, "-")
    print(
        f"slowest file against its pypdf-engine time (pypdf time floored at 20 ms): {worst[1]} "
        f"x{worst[0]:.2f} (target <= 2)"
    )


def _dag(old_tree: Path, work: Path) -> None:
    sys.path.insert(0, str(REPO / "tests" / "unit" / "pdf"))
    from pdf_builders import form_dag_pdf

    path = work / "form-dag.pdf"
    path.write_bytes(form_dag_pdf(45, 5, draw=False))
    print("\n## a page whose forms share sub-forms (45 per level, 5 levels: 45**5 paths, 225 forms)")
    for label, tree, engine in (
        ("baseline auto", old_tree, "auto"),
        ("this auto", REPO, "auto"),
        ("this pypdf", REPO, "pypdf"),
    ):
        run = _run(tree, [path], engine)
        print(f"{label:14} {run['files'][path.name]['seconds']:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pdfs")
    parser.add_argument(
        "--real", type=Path, help="folder with the documents of bench/real_chapter_truth.json"
    )
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.files, args.engine)))
        return
    sys.path.insert(0, str(REPO / "scripts"))
    from make_chapter_set import generate

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; baseline {args.baseline}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        old_tree = _baseline_tree(args.baseline, work / "baseline")
        labelled = work / "labelled"
        truth = generate(labelled)
        files = sorted(labelled.glob("*.pdf"))
        _quality("labelled set", truth, _run(old_tree, files), _run(REPO, files))
        corpus_dir = (
            args.corpus if args.corpus.is_dir() else (REPO.parent.parent / "shared" / "corpus" / "pdfs")
        )
        if corpus_dir.is_dir():
            corpus = sorted(corpus_dir.glob("*.pdf"))
            old, new = _run(old_tree, corpus), _run(REPO, corpus)
            hand = json.loads((REPO / "bench" / "chapter_truth.json").read_text())
            _quality(
                "corpus (hand labels)", {k: v for k, v in hand.items() if not k.startswith("_")}, old, new
            )
            _outline_check(old, new)
            _timing(old_tree, corpus, args.rounds)
        else:
            print(f"\n(no corpus at {args.corpus}: quality on the labelled set only, no timing)")
        if args.real:
            real_truth = json.loads((REPO / "bench" / "real_chapter_truth.json").read_text())
            real = sorted(p for p in args.real.glob("*.pdf") if p.name in real_truth)
            if real:
                labels = {p.name: real_truth[p.name] for p in real}
                _quality("real documents (hand labels)", labels, _run(old_tree, real), _run(REPO, real))
        _dag(old_tree, work)


if __name__ == "__main__":
    main()
