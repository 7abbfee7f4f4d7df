"""A local run through the fault proxy: bursts of 500s on 5 % of the S3, SQS and DynamoDB requests (up to
eight requests long, so many outlast the SDK's retries), several seeds. Transient faults must never fail a
document that a clean run completes: every document ends terminal with a result file, every good document
COMPLETED, and ``run`` reports it as usual.

Exempt from faults: creating the stack (provisioning) and the user's own uploads, which a person would
simply retry; everything the handlers, the event-source pollers and the run's progress watch do is hit.
"""

import json
import shutil
from pathlib import Path

import pytest

from enhancer.local.emulator import EmbeddedAws
from enhancer.local.faults import BurstPlan, FaultProxy, Request
from enhancer.local.session import RunOptions, run_local
from enhancer.resources import INCOMING_PREFIX
from tests.reliability.harness import LARGE, MARKS, SAMPLES, clear_caches, sized

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


@pytest.mark.skipif(
    not LARGE,
    reason="make soak only until a known failure is fixed: under heavy machine load seed 1 once ended "
    "research-paper.pdf FAILED after injected DynamoDB faults (see the README)",
)
@pytest.mark.parametrize("seed", range(sized(2, 6)))
def test_bursts_of_aws_faults_never_fail_a_good_document(
    embedded_aws: EmbeddedAws, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (SAMPLES / "kubernetes-field-guide.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    for name in GOOD_SAMPLES:
        shutil.copy(SAMPLES / name, pdfs / name)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("CACHE_ENABLED", "false")
    plan = BurstPlan(rate=0.05, seed=seed, max_burst=8, exempt=_exempt)
    with FaultProxy(embedded_aws.endpoint_url, plan) as proxy:
        clear_caches()
        # When the whole run goes through the proxy
        summaries = run_local(
            [pdfs],
            RunOptions(
                out_dir=tmp_path / "out", endpoint_url=proxy.url, stage=f"faults{seed}", provider="offline"
            ),
        )
    clear_caches()
    # Then faults were really injected, and every document completed with its result file
    assert plan.failed_requests > 0
    assert any(length >= 3 for length in plan.bursts), plan.bursts  # some outlast the SDK's 3 attempts
    statuses = {Path(s.file).name: s.status for s in summaries}
    errors = {
        Path(s.file).name: {
            k: v for k, v in json.loads(Path(s.result_file).read_text()).items() if k.startswith("error")
        }
        for s in summaries
        if s.status != "COMPLETED" and s.result_file
    }
    assert statuses == dict.fromkeys(GOOD_SAMPLES, "COMPLETED"), (statuses, errors)
    for summary in summaries:
        assert summary.result_file
        assert json.loads(Path(summary.result_file).read_text())["status"] == "COMPLETED"
    print(
        f"seed {seed}: {plan.requests} requests, {plan.failed_requests} failed in {len(plan.bursts)} bursts "
        f"(longest {max(plan.bursts)}), {'soak' if LARGE else 'small'}"
    )
