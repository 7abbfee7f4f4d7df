"""``doc-enhancer``: the command-line entry point. Each command lives in its own module."""

import functools
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="doc-enhancer",
    help="Turn PDFs into validated, structured metadata: locally on an embedded AWS emulation, or on AWS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from enhancer import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Turn PDFs into validated, structured metadata."""


@app.command()
def version() -> None:
    """Print the version."""
    from enhancer import __version__

    typer.echo(__version__)


from enhancer.cli.extract import extract  # noqa: E402

app.command()(extract)


from enhancer.cli.run import run as _run_command  # noqa: E402


@functools.wraps(_run_command)
def _checked_run(**options: Any) -> None:
    """``run`` after ``enhancer.cli.preflight``: a bad option, environment or config is one line on stderr
    before the emulation starts."""
    from enhancer.cli import preflight

    preflight.check(
        provider=options.get("provider"),
        profile_name=options.get("profile"),
        config_dir=options.get("config_dir"),
    )
    if options.get("debug"):
        preflight.debug_logs()
    _run_command(**options)


app.command(name="run")(_checked_run)


from enhancer.cli.fake_llm import fake_llm as _fake_llm_command  # noqa: E402

app.command(name="fake-llm")(_fake_llm_command)


from enhancer.cli import ops  # noqa: E402
from enhancer.cli.serve import serve  # noqa: E402

app.command()(serve)
app.command(name="health")(ops.health_command)
app.command(name="status")(ops.status_command)
app.command(name="list")(ops.list_command)
app.command(name="redrive")(ops.redrive_command)
app.command(name="reprocess")(ops.reprocess_command)


def main() -> None:
    app()
