"""Create the resources of ``enhancer.resources`` on an AWS-compatible endpoint (the embedded emulation,
LocalStack, a moto server), and return the environment the handlers read.

Everything comes from the declarative description the CDK stack also reads: names, DLQs and their
``maxReceiveCount``, batch sizes, table keys, GSIs and TTL. Only the queues' visibility timeout may be
overridden, so local retries take seconds instead of the production minutes.
"""

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from enhancer.resources import (
    BUCKETS,
    INCOMING_PREFIX,
    PDF_KEY_SUFFIXES,
    QUEUES,
    TABLES,
    dlq_name,
    resource_name,
)

ENV_STAGE = "STAGE"


def bucket_name(stage: str, key: str) -> str:
    """Bucket names are global on AWS (the stack adds the account); locally stage and key are enough."""
    return resource_name(stage, key)


def provision(stage: str, *, visibility_timeout_s: int | None = None) -> dict[str, str]:
    """Idempotent: existing resources are kept. Returns env var name → value (bucket names, queue URLs,
    table names) for the handlers."""
    s3: Any = boto3.client("s3")
    sqs: Any = boto3.client("sqs")
    ddb: Any = boto3.client("dynamodb")
    env: dict[str, str] = {ENV_STAGE: stage}
    for bucket in BUCKETS:
        name = bucket_name(stage, bucket.key)
        try:
            s3.create_bucket(Bucket=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        env[bucket.env_var] = name
    queue_arns: dict[str, str] = {}
    for spec in QUEUES:
        dlq_url = sqs.create_queue(QueueName=dlq_name(stage, spec.key))["QueueUrl"]
        dlq_arn = _queue_arn(sqs, dlq_url)
        attributes = {
            "VisibilityTimeout": str(visibility_timeout_s or spec.visibility_timeout_s),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}
            ),
        }
        url = sqs.create_queue(QueueName=resource_name(stage, spec.key))["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        queue_arns[spec.key] = _queue_arn(sqs, url)
        env[spec.env_var] = url
    for table in TABLES:
        name = resource_name(stage, table.key)
        _create_table(ddb, name, table)
        env[table.env_var] = name
    s3.put_bucket_notification_configuration(
        Bucket=env["INPUT_BUCKET"],
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": f"ingest-{suffix}",
                    "QueueArn": queue_arns["ingest"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": INCOMING_PREFIX},
                                {"Name": "suffix", "Value": suffix},
                            ]
                        }
                    },
                }
                for suffix in PDF_KEY_SUFFIXES
            ]
        },
    )
    return env


def dead_letter_queue_urls(stage: str) -> dict[str, str]:
    sqs: Any = boto3.client("sqs")
    return {spec.key: sqs.get_queue_url(QueueName=dlq_name(stage, spec.key))["QueueUrl"] for spec in QUEUES}


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _create_table(ddb: Any, name: str, table: Any) -> None:
    attributes = {table.partition_key: "S"}
    keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        attributes[table.sort_key] = "S"
        keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    gsis = []
    for gsi in table.gsis:
        attributes[gsi.partition_key] = "S"
        gsi_keys = [{"AttributeName": gsi.partition_key, "KeyType": "HASH"}]
        if gsi.sort_key:
            attributes[gsi.sort_key] = "S"
            gsi_keys.append({"AttributeName": gsi.sort_key, "KeyType": "RANGE"})
        gsis.append({"IndexName": gsi.name, "KeySchema": gsi_keys, "Projection": {"ProjectionType": "ALL"}})
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": t} for k, t in attributes.items()],
        "KeySchema": keys,
        "BillingMode": "PAY_PER_REQUEST",
    }
    if gsis:
        kwargs["GlobalSecondaryIndexes"] = gsis
    try:
        ddb.create_table(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    if table.ttl_attribute:
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
        )
