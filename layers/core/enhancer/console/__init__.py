"""The web console: static files (plain HTML, CSS and JavaScript, no build step) the API serves at ``/``."""

from importlib.resources import files
from importlib.resources.abc import Traversable

ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}


def asset(name: str) -> Traversable:
    """One shipped file, by a name from ``ASSETS`` (nothing else is served)."""
    if name not in ASSETS:
        raise KeyError(name)
    return files("enhancer.console").joinpath("static", name)
