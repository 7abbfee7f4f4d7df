"""``doc-enhancer run`` when not every document finishes: stalled or interrupted with Ctrl-C, it still leaves
the result of every document that did finish, and says which did not."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from enhancer.local.emulator import EmbeddedAws
from enhancer.local.provision import bucket_name, provision
from enhancer.models import DocumentRecord, DocumentStatus
from enhancer.pipeline.ids import document_id_for
from enhancer.resources import INCOMING_PREFIX
from enhancer.storage import DocumentStore
from enhancer.storage.documents import utcnow
from tests.unit.pdf.pdf_builders import raw_pdf, text_page

pytestmark = pytest.mark.e2e
CLI = Path(sys.executable).parent / "doc-enhancer"
STAGE = "local"  # what `run` provisions


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server of our own, so the test can prepare it before `run --endpoint-url` uses it."""
    with EmbeddedAws() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
        yield server.endpoint_url


def _pdf(title: str) -> bytes:
    pages = [
        text_page(
            f"Chapter {n}: {title} part {n}", *[f"{title} text line {i} of chapter {n}." for i in range(12)]
        )
        for n in (1, 2)
    ]
    return raw_pdf(pages)


@pytest.fixture
def inputs(tmp_path: Path, aws: str) -> Path:
    """good.pdf processes normally; stuck.pdf is already known as a document VALIDATING with nothing queued
    for it (as after a lost message), so its new upload is a duplicate that never moves it on."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(_pdf("Good"))
    stuck = _pdf("Stuck")
    (folder / "stuck.pdf").write_bytes(stuck)
    resources = provision(STAGE)
    bucket, key = bucket_name(STAGE, "input"), f"{INCOMING_PREFIX}stuck.pdf"
    now = utcnow()
    DocumentStore(resources["DOCUMENTS_TABLE"]).create_if_absent(
        DocumentRecord(
            document_id=document_id_for(bucket, key, hashlib.md5(stuck).hexdigest()),  # noqa: S324 - S3's ETag
            status=DocumentStatus.VALIDATING,
            profile="default",
            source_bucket=bucket,
            source_key=key,
            created_at=now,
            updated_at=now,
        )
    )
    return folder


def _command(inputs: Path, out: Path, aws: str, *extra: str) -> list[str]:
    return [str(CLI), "run", str(inputs), "--out", str(out), "--endpoint-url", aws, *extra]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}


def test_a_stalled_run_keeps_the_finished_results_and_says_what_did_not_finish(
    inputs: Path, tmp_path: Path, aws: str
) -> None:
    out = tmp_path / "out"

    done = subprocess.run(
        _command(inputs, out, aws, "--json", "--stall-timeout", "10"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )

    # Then exit 1 for the stall, the finished document's result is on disk, and both are summarised
    assert done.returncode == 1, done.stderr
    assert "no progress for 10 s" in done.stderr
    assert json.loads((out / "good.json").read_text())["status"] == "COMPLETED"
    assert not (out / "stuck.json").exists()
    summaries = {Path(s["file"]).name: s for s in json.loads(done.stdout)}
    assert summaries["good.pdf"]["status"] == "COMPLETED"
    assert summaries["good.pdf"]["result_file"] == str(out / "good.json")
    assert (summaries["stuck.pdf"]["status"], summaries["stuck.pdf"]["result_file"]) == ("VALIDATING", None)
    assert "1 of 2 document(s) finished" in done.stderr
    assert "not finished: stuck.pdf (VALIDATING" in done.stderr


def test_ctrl_c_keeps_the_results_written_so_far_and_exits_130(
    inputs: Path, tmp_path: Path, aws: str
) -> None:
    out = tmp_path / "out"
    run = subprocess.Popen(
        _command(inputs, out, aws), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # When the first document's result appears (written the moment it finished, while the run goes on)
        deadline = time.monotonic() + 300  # bounds a hung run; not a timing assertion
        while not (out / "good.json").exists():
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "good.json was never written while the run was going on"
            time.sleep(0.2)
        # and the user presses Ctrl-C
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()

    # Then exit 130, the finished result is intact, and the summary names what did not finish
    assert run.returncode == 130, stderr
    assert json.loads((out / "good.json").read_text())["status"] == "COMPLETED"
    assert "interrupted" in stderr
    assert "not finished: stuck.pdf (VALIDATING" in stderr
    assert "good.pdf" in stdout  # the summary table


def test_with_a_short_maximum_time_the_sweeper_ends_the_stuck_document_timed_out(
    inputs: Path, tmp_path: Path, aws: str
) -> None:
    out = tmp_path / "out"

    # When the steps' maximum time is 5 s (SWEEP_STALE_AFTER_S) instead of the queues' retry window (and
    # a stall stops the run after 60 s, so that a run that never ends fails with its stderr, not a timeout)
    done = subprocess.run(
        _command(inputs, out, aws, "--json", "--stall-timeout", "60"),
        env={**_env(), "SWEEP_STALE_AFTER_S": "5"},
        capture_output=True,
        text=True,
        timeout=600,
    )

    # Then the stuck document ends FAILED / TIMED_OUT once nothing is queued, and the run finishes (exit 3)
    assert done.returncode == 3, done.stderr
    stuck = json.loads((out / "stuck.json").read_text())
    assert (stuck["status"], stuck["error_code"]) == ("FAILED", "TIMED_OUT")
    assert "no progress in VALIDATING" in stuck["error_message"]
    assert json.loads((out / "good.json").read_text())["status"] == "COMPLETED"
