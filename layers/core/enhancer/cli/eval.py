"""``doc-enhancer eval RESULTS --truth TRUTH``: score result JSON against ground truth, gate on thresholds."""

from pathlib import Path
from typing import Annotated

import typer

from enhancer.eval.report import METRICS, EvalInputError, EvalReport, evaluate

EXIT_OK, EXIT_ERROR, EXIT_BELOW = 0, 1, 3
REPORT_NAME = "eval-report.json"
SHORT = {
    "chapter_precision": "ch P",
    "chapter_recall": "ch R",
    "chapter_f1": "ch F1",
    "title_match": "titles",
    "keyword_f1": "kw F1",
    "chapter_keyword_f1": "ch kw F1",
    "summary_similarity": "summary",
    "status_agreement": "status",
    "summary_judge": "judge",
}


def _thresholds(values: list[str]) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for value in values:
        name, _, number = value.partition("=")
        if name not in METRICS:
            raise typer.BadParameter(
                f"{name!r} is not a metric; one of: {', '.join(METRICS)}", param_hint="--min"
            )
        try:
            parsed[name] = float(number)
        except ValueError as exc:
            raise typer.BadParameter(
                f"{value!r}: expected NAME=NUMBER, e.g. chapter_f1=0.9", param_hint="--min"
            ) from exc
    return parsed


def eval_command(
    results: Annotated[Path, typer.Argument(help="folder of result JSON (what `run --out` wrote)")],
    truth: Annotated[Path, typer.Option(help="folder of truth files, one JSON per document")],
    minimum: Annotated[
        list[str] | None,
        typer.Option("--min", help="NAME=VALUE: exit 3 when the overall NAME is below VALUE (repeatable)"),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="another results folder (other provider, prompt or model) to compare")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help=f"where the JSON report goes (default RESULTS/{REPORT_NAME})")
    ] = None,
    label: Annotated[str | None, typer.Option(help="a name for this run in the report")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the report as JSON instead of the table")
    ] = False,
    judge: Annotated[
        bool, typer.Option("--judge", help="also score summaries with an LLM (LLM_PROVIDER=openai + its key)")
    ] = False,
) -> None:
    """Score results against truth: chapter starts (P/R/F1), titles, keywords, summaries, error codes."""
    thresholds = _thresholds(minimum or [])
    from enhancer.eval.judge import JudgeUnavailable, SummaryJudge
    from enhancer.settings import LlmSettings

    try:
        summary_judge = SummaryJudge(LlmSettings()) if judge else None
    except JudgeUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    try:
        scored = evaluate(results, truth, thresholds, label=label, judge=summary_judge)
        compared = evaluate(baseline, truth, label=str(baseline)) if baseline else None
    except EvalInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    target = report or results / REPORT_NAME
    payload = scored.model_dump(mode="json")
    if compared is not None:
        payload["baseline"] = compared.model_dump(mode="json")
    import json

    target.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print(scored, compared, target)
    if scored.failures:
        typer.echo("below threshold: " + "; ".join(scored.failures), err=True)
        raise typer.Exit(EXIT_BELOW)


def _print(scored: EvalReport, compared: EvalReport | None, target: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    documents = Table(title=f"eval: {scored.results} against {scored.truth}")
    documents.add_column("document")
    documents.add_column("status")
    shown = [m for m in METRICS if any(m in d.scores for d in scored.documents)]
    for metric in shown:
        documents.add_column(SHORT[metric], justify="right")
    for doc in scored.documents:
        status = doc.error_code or doc.status or "missing"
        documents.add_row(doc.file, status, *[_cell(doc.scores.get(m)) for m in shown])
    console.print(documents)
    overall = Table(title="overall (mean over the documents whose truth defines the metric)")
    overall.add_column("metric")
    overall.add_column(scored.label or "results", justify="right")
    if compared is not None:
        overall.add_column(f"baseline {compared.label}", justify="right")
        overall.add_column("Δ", justify="right")
    overall.add_column("minimum", justify="right")
    for metric in METRICS:
        if metric not in scored.overall and not (compared and metric in compared.overall):
            continue
        value = scored.overall.get(metric)
        row = [metric, _cell(value)]
        if compared is not None:
            other = compared.overall.get(metric)
            row += [_cell(other), f"{value - other:+.3f}" if value is not None and other is not None else ""]
        limit = scored.thresholds.get(metric)
        mark = (
            ""
            if limit is None
            else (f"{limit:.3f} ✓" if (value or 0) >= limit else f"[red]{limit:.3f} ✗[/red]")
        )
        overall.add_row(*row, mark)
    console.print(overall)
    if scored.unscored:
        console.print(f"not scored (no truth file): {', '.join(scored.unscored)}", highlight=False)
    console.print(f"report: {target}", highlight=False)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
