"""``doc-enhancer``: the command-line entry point. Each command lives in its own module."""

import typer

app = typer.Typer(
    name="doc-enhancer",
    help="Turn PDFs into validated, structured metadata: locally on an embedded AWS emulation, or on AWS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Turn PDFs into validated, structured metadata."""


@app.command()
def version() -> None:
    """Print the version."""
    from enhancer import __version__

    typer.echo(__version__)


def main() -> None:
    app()
