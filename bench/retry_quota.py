"""Retry quota: how long one botocore client keeps retrying under the fault proxy's bursts.

    python bench/retry_quota.py [--rates 0.02,0.03,0.05] [--calls 1500] [--seed 0]

botocore's standard retry mode (the default) gives each client a retry quota: 500 tokens, 5 taken per retry,
given back when the retry succeeds, 1 added per call that needed none. When the quota is spent the client
stops retrying, and every failed request fails its call. One client sends ``--calls`` GetItems to the
embedded moto through ``FaultProxy`` with ``BurstPlan`` at each rate (bursts of 1 to 8 failing requests,
as in ``tests/reliability/test_reliability_aws_faults.py``); reported per block of calls: the calls that
failed after their retries and those that failed with none (the quota was dry). Not part of ``make bench``:
it measures the SDK, which explains the fault tests' two strengths (README, Reliability).
"""

import argparse
import os

import boto3
from botocore.exceptions import ClientError

from enhancer.local.emulator import EmbeddedAws
from enhancer.local.faults import BurstPlan, FaultProxy
from enhancer.local.session import FAKE_CREDENTIALS

BLOCK = 250


def run(endpoint_url: str, rate: float, calls: int, seed: int) -> None:
    plan = BurstPlan(rate=rate, seed=seed, max_burst=8)
    with FaultProxy(endpoint_url, plan) as proxy:
        client = boto3.client("dynamodb", endpoint_url=proxy.url)
        after_retries = without_retry = 0
        for number in range(1, calls + 1):
            try:
                client.get_item(TableName="quota", Key={"k": {"S": "a"}})
            except ClientError as exc:
                if exc.response["ResponseMetadata"].get("RetryAttempts", 0):
                    after_retries += 1
                else:
                    without_retry += 1
            if number % BLOCK == 0:
                print(
                    f"rate {rate:.0%}: calls {number - BLOCK + 1}-{number}: "
                    f"{after_retries} failed after their retries, {without_retry} with no retry (quota dry)"
                )
                after_retries = without_retry = 0
    print(f"rate {rate:.0%}: {plan.failed_requests} of {plan.requests} requests failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="0.02,0.03,0.05", help="burst start rates, comma-separated")
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.update(FAKE_CREDENTIALS, AWS_RETRY_MODE="standard")
    with EmbeddedAws() as aws:
        boto3.client("dynamodb", endpoint_url=aws.endpoint_url).create_table(
            TableName="quota",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for rate in (float(r) for r in args.rates.split(",")):
            run(aws.endpoint_url, rate, args.calls, args.seed)


if __name__ == "__main__":
    main()
