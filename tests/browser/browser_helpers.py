"""What the browser tests share: uploads and waits over the API, screenshots, and a PDF whose outline title
and body text are HTML/script payloads (built like the samples, with pypdf)."""

import json
import os
import time
from pathlib import Path
from typing import Any

import requests
from make_samples import Book

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def upload(api: str, filename: str, body: bytes) -> str:
    ticket = requests.post(f"{api}/documents", data=json.dumps({"filename": filename}), timeout=10)
    assert ticket.status_code == 201, ticket.text
    put = requests.put(
        ticket.json()["upload_url"], data=body, headers=ticket.json()["upload_headers"], timeout=10
    )
    assert put.status_code == 200, put.text
    return str(ticket.json()["document_id"])


def wait_terminal(api: str, document_id: str, attempts: int = 480) -> dict[str, Any]:
    """Bounds a hung pipeline; not a timing assertion."""
    for _ in range(attempts):
        response = requests.get(f"{api}/documents/{document_id}", timeout=10)
        if response.status_code == 200 and response.json()["status"] in ("COMPLETED", "PARTIAL", "FAILED"):
            return dict(response.json())
        time.sleep(0.25)
    raise AssertionError(f"{document_id} did not finish")


def screenshot(page: Any, name: str) -> None:
    """Into ``SCREENSHOTS_DIR`` when set (``docs/screenshots`` for the README), else nowhere."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def hostile_pdf(path: Path) -> Path:
    book = Book("Hostile <b>title</b>", "x")
    lines = [
        "The payload <script>window.__pwned = 1</script> must stay inert in every view of the console.",
        "An image tag <img src=x onerror=window.__pwned=2> is only text for a careful renderer to show.",
        "Every field of a result is data: summaries, keywords and titles are never parsed as markup.",
    ]
    first = book.page(["<script>window.__pwned = 1</script>"], lines * 3)
    book.writer.add_outline_item(title="<script>window.__pwned = 1</script>", page_number=first)
    second = book.page(["Ordinary chapter"], [line.replace("<", "(").replace(">", ")") for line in lines] * 3)
    book.writer.add_outline_item(title="Ordinary chapter", page_number=second)
    return book.save(path)
