"""Screenshots of the console's main pages for the README (``docs/screenshots/*.png``).

Starts the embedded stack like ``doc-enhancer serve``, uploads the samples through the API, scores them with
``doc-enhancer eval`` against ``samples/truth`` (the Eval page), puts one message in a DLQ (the Operations
page), and photographs each page in Debian's Chromium.

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots]
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests
from playwright.sync_api import sync_playwright

from enhancer.eval import evaluate
from enhancer.local.server import ServeOptions, serve_stack

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    executable = shutil.which("chromium") or sys.exit("no chromium on PATH (apt-get install -y chromium)")
    work = Path(tempfile.mkdtemp(prefix="console-shots-"))
    report = work / "eval-report.json"
    with serve_stack(
        ServeOptions(port=0, provider="offline", extra_env={"EVAL_REPORT": str(report)})
    ) as stack:
        api = stack.api_url
        ids = {}
        for pdf in sorted((REPO / "samples").glob("*.pdf")):
            ticket = requests.post(f"{api}/documents", json={"filename": pdf.name}, timeout=10).json()
            requests.put(
                ticket["upload_url"], data=pdf.read_bytes(), headers=ticket["upload_headers"], timeout=30
            )
            ids[pdf.name] = ticket["document_id"]
        results = work / "results"
        results.mkdir()
        for name, document_id in ids.items():
            for _ in range(600):
                view = requests.get(f"{api}/documents/{document_id}", timeout=10)
                if view.ok and view.json()["status"] in ("COMPLETED", "PARTIAL", "FAILED"):
                    break
                time.sleep(0.5)
            result = requests.get(f"{api}/documents/{document_id}/result", timeout=10)
            (results / f"{Path(name).stem}.json").write_text(result.text)
        report.write_text(evaluate(results, REPO / "samples" / "truth", label="offline").model_dump_json())
        sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
        dlq = sqs.get_queue_url(QueueName="doc-enhancer-local-validate-dlq")["QueueUrl"]
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"document_id": ids["annual-report.pdf"]}))

        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(api + "/")
            page.locator("tr[data-status=COMPLETED]").nth(3).wait_for()
            page.screenshot(path=str(args.out / "documents.png"))
            page.goto(api + f"/#/documents/{ids['cloud-data-handbook.pdf']}")
            page.wait_for_selector("#chapters")
            page.locator("details.chapter").nth(1).locator("summary").click()
            page.screenshot(path=str(args.out / "document.png"), full_page=True)
            page.goto(api + "/#/operations")
            page.locator("tr[data-queue=validate][data-dead-letters='1']").wait_for()
            page.screenshot(path=str(args.out / "operations.png"), full_page=True)
            page.goto(api + "/#/eval")
            page.wait_for_selector("table.eval")
            page.screenshot(path=str(args.out / "eval.png"), full_page=True)
            browser.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
