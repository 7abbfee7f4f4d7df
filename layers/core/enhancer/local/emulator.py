"""The embedded AWS emulation: moto's server on 127.0.0.1, on a free port, in this process, with presigned
URLs checked as S3 checks them (``enhancer.local.presigned``)."""

import json
import urllib.request
from types import TracebackType
from typing import Self


class EmbeddedAws:
    """Start moto's HTTP server; boto3 talks to it like to AWS, through ``endpoint_url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from enhancer.local.presigned import guarded_moto_server

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
