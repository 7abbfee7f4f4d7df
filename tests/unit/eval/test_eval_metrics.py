import json
from pathlib import Path
from typing import Any

import pytest

from enhancer.eval import evaluate
from enhancer.eval.metrics import (
    aligned_starts,
    chapter_starts,
    keyword_overlap,
    summary_similarity,
    titles_match,
)
from enhancer.eval.report import EvalInputError


def test_chapter_starts_precision_recall_f1() -> None:
    scored = chapter_starts([1, 11], [1])
    assert (scored.precision, scored.recall, scored.f1) == (0.5, 1.0, 0.6667)
    assert chapter_starts([], []).f1 == 1.0
    assert chapter_starts([], [3]).f1 == 0.0


def test_the_first_chapter_absorbs_front_matter() -> None:
    # Chapters tile the document, so the first one starts on page 1 even when the truth starts on page 3.
    assert aligned_starts([1, 6, 9], [3, 6, 9]) == [3, 6, 9]
    assert aligned_starts([1, 2, 6], [3, 6]) == [1, 2, 6]  # a real chapter on page 2: nothing to align
    assert chapter_starts([1, 6, 9, 12], [3, 6, 9, 12]).f1 == 1.0


def test_titles_match_without_numbering_or_case() -> None:
    assert titles_match("2. Related Work", "Related work")
    assert titles_match("Chapter 1 Deployments and Rollouts", "Deployments and Rollouts")
    assert titles_match("1 Cloud Storage Foundations", "Cloud Storage Foundations")
    assert not titles_match("Front matter", "Abstract")


def test_keyword_overlap_by_stem_and_containment() -> None:
    scored = keyword_overlap(["Pods", "managed data services", "weather"], ["pod", "managed data", "cost"])
    assert (scored.precision, scored.recall) == (0.6667, 0.6667)


def test_summary_similarity_is_lexical_and_bounded() -> None:
    reference = "Revenue from managed data services grew steadily."
    assert summary_similarity(reference, reference) == 1.0
    assert summary_similarity("The weather was pleasant.", reference) == 0.0
    assert 0 < summary_similarity("Managed services revenue grew.", reference) < 1


def _result(folder: Path, name: str, **fields: Any) -> None:
    base = {"document_id": name, "source": {"key": f"incoming/{name}.pdf"}, "status": "COMPLETED"}
    (folder / f"{name}.json").write_text(json.dumps({**base, **fields}))


def test_evaluate_scores_matches_misses_and_thresholds(tmp_path: Path) -> None:
    results, truth = tmp_path / "results", tmp_path / "truth"
    results.mkdir()
    truth.mkdir()
    (truth / "a.json").write_text(
        json.dumps(
            {
                "file": "a.pdf",
                "status": "COMPLETED",
                "chapters": [{"title": "Intro", "start_page": 1}, {"title": "Method", "start_page": 4}],
                "document": {
                    "keywords": ["chapter detection"],
                    "summary": "Chapters are found from the outline.",
                },
            }
        )
    )
    (truth / "b.json").write_text(
        json.dumps({"file": "b.pdf", "status": "FAILED", "error_code": "NOT_A_PDF"})
    )
    _result(
        results,
        "a",
        chapters=[
            {"title": "1 Intro", "start_page": 1, "metadata": {"keywords": []}},
            {"title": "2 Method", "start_page": 4},
        ],
        document={"keywords": ["chapter detection"], "summary": "Chapters are found from the outline."},
    )
    _result(results, "extra")
    (results / "eval-report.json").write_text("{}")  # not a result: ignored

    report = evaluate(results, truth, {"chapter_f1": 0.9, "status_agreement": 0.9})

    a, b = report.documents
    assert a.scores["chapter_f1"] == a.scores["title_match"] == a.scores["keyword_f1"] == 1.0
    assert a.scores["summary_similarity"] == 1.0
    assert b.result is None
    assert b.scores == {"status_agreement": 0.0}
    assert report.unscored == ["extra.pdf"]
    assert report.overall["status_agreement"] == 0.5
    assert report.failures == ["status_agreement 0.500 < 0.900"]


def test_a_bad_truth_file_names_its_field(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(
        json.dumps({"file": "x.pdf", "chapters": [{"title": "A", "start_page": 0}]})
    )
    with pytest.raises(EvalInputError, match=r"t.json: chapters.0.start_page"):
        evaluate(tmp_path, tmp_path)


def test_the_shipped_truth_files_load() -> None:
    from enhancer.eval import load_truth

    truths = load_truth(Path(__file__).resolve().parents[3] / "samples" / "truth")
    assert {"annual-report.pdf", "truncated.pdf", "research-paper.pdf"} <= set(truths)
