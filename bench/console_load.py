"""The console with 1,000 documents: time to the first rows and to the whole list, against 20 documents
(the baseline) measured in the same run, plus the page's weight.

A ``doc-enhancer serve`` stack (embedded emulation) is seeded with status records, then Debian's Chromium
(Playwright, ``executable_path``) opens ``/`` and reads the console's own timings (``window.consoleTiming``:
first page of the API rendered, every page loaded) and the browser's navigation timing. Two figures:

* **emulator**: the real API over moto, whose DynamoDB scan costs about 10 ms per item on this machine, so
  this is the emulator's speed more than the console's;
* **console**: the same page with the API's recorded answers replayed by the browser (Playwright routes), so
  what is left is the console's own work: parsing, sorting, filtering and rendering 1,000 documents.

    .venv/bin/python bench/console_load.py [--documents 1000] [--rounds 3]
"""

import argparse
import shutil
import statistics
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from enhancer.console import ASSETS, asset
from enhancer.local.server import ServeOptions, serve_stack
from enhancer.models import DocumentRecord, DocumentStatus
from enhancer.storage import DocumentStore

NOTHING_NEW = b'{"items": [], "next_token": null}'
STATUSES = [DocumentStatus.COMPLETED] * 8 + [DocumentStatus.FAILED, DocumentStatus.ENRICHING]


def seed(table: str, count: int, tag: str) -> None:
    store = DocumentStore(table)
    now = datetime.now(UTC)
    for n in range(count):
        document_id = uuid.uuid4().hex
        store.create_if_absent(
            DocumentRecord(
                document_id=document_id,
                status=STATUSES[n % len(STATUSES)],
                profile="default",
                source_bucket="input",
                source_key=f"incoming/{document_id}/{tag}-{n:04d}.pdf",
                page_count=10 + n % 90,
                chapter_count=5,
                chapters_done={0, 1, 2, 3, 4},
                created_at=now - timedelta(seconds=n),
                updated_at=now,
            )
        )


def measure(
    browser: Any, url: str, expected: int, recorded: dict[str, bytes], *, replay: bool
) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    if replay:
        page.route(
            "**/documents?*",
            lambda route: route.fulfill(
                status=200,
                content_type="application/json",
                body=recorded.get(route.request.url) or NOTHING_NEW,  # a later refresh: nothing changed
            ),
        )
    else:
        page.on(
            "response",
            lambda response: (
                recorded.__setitem__(response.url, response.body())
                if "/documents?" in response.url and response.ok
                else None
            ),
        )
    page.goto(url)
    try:
        page.locator(f"body[data-documents-loaded='{expected}']").wait_for(timeout=120_000)
    except Exception:
        loaded = page.evaluate("document.body.dataset.documentsLoaded")
        raise SystemExit(
            f"replay={replay}: {loaded} of {expected} loaded; {page.inner_text('#error')}"
        ) from None
    timing = page.evaluate("({...window.consoleTiming})")
    navigation = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    page.close()
    for address in [a for a, body in recorded.items() if not body]:  # the same answers, for the replay
        recorded[address] = requests.get(address, timeout=60).content
    return {
        "dom_ready_ms": float(navigation),
        "first_rows_ms": float(navigation + timing["firstPageMs"]),
        "all_documents_ms": float(navigation + timing["allDocumentsMs"]),
        "render_list_ms": float(timing["renderMs"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("no chromium on PATH (apt-get install -y chromium)")
    weight = {name: len(asset(name).read_bytes()) for name in ASSETS}
    print(f"page weight: {sum(weight.values()) / 1024:.1f} KiB uncompressed ({weight})")
    figures: dict[tuple[str, int], list[dict[str, float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        for count in (args.baseline, args.documents):
            with serve_stack(ServeOptions(port=0, provider="offline", stage=f"bench{count}")) as stack:
                seed(stack.env["DOCUMENTS_TABLE"], count, f"bench{count}")
                recorded: dict[str, bytes] = {}
                url = stack.api_url + "/"
                figures["emulator", count] = [measure(browser, url, count, recorded, replay=False)]
                figures["console", count] = [
                    measure(browser, url, count, recorded, replay=True) for _ in range(args.rounds)
                ]
        browser.close()
    print(f"{'':<28}{args.baseline:>10}{args.documents:>10}{'ratio':>8}   (median; emulator: 1 round)")
    for kind in ("console", "emulator"):
        for key in figures[kind, args.baseline][0]:
            base = statistics.median(r[key] for r in figures[kind, args.baseline])
            value = statistics.median(r[key] for r in figures[kind, args.documents])
            print(f"{kind + ' ' + key:<28}{base:>8.0f}ms{value:>8.0f}ms{value / max(base, 1):>8.2f}")


if __name__ == "__main__":
    main()
