"""``doc-enhancer run``: the whole pipeline on this machine, on the embedded AWS emulation."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from enhancer.local.session import (
    DEFAULT_STALL_TIMEOUT_S,
    DocumentSummary,
    RunError,
    RunInterrupted,
    RunOptions,
    run_local,
)
from enhancer.models import DocumentStatus

EXIT_OK, EXIT_FATAL, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 1, 3, 130


def exit_code(summaries: list[DocumentSummary]) -> int:
    """0 when every document COMPLETED, 3 when all are terminal but some PARTIAL or FAILED, else 1."""
    if not summaries or any(s.status is None or not s.status.is_terminal for s in summaries):
        return EXIT_FATAL
    if all(s.status == DocumentStatus.COMPLETED for s in summaries):
        return EXIT_OK
    return EXIT_SOME_FAILED


def run(
    paths: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs")],
    out: Annotated[Path, typer.Option("--out", help="folder for the <pdf-stem>.json results")] = Path(
        "outputs"
    ),
    provider: Annotated[
        str | None,
        typer.Option(help="openai | anthropic | bedrock | offline (default: LLM_PROVIDER or offline)"),
    ] = None,
    profile: Annotated[str | None, typer.Option(help="extraction profile for every PDF")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="concurrent enrich workers (MAX_WORKERS)")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="use this AWS endpoint (LocalStack, moto) instead of the embedded one")
    ] = None,
    config_dir: Annotated[Path | None, typer.Option(help="folder with the four JSON configs")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summaries as JSON on stdout")] = False,
    debug: Annotated[bool, typer.Option(help="handler logs at DEBUG on stderr")] = False,
    stall_timeout: Annotated[
        float, typer.Option(min=1, help="stop when no document has moved for this many seconds")
    ] = DEFAULT_STALL_TIMEOUT_S,
) -> None:
    """Run PDFs through extract → enrich → validate on the embedded AWS emulation."""
    options = RunOptions(
        out_dir=out,
        provider=provider,
        profile=profile,
        workers=workers,
        endpoint_url=endpoint_url,
        config_dir=config_dir,
        log_level="DEBUG" if debug else None,
        stall_timeout_s=stall_timeout,
    )
    try:
        summaries = _run_with_progress(paths, options, show=not as_json)
    except RunInterrupted as exc:
        _report_unfinished(exc.summaries, out, as_json=as_json)
        typer.echo("interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except RunError as exc:
        _report_unfinished(exc.summaries, out, as_json=as_json)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FATAL) from exc
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # a fatal error: one line, not a traceback
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(EXIT_FATAL) from exc
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
    else:
        _print_table(summaries, out)
    raise typer.Exit(exit_code(summaries))


def _report_unfinished(summaries: list[DocumentSummary], out: Path, *, as_json: bool) -> None:
    """A run that stopped early still says what it did: the summaries (table or JSON) on stdout, where
    each finished document's result already is, and one line per unfinished document on stderr."""
    if not summaries:
        return
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
    else:
        _print_table(summaries, out)
    unfinished = [s for s in summaries if s.status is None or not s.status.is_terminal]
    finished = len(summaries) - len(unfinished)
    typer.echo(f"{finished} of {len(summaries)} document(s) finished, their results in {out}/", err=True)
    for s in unfinished:
        state = s.status.value if s.status else "not yet received"
        chapters = f", {s.chapters_finished}/{s.chapters} chapters" if s.chapters else ""
        typer.echo(f"not finished: {Path(s.file).name} ({state}{chapters}; no result written)", err=True)


def _run_with_progress(paths: list[Path], options: RunOptions, *, show: bool) -> list[DocumentSummary]:
    from rich.console import Console

    console = Console(stderr=True)
    if not show:
        return run_local(paths, options)
    if not console.is_terminal:
        seen: dict[str, str] = {}

        def plain(summaries: list[DocumentSummary]) -> None:
            for s in summaries:
                state = (
                    f"{s.status.value if s.status else 'UPLOADED'} {s.chapters_finished}/{s.chapters or '?'}"
                )
                if seen.get(s.document_id) != state:
                    seen[s.document_id] = state
                    console.print(f"{Path(s.file).name}: {state}", highlight=False)

        return run_local(paths, options, on_progress=plain)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as progress:
        docs = progress.add_task("documents", total=None)
        chapters = progress.add_task("chapters", total=None)

        def rich_progress(summaries: list[DocumentSummary]) -> None:
            finished = [s for s in summaries if s.status and s.status.is_terminal]
            failed = sum(1 for s in finished if s.status == DocumentStatus.FAILED)
            label = f"documents ({failed} failed)" if failed else "documents"
            progress.update(docs, total=len(summaries), completed=len(finished), description=label)
            progress.update(
                chapters,
                total=sum(s.chapters or 0 for s in summaries) or None,
                completed=sum(s.chapters_finished for s in summaries),
            )

        return run_local(paths, options, on_progress=rich_progress)


def _print_table(summaries: list[DocumentSummary], out: Path) -> None:
    """One row per document, readable at 80 columns: short headers, no cut cells (a long file name wraps),
    the LLM columns (calls/cache hits, cost) only when some document used an LLM, the error column only when
    some document has an error code. Wider on a pipe or a file."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    def total(field: str) -> float:
        return float(sum(getattr(s, field) for s in summaries))

    with_llm = any(s.llm_calls or s.cache_hits or s.estimated_cost_usd for s in summaries)
    with_errors = any(s.error_code for s in summaries)
    table = Table(
        title=f"results in {out}/",
        show_footer=len(summaries) > 1 and with_llm,
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("document", footer="total", overflow="fold", min_width=12, ratio=1)
    table.add_column("status", no_wrap=True)
    table.add_column("pages", justify="right", no_wrap=True)
    table.add_column("chap.", justify="right", no_wrap=True)
    if with_errors:
        table.add_column("error", no_wrap=True)
    if with_llm:
        calls_hits = f"{int(total('llm_calls'))}/{int(total('cache_hits'))}"
        table.add_column("calls/hits", footer=calls_hits, justify="right", no_wrap=True)
        table.add_column("USD", footer=f"{total('estimated_cost_usd'):.4f}", justify="right", no_wrap=True)
    table.add_column("time s", justify="right", no_wrap=True)
    colours = {
        DocumentStatus.COMPLETED: "green",
        DocumentStatus.PARTIAL: "yellow",
        DocumentStatus.FAILED: "red",
    }
    for s in summaries:
        status = s.status.value if s.status else "?"
        colour = colours.get(s.status, "white") if s.status else "white"
        row = [
            Path(s.file).name,
            f"[{colour}]{status}[/{colour}]",
            str(s.pages or "-"),
            str(s.chapters or "-"),
        ]
        if with_errors:
            row.append(s.error_code or "")
        if with_llm:
            row += [f"{s.llm_calls}/{s.cache_hits}", f"{s.estimated_cost_usd:.4f}"]
        row.append(f"{s.seconds:.1f}" if s.seconds else "-")
        table.add_row(*row)
    console = Console(file=sys.stdout)
    if not console.is_terminal:  # a pipe or a log file: don't squeeze the table into 80 columns
        console = Console(file=sys.stdout, width=160)
    console.print(table)
