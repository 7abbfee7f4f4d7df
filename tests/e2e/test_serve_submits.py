"""``doc-enhancer serve PATH…`` submits the PDFs once the stack is up, and the console shows them."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "doc-enhancer"


def test_serve_submits_the_pdfs_it_is_given() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    server = subprocess.Popen(
        [str(CLI), "serve", str(REPO / "samples" / "research-paper.pdf"), "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stderr is not None
        api = None
        for line in server.stderr:  # bounded by the submitted line below
            found = re.match(r"API\s+(http://\S+)", line)
            api = api or (found.group(1) if found else None)
            if line.startswith("submitted"):
                break
        assert api, "serve printed no API URL"
        assert requests.get(f"{api}/", timeout=10).text.startswith("<!doctype html>")
        for _ in range(480):  # bounds a hung pipeline; not a timing assertion
            items = requests.get(f"{api}/documents", timeout=10).json()["items"]
            if items and items[0]["status"] == "COMPLETED":
                break
            time.sleep(0.25)
        assert [i["source_key"].rsplit("/", 1)[-1] for i in items] == ["research-paper.pdf"]
        assert items[0]["status"] == "COMPLETED"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
