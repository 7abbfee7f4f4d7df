"""Helpers the benchmarks share: generated PDFs, the fake LLM server's environment, medians, fastest runs."""

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Beside the checkout, or where CORPUS_DIR says (a worktree), as in the tests.
CORPUS = Path(os.environ.get("CORPUS_DIR") or REPO.parent / "shared" / "corpus") / "pdfs"
sys.path.insert(0, str(REPO / "scripts"))

from make_samples import TOPICS, Book  # noqa: E402  (scripts/ is not a package)


def book_pdf(path: Path, chapters: int, pages_per_chapter: int = 1) -> Path:
    """A PDF with an outline entry per chapter, built like the samples (pypdf, real prose)."""
    book = Book(f"Benchmark Book ({chapters} chapters)", "bench")
    topics = sorted(TOPICS)
    for number in range(1, chapters + 1):
        pages = book.chapter(
            [f"Chapter {number}"], topics[number % len(topics)], pages_per_chapter, seed=number
        )
        book.writer.add_outline_item(title=f"{number} Chapter {number}", page_number=pages[0])
    return book.save(path)


def fake_openai_env(base_url: str, *, rate_limit: int = 100_000, cache: bool = False) -> dict[str, str]:
    """The real OpenAI SDK pointed at the fake server; a rate limit high enough not to bind."""
    return {
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": "fake",
        "OPENAI_BASE_URL": base_url,
        "CACHE_ENABLED": "true" if cache else "false",
        "RATE_LIMIT": str(rate_limit),
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def fastest(work: Callable[[], object], rounds: int, *, refusals: tuple[type[Exception], ...] = ()) -> float:
    """Seconds of the fastest of ``rounds`` runs: a busy neighbour on a shared machine slows a round, not
    the figure. A run that raises one of ``refusals`` is timed too (what refusing the input took); any
    other exception ends the bench."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        with contextlib.suppress(*refusals):
            work()
        best = min(best, time.perf_counter() - started)
    return best


def machine() -> str:
    import os

    return f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}"
