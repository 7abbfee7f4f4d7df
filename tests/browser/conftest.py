"""A real Chromium (Debian's ``chromium`` package, not Playwright's download) driving the console that
``doc-enhancer serve`` runs, against the embedded stack. Skipped, with the reason, where either is missing.

Playwright's sync API runs an asyncio loop on the test thread for as long as it is open, so any other test
in the same process would find a running loop (``asyncio.run`` refuses to start there). The browser is
therefore opened per module and closed before the next module's tests, and the browser modules form one
xdist group (``--dist loadgroup``) so one worker runs them together instead of reopening it between
unrelated tests."""

import asyncio
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


@pytest.fixture(scope="module")
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
    # The next module's tests run on this thread: Playwright's loop must have stopped with it.
    with pytest.raises(RuntimeError, match="no running event loop"):
        asyncio.get_running_loop()


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
