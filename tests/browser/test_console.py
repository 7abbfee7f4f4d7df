"""The console in a real browser: upload, watch, chapters, reprocess, DLQ redrive, API errors, eval report,
and a document whose text is a ``<script>`` payload rendered as text."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from enhancer.eval import evaluate
from enhancer.local.server import ServingStack

from .browser_helpers import SAMPLES, hostile_pdf, screenshot, upload, wait_terminal

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
RESULT_TIMEOUT_MS = 180_000  # bounds a hung pipeline on a busy machine; not a timing assertion


def test_upload_watch_open_chapters_and_reprocess(page: Any, stack: ServingStack) -> None:
    page.goto(stack.api_url + "/")
    page.wait_for_selector("#documents-table")

    # Given the documents page, When a user drops a sample in the upload zone (file chooser: same path)
    page.select_option("#profile", "academic_paper")
    page.set_input_files("#file-input", str(SAMPLES / "research-paper.pdf"))
    uploaded = page.locator("#uploads li[data-state=uploaded]")
    uploaded.wait_for()
    document_id = uploaded.get_attribute("data-document-id")

    # Then the live list shows it finishing without a reload
    row = page.locator(f"tr[data-document-id='{document_id}'][data-status=COMPLETED]")
    row.wait_for(timeout=RESULT_TIMEOUT_MS)
    assert row.locator(".chapters").inner_text().startswith("6 / 6")
    page.fill("#search", "research")
    assert page.locator(f"tr[data-document-id='{document_id}']").count() == 1
    page.fill("#search", "no-such-file")
    page.locator("#documents-table", has_text="No documents match.").wait_for()
    page.fill("#search", "")
    page.select_option("#status-filter", "COMPLETED")
    screenshot(page, "documents")

    # When they open it: the chapter tree, each chapter's metadata and LLM details, timings, validation
    page.locator(f"tr[data-document-id='{document_id}']").click()
    page.wait_for_selector("#chapters")
    chapters = page.locator("details.chapter")
    assert chapters.count() == 6
    assert "detected by pattern" in chapters.nth(1).locator("summary").inner_text()
    chapters.nth(1).locator("summary").click()
    assert chapters.nth(1).locator(".chapter-summary").inner_text().endswith(".")
    assert "offline / yake-lexrank" in chapters.nth(1).locator(".llm").inner_text()
    assert page.locator("#timings .bar").count() == 4
    assert page.locator("#result-link").get_attribute("href").endswith(f"{document_id}/result")
    assert "academic_paper" in page.locator("#view").inner_text()
    screenshot(page, "document")

    # When they reprocess it, Then it runs again (run 1) and finishes
    page.click("#reprocess")
    page.locator("#doc-status", has_text="RECEIVED").wait_for()
    page.locator("#doc-status[data-status=COMPLETED]").wait_for(timeout=RESULT_TIMEOUT_MS)
    assert wait_terminal(stack.api_url, document_id)["run"] == 1


def test_a_dead_lettered_message_is_seen_and_redriven(page: Any, stack: ServingStack) -> None:
    document_id = upload(stack.api_url, "report.pdf", (SAMPLES / "annual-report.pdf").read_bytes())
    wait_terminal(stack.api_url, document_id)
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    policy = sqs.get_queue_attributes(
        QueueUrl=stack.env["VALIDATE_QUEUE_URL"], AttributeNames=["RedrivePolicy"]
    )
    dlq_name = json.loads(policy["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"].rsplit(":", 1)[-1]
    # Given a validate message in the DLQ (a duplicate for a finished document: harmless once redriven)
    sqs.send_message(
        QueueUrl=sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"],
        MessageBody=json.dumps({"document_id": document_id}),
    )

    page.goto(stack.api_url + "/#/operations")
    row = page.locator("tr[data-queue=validate][data-dead-letters='1']")
    row.wait_for()
    page.locator(".card[data-check=validate-dlq][data-status=degraded]").wait_for()
    page.locator("#health-badge.degraded").wait_for()
    screenshot(page, "operations")

    row.locator("button.redrive").click()
    row.locator("button.redrive", has_text="moved 1").wait_for()
    page.locator("tr[data-queue=validate][data-dead-letters='0']").wait_for()
    assert wait_terminal(stack.api_url, document_id)["status"] == "COMPLETED"


def test_api_errors_are_shown_as_the_api_says_them(page: Any, stack: ServingStack, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a pdf")
    page.goto(stack.api_url + "/")
    page.wait_for_selector("#documents-table")

    page.set_input_files("#file-input", str(notes))

    page.locator("#uploads li[data-state=failed]").wait_for()
    banner = page.locator("#error")
    assert banner.inner_text() == "NOT_A_PDF: filename must end in .pdf: only PDF documents are accepted"
    page.goto(stack.api_url + "/#/documents/" + "0" * 32)
    page.locator("#error", has_text="NOT_FOUND: no document").wait_for()


def test_an_upload_s3_refuses_is_shown_with_s3s_reason(page: Any, stack: ServingStack) -> None:
    # Given an upload ticket whose headers no longer match what the URL was signed with
    def tamper(route: Any) -> None:
        response = route.fetch()
        ticket = response.json()
        ticket["upload_headers"]["Content-Type"] = "application/octet-stream"
        route.fulfill(response=response, json=ticket)

    page.route(
        "**/documents", lambda route: tamper(route) if route.request.method == "POST" else route.continue_()
    )
    page.goto(stack.api_url + "/")
    page.wait_for_selector("#documents-table")

    # When the console PUTs the sample, Then S3's refusal is shown as S3 gave it, and nothing was stored
    page.set_input_files("#file-input", str(SAMPLES / "research-paper.pdf"))
    failed = page.locator("#uploads li[data-state=failed]")
    failed.wait_for()
    assert "UPLOAD_FAILED: S3 refused the upload (HTTP 403): SignatureDoesNotMatch" in failed.inner_text()
    assert page.locator("#error").inner_text().startswith("UPLOAD_FAILED: S3 refused the upload (HTTP 403)")


def test_a_script_payload_in_a_document_stays_text(page: Any, stack: ServingStack, tmp_path: Path) -> None:
    payload = hostile_pdf(tmp_path / "hostile.pdf")
    document_id = upload(stack.api_url, "hostile<script>.pdf", payload.read_bytes())
    assert wait_terminal(stack.api_url, document_id)["status"] == "COMPLETED"

    page.goto(stack.api_url + f"/#/documents/{document_id}")
    page.wait_for_selector("#chapters")
    for chapter in page.locator("details.chapter").all():
        chapter.locator("summary").click()

    text = page.locator("#view").inner_text()
    assert page.locator(".chapter-title").first.inner_text() == "<script>window.__pwned = 1</script>"
    assert "<script>window.__pwned = 1</script>" in text  # shown, as text
    assert "<img src=x onerror=" in text
    assert page.locator("#view script, #view img, #view [onerror]").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.goto(stack.api_url + "/")  # the list shows the file name (with its <script>) as text too
    row = page.locator(f"tr[data-document-id='{document_id}']")
    row.wait_for()
    assert "hostile<script>.pdf" in row.inner_text()
    assert page.evaluate("window.__pwned") is None


def test_the_eval_report_is_shown_when_there_is_one(
    page: Any, stack: ServingStack, eval_report: Path, tmp_path: Path
) -> None:
    page.goto(stack.api_url + "/#/eval")
    page.locator("#no-eval", has_text="no eval report").wait_for()

    truth, results = tmp_path / "truth", tmp_path / "results"
    truth.mkdir()
    results.mkdir()
    (truth / "a.json").write_text(
        json.dumps({"file": "a.pdf", "status": "COMPLETED", "chapters": [{"title": "A", "start_page": 1}]})
    )
    (results / "a.json").write_text(
        json.dumps(
            {
                "document_id": "a",
                "source": {"key": "incoming/a.pdf"},
                "status": "COMPLETED",
                "chapters": [{"title": "A", "start_page": 1}],
            }
        )
    )
    eval_report.write_text(evaluate(results, truth, label="offline").model_dump_json())

    page.goto(stack.api_url + "/")
    page.goto(stack.api_url + "/#/eval")
    table = page.locator("table.eval")
    table.wait_for()
    assert "chapter f1" in table.inner_text()
    assert "a.pdf" in table.inner_text()
    screenshot(page, "eval")


def test_drag_and_drop_uploads_several_files(page: Any, stack: ServingStack) -> None:
    page.goto(stack.api_url + "/")
    page.wait_for_selector("#documents-table")
    names = ["kubernetes-field-guide.pdf", "cloud-data-handbook.pdf"]
    files = [{"name": n, "data": list((SAMPLES / n).read_bytes())} for n in names]

    # When two PDFs are dropped on the zone (a real DataTransfer, as a drag from the desktop makes)
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                transfer.items.add(new File([new Uint8Array(f.data)], f.name, { type: "application/pdf" }));
            }
            return transfer;
        }""",
        files,
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})

    # Then both are uploaded and finish in the list
    for name in names:
        line = page.locator(f"#uploads li[data-file='{name}'][data-state=uploaded]")
        line.wait_for()
        document_id = line.get_attribute("data-document-id")
        page.locator(f"tr[data-document-id='{document_id}'][data-status=COMPLETED]").wait_for(
            timeout=RESULT_TIMEOUT_MS
        )
