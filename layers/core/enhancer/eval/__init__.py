"""Scoring result JSON against ground truth: ``doc-enhancer eval RESULTS --truth TRUTH``."""

from enhancer.eval.report import METRICS, DocumentScore, EvalReport, evaluate, load_results, load_truth
from enhancer.eval.truth import TruthChapter, TruthDocument

__all__ = [
    "METRICS",
    "DocumentScore",
    "EvalReport",
    "TruthChapter",
    "TruthDocument",
    "evaluate",
    "load_results",
    "load_truth",
]
