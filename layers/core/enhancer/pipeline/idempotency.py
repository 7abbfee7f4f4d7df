"""Powertools idempotency around the steps a retry could repeat (extraction, one chapter's enrichment).

A completed run is remembered in the idempotency table, so a duplicate delivery returns the stored outcome
without redoing the work; a failed run leaves no record, so SQS's retry runs it again. One persistence layer
per step (key prefix), because Powertools keeps the prefix on the layer and handlers may run in threads.
"""

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

EXPIRES_AFTER_S = 6 * 3600


_layers: dict[tuple[str, str, str | None], DynamoDBPersistenceLayer] = {}
_layers_lock = threading.Lock()


def _persistence(table_name: str, key_prefix: str) -> DynamoDBPersistenceLayer:
    """The step's layer, built once per process (and endpoint) under a lock: the records of a batch run in
    threads, and each one building its own would cost a boto3 session, whose service models are loaded from
    disk anew, per thread. The client comes from the default session, whose models are already loaded."""
    key = (table_name, key_prefix, os.environ.get("AWS_ENDPOINT_URL"))
    with _layers_lock:
        if key not in _layers:
            _layers[key] = DynamoDBPersistenceLayer(
                table_name=table_name, boto3_client=boto3.client("dynamodb")
            )
        return _layers[key]


def run_once(
    step: str,
    key: dict[str, Any],
    work: Callable[[], dict[str, Any]],
    *,
    table_name: str,
    context: LambdaContext | None = None,
) -> dict[str, Any]:
    """``work()`` at most once to completion per ``key`` (JSON-able) within the expiry window.

    Without a table (e.g. a library caller with no AWS) it simply runs ``work()``."""
    if not table_name:
        return work()
    config = IdempotencyConfig(expires_after_seconds=EXPIRES_AFTER_S)
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(
        data_keyword_argument="key",
        persistence_store=_persistence(table_name, step),
        config=config,
        key_prefix=step,
    )
    def _once(key: dict[str, Any]) -> dict[str, Any]:
        return work()

    result: dict[str, Any] = _once(key=key)
    return result


def clear_idempotency_cache() -> None:
    with _layers_lock:
        _layers.clear()
