"""``doc-enhancer serve``: the embedded stack, the pipeline workers and the HTTP API, until Ctrl-C."""

from typing import Annotated

import typer

from enhancer.local.server import ServeOptions, serve_stack, wait_forever


def serve(
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
) -> None:
    """Serve the API on http://HOST:PORT with the pipeline running behind it, until Ctrl-C."""
    from rich.console import Console

    from enhancer.cli import preflight

    preflight.check(provider=provider)
    console = Console(stderr=True)
    options = ServeOptions(
        host=host, port=port, endpoint_url=endpoint_url, provider=provider, workers=workers
    )
    try:
        with serve_stack(options) as stack:
            console.print(f"API        {stack.api_url}   (try: curl {stack.api_url}/health)", highlight=False)
            console.print(f"AWS        {stack.endpoint_url}   (embedded emulation unless --endpoint-url)")
            console.print("operator commands use this environment, e.g.:", highlight=False)
            console.print(
                f"  doc-enhancer health --detailed --endpoint-url {stack.endpoint_url}", highlight=False
            )
            for name, value in sorted(stack.env.items()):
                console.print(f"  export {name}={value}", highlight=False, soft_wrap=True)
            console.print("Ctrl-C stops everything (the emulation's data goes with it).")
            wait_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    except OSError as exc:  # e.g. the port is taken
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
