"""Score a folder of result JSON against a folder of truth files, per document and overall.

A result is matched to its truth by the PDF's file name (the last part of ``source.key``); a truth without a
result scores as a miss on every metric it defines, a result without a truth is listed and not scored. Each
overall figure is the mean over the documents whose truth defines it."""

import json
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from enhancer.eval import metrics
from enhancer.eval.judge import SummaryJudge
from enhancer.eval.truth import TruthDocument

METRICS: dict[str, str] = {
    "chapter_precision": "predicted chapter starts that are true starts",
    "chapter_recall": "true chapter starts that were found",
    "chapter_f1": "harmonic mean of the two",
    "title_match": "true chapters found at their page with a matching title",
    "keyword_f1": "document keywords against the true ones (stems, containment)",
    "chapter_keyword_f1": "chapter keywords against the true ones, mean over chapters found",
    "summary_similarity": "document summary against the reference (ROUGE-1 F1, stemmed content words)",
    "status_agreement": "status and error code as the truth says",
    "summary_judge": "document summary against the reference, scored by an LLM (only with --judge)",
}


class EvalInputError(Exception):
    """A folder or file that cannot be read as results or truth; the message says which and why."""


class DocumentScore(BaseModel):
    file: str
    result: str | None = Field(description="the result JSON scored, None when it is missing")
    status: str | None = None
    error_code: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class EvalReport(BaseModel):
    created_at: datetime
    results: str
    truth: str
    label: str | None = None
    overall: dict[str, float]
    documents: list[DocumentScore]
    unscored: list[str] = Field(default_factory=list, description="results with no truth file")
    thresholds: dict[str, float] = Field(default_factory=dict)
    failures: list[str] = Field(default_factory=list, description="thresholds not met")

    @property
    def passed(self) -> bool:
        return not self.failures


def load_truth(folder: Path) -> dict[str, TruthDocument]:
    """Truth files by the PDF file name they describe."""
    if not folder.is_dir():
        raise EvalInputError(f"{folder}: no such truth folder")
    truths: dict[str, TruthDocument] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            truth = TruthDocument.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "file"
            raise EvalInputError(f"{path}: {where}: {first['msg']}") from exc
        truths[truth.file] = truth
    if not truths:
        raise EvalInputError(f"{folder}: no truth files (*.json)")
    return truths


def load_results(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Result JSONs (files with ``document_id`` and ``source``) by the PDF file name they came from."""
    if not folder.is_dir():
        raise EvalInputError(f"{folder}: no such results folder")
    results: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise EvalInputError(f"{path}: not JSON ({exc})") from exc
        if not isinstance(data, dict) or "document_id" not in data or "source" not in data:
            continue  # an eval report or another file beside the results
        name = str((data.get("source") or {}).get("key", path.name)).rsplit("/", 1)[-1]
        results[name] = (path, data)
    return results


def score_document(truth: TruthDocument, result: dict[str, Any] | None) -> dict[str, float]:
    """Every metric this truth defines, for one result (None: the result is missing, every metric 0)."""
    scores: dict[str, float] = {}
    if truth.status is not None or truth.error_code is not None:
        agrees = result is not None and (
            (truth.status is None or result.get("status") == truth.status.value)
            and result.get("error_code") == (truth.error_code.value if truth.error_code else None)
        )
        scores["status_agreement"] = 1.0 if agrees else 0.0
    chapters = list((result or {}).get("chapters") or [])
    language = ((result or {}).get("document") or {}).get("language")
    if truth.chapters:
        starts = metrics.chapter_starts(
            [c["start_page"] for c in chapters], [c.start_page for c in truth.chapters]
        )
        scores.update(chapter_precision=starts.precision, chapter_recall=starts.recall, chapter_f1=starts.f1)
        by_start = dict(
            zip(
                metrics.aligned_starts(
                    [c["start_page"] for c in chapters], [c.start_page for c in truth.chapters]
                ),
                sorted(chapters, key=lambda c: c["start_page"]),
                strict=True,
            )
        )
        titled = [t for t in truth.chapters if t.start_page in by_start]
        scores["title_match"] = round(
            sum(1 for t in titled if metrics.titles_match(by_start[t.start_page]["title"], t.title))
            / len(truth.chapters),
            4,
        )
        keyed = [t for t in truth.chapters if t.keywords]
        if keyed:
            values = [
                metrics.keyword_overlap(
                    ((by_start.get(t.start_page) or {}).get("metadata") or {}).get("keywords") or [],
                    t.keywords or [],
                    language,
                ).f1
                for t in keyed
            ]
            scores["chapter_keyword_f1"] = round(mean(values), 4)
    expected = truth.document
    document = (result or {}).get("document") or {}
    if expected and expected.keywords:
        scores["keyword_f1"] = metrics.keyword_overlap(
            document.get("keywords") or [], expected.keywords, language
        ).f1
    if expected and expected.summary:
        scores["summary_similarity"] = metrics.summary_similarity(
            document.get("summary") or "", expected.summary, language
        )
    return scores


def evaluate(
    results_dir: Path,
    truth_dir: Path,
    thresholds: dict[str, float] | None = None,
    label: str | None = None,
    judge: SummaryJudge | None = None,
) -> EvalReport:
    """Score every truth file's document; ``failures`` lists the overall figures below ``thresholds``.
    With a ``judge``, document summaries are also scored by it (``summary_judge``)."""
    truths = load_truth(truth_dir)
    results = load_results(results_dir)
    documents: list[DocumentScore] = []
    for name, truth in truths.items():
        found = results.get(name)
        data = found[1] if found else None
        scores = score_document(truth, data)
        notes = [] if found else ["no result for this file"]
        reference = truth.document.summary if truth.document else None
        if judge is not None and reference:
            summary = ((data or {}).get("document") or {}).get("summary") or ""
            try:
                verdict = judge.score(summary, reference)
                scores["summary_judge"] = round(verdict.score, 4)
                notes.append(f"judge: {verdict.reason}")
            except Exception as exc:  # a judge's failure is a missing score, never a failed eval
                notes.append(f"judge gave no score ({type(exc).__name__}: {str(exc)[:200]})")
        documents.append(
            DocumentScore(
                file=name,
                result=str(found[0]) if found else None,
                status=data.get("status") if data else None,
                error_code=data.get("error_code") if data else None,
                scores=scores,
                notes=notes,
            )
        )
    overall = {
        metric: round(mean(values), 4)
        for metric in METRICS
        if (values := [d.scores[metric] for d in documents if metric in d.scores])
    }
    wanted = thresholds or {}
    failures = [
        f"{metric} {overall.get(metric, 0.0):.3f} < {minimum:.3f}"
        for metric, minimum in wanted.items()
        if overall.get(metric, 0.0) < minimum
    ]
    return EvalReport(
        created_at=datetime.now(UTC),
        results=str(results_dir),
        truth=str(truth_dir),
        label=label,
        overall=overall,
        documents=documents,
        unscored=sorted(set(results) - set(truths)),
        thresholds=wanted,
        failures=failures,
    )
