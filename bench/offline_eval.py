"""Old vs new offline provider on the samples, scored by ``doc-enhancer eval`` in the same run.

Runs the whole local pipeline over ``samples/`` twice, each in its own subprocess (the handlers keep
per-process state) — once with the current offline provider, once with the first one
(``bench/offline_v1.py``, swapped in for this benchmark only, with the document-level reduce it had) — then
scores both result folders against ``samples/truth/`` and counts the validation issues the current rules
find in each.

    .venv/bin/python bench/offline_eval.py [--out DIR]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import offline_v1  # noqa: E402  (bench/ is not a package)

from enhancer.config import get_app_config  # noqa: E402
from enhancer.eval import METRICS, evaluate  # noqa: E402
from enhancer.local.session import RunOptions, run_local  # noqa: E402
from enhancer.pipeline import validate  # noqa: E402
from enhancer.pipeline.validation import validate_result  # noqa: E402
from enhancer.providers import offline  # noqa: E402


def _ranked_v1(lists: list[list[str]], limit: int) -> list[str]:
    """The document-level keyword reduce as it was: case-insensitive only."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    for position, terms in enumerate(lists):
        for offset, term in enumerate(terms):
            folded = term.lower()
            if folded not in {t.lower() for t in terms[:offset]}:
                counts[folded] += 1
            first.setdefault(folded, (position * 1000 + offset, term))
    ordered = sorted(counts, key=lambda t: (-counts[t], first[t][0]))
    return [first[t][1] for t in ordered[:limit]]


def _document_summary_v1(summaries: list[str], keywords: list[str], sentences: int, _language: object) -> str:
    return offline_v1.extractive_summary("\n\n".join(summaries), keywords, sentences)


@contextmanager
def first_offline_provider() -> Iterator[None]:
    saved = (offline.OfflineProvider, validate._ranked, validate.document_summary)
    offline.OfflineProvider = offline_v1.OfflineProvider  # type: ignore[misc]
    validate._ranked = _ranked_v1
    validate.document_summary = _document_summary_v1  # type: ignore[assignment]
    try:
        yield
    finally:
        offline.OfflineProvider, validate._ranked, validate.document_summary = saved  # type: ignore[misc]


def _issues(folder: Path) -> Counter[str]:
    rules = get_app_config(REPO / "config").validation_rules
    found: Counter[str] = Counter()
    for path in folder.glob("*.json"):
        result = json.loads(path.read_text())
        if result.get("status") in ("COMPLETED", "PARTIAL"):
            for issue in validate_result(result, result["profile"], rules).issues:
                found[issue.rule] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep both result folders here")
    parser.add_argument("--variant", choices=["old", "new"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="offline-eval-"))
    samples, truth = REPO / "samples", REPO / "samples" / "truth"
    if args.variant:
        options = RunOptions(
            out_dir=root / args.variant, provider="offline", extra_env={"CACHE_ENABLED": "false"}
        )
        if args.variant == "old":
            with first_offline_provider():
                run_local([samples], options)
        else:
            run_local([samples], options)
        return
    for variant in ("old", "new"):
        subprocess.run([sys.executable, __file__, "--variant", variant, "--out", str(root)], check=True)
    new, old = evaluate(root / "new", truth, label="new"), evaluate(root / "old", truth, label="old")
    print(f"{'metric':<22}{'old':>8}{'new':>8}{'delta':>9}")
    for metric in METRICS:
        if metric in new.overall or metric in old.overall:
            a, b = old.overall.get(metric, 0.0), new.overall.get(metric, 0.0)
            print(f"{metric:<22}{a:>8.3f}{b:>8.3f}{b - a:>+9.3f}")
    old_issues, new_issues = _issues(root / "old"), _issues(root / "new")
    print(f"{'validation issues':<22}{sum(old_issues.values()):>8}{sum(new_issues.values()):>8}")
    for rule in sorted(set(old_issues) | set(new_issues)):
        print(f"  {rule:<40}{old_issues[rule]:>4}{new_issues[rule]:>6}")
    print(f"results: {root}/old, {root}/new")


if __name__ == "__main__":
    main()
