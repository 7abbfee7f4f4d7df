"""An upload named REPORT.PDF or x.Pdf is a document like report.pdf: the S3 notification has one rule per
spelling of the suffix (S3 filters are case-sensitive), locally as in the CDK stack."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from enhancer.local.provision import provision
from enhancer.local.session import RunOptions, run_local
from enhancer.pipeline.ids import decode_key
from enhancer.resources import PDF_KEY_SUFFIXES

pytestmark = pytest.mark.integration
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _notified_keys(sqs: Any, queue_url: str) -> set[str]:
    keys: set[str] = set()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return keys
        for message in messages:
            body = json.loads(message["Body"])
            keys.update(decode_key(r["s3"]["object"]["key"]) for r in body.get("Records", []))


def test_every_spelling_of_pdf_under_incoming_notifies_ingest_and_nothing_else(aws_endpoint: str) -> None:
    env = provision("casetest")
    s3 = boto3.client("s3")
    keys = [f"incoming/{i}/report{suffix}" for i, suffix in enumerate(PDF_KEY_SUFFIXES)]
    ignored = ["incoming/notes.txt", "incoming/report.pdf.bak", "elsewhere/report.PDF"]
    for key in keys + ignored:
        s3.put_object(Bucket=env["INPUT_BUCKET"], Key=key, Body=b"%PDF-1.4")

    assert _notified_keys(boto3.client("sqs"), env["INGEST_QUEUE_URL"]) == set(keys)


def test_run_processes_an_upper_case_pdf_to_completion(tmp_path: Path, aws_endpoint: str) -> None:
    if not (SAMPLES / "annual-report.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "REPORT.PDF").write_bytes((SAMPLES / "annual-report.pdf").read_bytes())
    (folder / "Guide.Pdf").write_bytes((SAMPLES / "kubernetes-field-guide.pdf").read_bytes())

    summaries = run_local(
        [folder], RunOptions(out_dir=tmp_path / "out", endpoint_url=aws_endpoint, stage="case")
    )

    assert sorted((Path(s.file).name, s.status) for s in summaries) == [
        ("Guide.Pdf", "COMPLETED"),
        ("REPORT.PDF", "COMPLETED"),
    ]
