"""A local run through the fault proxy: bursts of 500s (up to eight requests long, so many outlast the SDK's
retries) on the S3, SQS and DynamoDB requests, several seeds, at two strengths.

- Bursts starting on 2 % of the requests (about 8 % of them fail): transient faults must never fail a
  document that a clean run completes. Every document ends COMPLETED with its result file.
- A storm, bursts on 5 % (about 20 % fail): botocore's standard retry mode stops retrying a client once
  its retry quota is spent (500 tokens, 5 per retry; measured through this proxy: a client's quota is gone
  after ~250 calls at 5 %, and holds at 2 %), so every fault then fails its call, and a document may run out
  of receives. It must still end somewhere documented: terminal, with its result file, its failures named by
  error codes.

Exempt from faults: creating the stack (provisioning) and the user's own uploads, which a person would
simply retry; everything the handlers, the event-source pollers and the run's progress watch do is hit.
"""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from enhancer.local.emulator import EmbeddedAws
from enhancer.local.faults import BurstPlan, FaultProxy, Request
from enhancer.local.session import DocumentSummary, RunOptions, run_local
from enhancer.resources import INCOMING_PREFIX
from tests.reliability.harness import DOCUMENT_CODES, LARGE, MARKS, SAMPLES, TERMINAL, clear_caches, sized

pytestmark = MARKS

GOOD_SAMPLES = (
    "annual-report.pdf",
    "cloud-data-handbook.pdf",
    "kubernetes-field-guide.pdf",
    "research-paper.pdf",
)


def _exempt(request: Request) -> bool:
    if request.target.startswith(("DynamoDB_20120810.CreateTable", "DynamoDB_20120810.DescribeTable")):
        return True
    if request.target.startswith(
        ("AmazonSQS.CreateQueue", "AmazonSQS.GetQueueAttributes", "AmazonSQS.SetQueue")
    ):
        return True
    if "DynamoDB_20120810.UpdateTimeToLive" in request.target:
        return True
    path = request.path.split("?", 1)[0]
    if not request.target and request.method == "PUT" and f"/{INCOMING_PREFIX}" in path:
        return True  # the user's upload
    # CreateBucket / PutBucketNotificationConfiguration
    return not request.target and request.method == "PUT" and path.count("/") == 1


def _run_through_faults(
    embedded_aws: EmbeddedAws, tmp_path: Path, plan: BurstPlan, monkeypatch: pytest.MonkeyPatch
) -> list[DocumentSummary]:
    if not (SAMPLES / "kubernetes-field-guide.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    for name in GOOD_SAMPLES:
        shutil.copy(SAMPLES / name, pdfs / name)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("CACHE_ENABLED", "false")
    with FaultProxy(embedded_aws.endpoint_url, plan) as proxy:
        clear_caches()
        summaries = run_local(
            [pdfs],
            RunOptions(
                out_dir=tmp_path / "out",
                endpoint_url=proxy.url,
                stage=f"faults{plan.seed}",
                provider="offline",
                time_scale=0.1,  # Lambda's limits at a tenth: retries come back in seconds
            ),
        )
    clear_caches()
    assert plan.failed_requests > 0
    assert any(length >= 3 for length in plan.bursts), plan.bursts  # some outlast the SDK's 3 attempts
    print(
        f"rate {plan.rate}, seed {plan.seed}: {plan.requests} requests, {plan.failed_requests} failed in "
        f"{len(plan.bursts)} bursts (longest {max(plan.bursts)}), {'soak' if LARGE else 'small'}; "
        + ", ".join(f"{Path(s.file).name} {s.status}" for s in summaries)
    )
    return summaries


def _results(summaries: list[DocumentSummary]) -> dict[str, dict[str, Any]]:
    return {
        Path(s.file).name: json.loads(Path(s.result_file).read_text()) for s in summaries if s.result_file
    }


@pytest.mark.parametrize("seed", range(sized(2, 6)))
def test_bursts_of_aws_faults_never_fail_a_good_document(
    embedded_aws: EmbeddedAws, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When the whole run goes through the proxy, bursts starting on 2 % of the requests
    plan = BurstPlan(rate=0.02, seed=seed, max_burst=8, exempt=_exempt)
    summaries = _run_through_faults(embedded_aws, tmp_path, plan, monkeypatch)
    # Then every document completed with its result file
    statuses = {Path(s.file).name: s.status for s in summaries}
    results = _results(summaries)
    errors = {
        name: {k: v for k, v in result.items() if k.startswith("error")}
        for name, result in results.items()
        if result["status"] != "COMPLETED"
    }
    assert statuses == dict.fromkeys(GOOD_SAMPLES, "COMPLETED"), (statuses, errors)
    assert {name: r["status"] for name, r in results.items()} == statuses


@pytest.mark.parametrize("seed", range(sized(1, 4)))
def test_a_storm_past_the_sdks_retry_quota_still_ends_every_document_documented(
    embedded_aws: EmbeddedAws, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When bursts start on 5 % of the requests (the clients' retry quotas run dry)
    plan = BurstPlan(rate=0.05, seed=100 + seed, max_burst=8, exempt=_exempt)
    summaries = _run_through_faults(embedded_aws, tmp_path, plan, monkeypatch)
    # Then every document still ended terminal with its result file, and what failed says why
    results = _results(summaries)
    assert sorted(results) == sorted(GOOD_SAMPLES)
    for name, result in results.items():
        assert result["status"] in TERMINAL, (name, result["status"])
        if result["status"] == "FAILED":
            assert result["error_code"] in DOCUMENT_CODES, (name, result)
            assert result["error_message"], (name, result)
        if result["status"] == "PARTIAL":
            failed = [c["error"] for c in result["chapters"] if c.get("error")]
            assert failed, (name, result)
            assert all(e["code"] in DOCUMENT_CODES for e in failed), (name, failed)
            assert all(e["message"] for e in failed), (name, failed)
