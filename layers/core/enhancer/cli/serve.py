"""``doc-enhancer serve``: the embedded stack, the pipeline workers and the HTTP API, until Ctrl-C."""

from pathlib import Path
from typing import Annotated

import typer

from enhancer.local.server import ServeOptions, serve_stack, wait_forever

DEFAULT_EVAL_REPORT = Path("outputs") / "eval-report.json"


def serve(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="PDFs or folders to submit once the stack is up (e.g. samples/)"),
    ] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="API port (0: any free port)")] = 8080,
    host: Annotated[str, typer.Option(help="API address; keep 127.0.0.1 unless you mean to share it")] = (
        "127.0.0.1"
    ),
    endpoint_url: Annotated[
        str | None, typer.Option(help="use this AWS endpoint (LocalStack, moto) instead of the embedded one")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(help="openai | anthropic | bedrock | offline (default: LLM_PROVIDER or offline)"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="concurrent enrich workers (MAX_WORKERS)")
    ] = None,
    eval_report: Annotated[
        Path | None, typer.Option(help="eval report the console shows (default: outputs/eval-report.json)")
    ] = None,
) -> None:
    """Serve the API and the web console on http://HOST:PORT with the pipeline behind it, until Ctrl-C."""
    from rich.console import Console

    from enhancer.cli import preflight

    preflight.check(provider=provider)
    console = Console(stderr=True)
    report = eval_report or DEFAULT_EVAL_REPORT
    options = ServeOptions(
        host=host,
        port=port,
        endpoint_url=endpoint_url,
        provider=provider,
        workers=workers,
        extra_env={"EVAL_REPORT": str(report.resolve())},
    )
    try:
        with serve_stack(options) as stack:
            console.print(f"API        {stack.api_url}   (try: curl {stack.api_url}/health)", highlight=False)
            console.print(f"console    {stack.api_url}/", highlight=False)
            console.print(f"AWS        {stack.endpoint_url}   (embedded emulation unless --endpoint-url)")
            console.print("operator commands use this environment, e.g.:", highlight=False)
            console.print(
                f"  doc-enhancer health --detailed --endpoint-url {stack.endpoint_url}", highlight=False
            )
            for name, value in sorted(stack.env.items()):
                console.print(f"  export {name}={value}", highlight=False, soft_wrap=True)
            if paths:
                from enhancer.local.session import DocumentSummary, RunError, _upload, find_pdfs

                submitted: list[DocumentSummary] = []
                try:
                    _upload(find_pdfs(paths), stack.env["INPUT_BUCKET"], None, submitted)
                except RunError as exc:
                    typer.echo(f"error: {exc}", err=True)
                    raise typer.Exit(1) from exc
                console.print(f"submitted  {len(submitted)} PDF(s); watch them at {stack.api_url}/")
            console.print("Ctrl-C stops everything (the emulation's data goes with it).")
            wait_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    except OSError as exc:  # e.g. the port is taken
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
