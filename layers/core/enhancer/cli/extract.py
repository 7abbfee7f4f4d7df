"""``doc-enhancer extract FILE.pdf``: extraction and chapter detection only, no AWS."""

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

EXIT_FAILED = 2  # a documented failure: the PDF has an error code


def extract(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the PDF")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    profile: Annotated[str | None, typer.Option(help="extraction profile (default: the config's)")] = None,
    engine: Annotated[
        Literal["auto", "pdfium", "pypdf"] | None,
        typer.Option(help="page-text engine (default: PDF_ENGINE, else auto)"),
    ] = None,
    config_dir: Annotated[Path | None, typer.Option(help="folder with the JSON configs")] = None,
    text: Annotated[bool, typer.Option("--text", help="include each chapter's text")] = False,
) -> None:
    """Detect the chapters of one PDF; exit 2 with its error code when the PDF is bad input."""
    from enhancer.config import load_app_config
    from enhancer.errors import ConfigError, PermanentError
    from enhancer.pdf import extract_pdf
    from enhancer.pipeline.context import ocr_options
    from enhancer.settings import ExtractionSettings, OcrSettings

    try:
        config = load_app_config(config_dir)
        settings = ExtractionSettings()
        ocr = ocr_options(OcrSettings(), on_lambda=False)  # scanned pages: OCR_ENGINE, RapidOCR by default
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(1) from exc
    profiles = config.extraction_profiles
    try:
        profile_name, profile_config = profiles.require(profile)
    except PermanentError as exc:
        typer.echo(f"error: --profile: {exc.message}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc

    report: dict[str, Any] = {
        "file": str(file),
        "profile": profile_name,
        "status": "COMPLETED",
        "error_code": None,
        "error_message": None,
        "engine": None,
        "extract_ms": None,
        "pdf": None,
        "chapters": [],
        "outline": [],
    }
    try:
        result = extract_pdf(
            file,
            profile=profile_config,
            patterns=config.chapter_patterns,
            max_file_bytes=settings.max_file_bytes,
            max_pages=settings.max_pages,
            engine=engine or settings.pdf_engine,
            ocr=ocr,
        )
    except PermanentError as exc:
        report.update(status="FAILED", error_code=exc.code.value, error_message=exc.message)
    else:
        report.update(
            engine=result.engine,
            extract_ms=result.extract_ms,
            pdf=result.pdf.model_dump(mode="json"),
            chapters=[
                (chapter if text else chapter.span()).model_dump(mode="json") for chapter in result.chapters
            ],
            outline=[entry.model_dump(mode="json") for entry in result.outline],
        )

    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_table(report, with_text=text)
    if report["status"] != "COMPLETED":
        raise typer.Exit(EXIT_FAILED)


def _print_table(report: dict[str, Any], *, with_text: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if report["status"] != "COMPLETED":
        console.print(f"[red]{report['error_code']}[/red]: {report['error_message']}", soft_wrap=True)
        return
    pdf = report["pdf"]
    table = Table(
        title=f"{Path(report['file']).name}: {pdf['page_count']} pages, {pdf['text_chars']:,} characters",
        caption=f"engine {report['engine']}, {report['extract_ms']} ms, profile {report['profile']}",
    )
    for column in ("#", "title", "pages", "detected by", "chars", "sections"):
        table.add_column(column, justify="right" if column in ("#", "chars", "sections") else "left")
    for chapter in report["chapters"]:
        title = chapter["title"]
        if chapter.get("part"):
            title = f"{title} (part {chapter['part']}/{chapter['parts']})"
        table.add_row(
            str(chapter["index"]),
            title,
            f"{chapter['start_page']}\u2013{chapter['end_page']}",
            chapter["detected_by"],
            f"{chapter['char_count']:,}",
            str(len(chapter["sections"])),
        )
    console.print(table)
    if with_text:
        for chapter in report["chapters"]:
            console.rule(f"{chapter['index']}. {chapter['title']}")
            console.print(chapter["text"], markup=False, highlight=False)
