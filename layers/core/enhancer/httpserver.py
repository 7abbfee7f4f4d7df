"""The lifecycle every local HTTP server of the project shares (the API and console servers, the fake
providers, the fault proxy): bound when built, so ``url`` is known before ``start``; served on a daemon
thread, a thread per request; stopped, closed and joined by ``stop`` or on leaving a ``with`` block."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

STOP_JOIN_S = 5.0


class BackgroundHttpServer:
    """``handler`` served on ``host:port`` (port 0: a free one) from a daemon thread named ``name``."""

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe before ``start`` (``shutdown`` alone would then wait
        forever for a loop that never ran)."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=STOP_JOIN_S)
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
