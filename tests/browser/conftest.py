"""A real Chromium (Debian's ``chromium`` package, not Playwright's download) driving the console that
``doc-enhancer serve`` runs, against the embedded stack. Skipped, with the reason, where either is missing."""

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from enhancer.local.server import ServeOptions, ServingStack, serve_stack

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))  # make_samples, for the hostile PDF
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_executable() -> str | None:
    """``CHROMIUM`` when set, else the first Chromium on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    executable = chromium_executable()
    if executable is None:
        pytest.skip(
            "no Chromium found: install Debian's package (apt-get install -y chromium) or set "
            "CHROMIUM=/path; Playwright's own browser download is not used"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def eval_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval") / "eval-report.json"


@pytest.fixture(scope="module")
def stack(eval_report: Path) -> Iterator[ServingStack]:
    options = ServeOptions(port=0, provider="offline", extra_env={"EVAL_REPORT": str(eval_report)})
    with serve_stack(options) as running:
        yield running


@pytest.fixture
def page(browser: Any, stack: ServingStack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.set_default_timeout(30_000)
    yield opened
    context.close()
    assert not errors, errors  # no uncaught script error on any page
