"""Data access: one small class per AWS service, created by cached factories.

The factories are keyed on ``AWS_ENDPOINT_URL`` as well as the resource name, so a process that switches
endpoints (tests, the local runtime) never reuses a client pointed at the old one.
"""

import os
from functools import lru_cache

from enhancer.storage.documents import DocumentStore
from enhancer.storage.objects import ObjectInfo, ObjectNotFound, ObjectStore
from enhancer.storage.queues import QueueClient


@lru_cache(maxsize=16)
def _document_store(table_name: str, _endpoint: str | None) -> DocumentStore:
    return DocumentStore(table_name)


@lru_cache(maxsize=4)
def _object_store(_endpoint: str | None) -> ObjectStore:
    return ObjectStore()


@lru_cache(maxsize=4)
def _queue_client(_endpoint: str | None) -> QueueClient:
    return QueueClient()


def document_store(table_name: str) -> DocumentStore:
    return _document_store(table_name, os.environ.get("AWS_ENDPOINT_URL"))


def object_store() -> ObjectStore:
    return _object_store(os.environ.get("AWS_ENDPOINT_URL"))


def queue_client() -> QueueClient:
    return _queue_client(os.environ.get("AWS_ENDPOINT_URL"))


def clear_clients() -> None:
    """Forget every cached client (tests switching between in-process moto and a server)."""
    _document_store.cache_clear()
    _object_store.cache_clear()
    _queue_client.cache_clear()


__all__ = [
    "DocumentStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "QueueClient",
    "clear_clients",
    "document_store",
    "object_store",
    "queue_client",
]
