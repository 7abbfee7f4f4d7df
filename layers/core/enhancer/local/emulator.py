"""The embedded AWS emulation: moto's server on 127.0.0.1, on a free port, in this process, with presigned
URLs checked as S3 checks them (``enhancer.local.presigned``)."""

import json
import threading
import urllib.request
from types import TracebackType
from typing import Any, Self

_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_serialised = threading.Lock()


def serialise_dynamodb_writes() -> None:
    """Give moto DynamoDB's one-at-a-time writes to an item. moto applies a conditional write as read, check,
    write without a lock, so two threads can both pass ``attribute_not_exists`` or both add to the same old
    set, which DynamoDB never allows; the fan-ins and the rate limiter rely on it. One lock for every write
    of this process's moto (in-process ``mock_aws`` and the embedded server alike); idempotent."""
    from moto.dynamodb.models import DynamoDBBackend

    with _serialised:
        if getattr(DynamoDBBackend, "_writes_serialised", False):
            return
        lock = threading.RLock()
        for name in _DYNAMODB_WRITES:
            original = getattr(DynamoDBBackend, name)

            def serialised(
                self: DynamoDBBackend, *args: Any, _original: Any = original, **kwargs: Any
            ) -> Any:
                with lock:
                    return _original(self, *args, **kwargs)

            setattr(DynamoDBBackend, name, serialised)
        DynamoDBBackend._writes_serialised = True  # type: ignore[attr-defined]


class EmbeddedAws:
    """Start moto's HTTP server; boto3 talks to it like to AWS, through ``endpoint_url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from enhancer.local.presigned import guarded_moto_server

        serialise_dynamodb_writes()
        # moto behind S3's presigned-URL checks (signed Content-Type, size, key; expiry): moto skips them.
        self._server = guarded_moto_server(host, port)
        self.endpoint_url = ""

    def start(self) -> Self:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def reset(self) -> None:
        """Drop every resource (moto's reset API): a clean account for the next test."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST", data=b"")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
            json.loads(response.read() or b"{}")

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
