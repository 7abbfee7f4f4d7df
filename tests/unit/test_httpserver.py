"""The shared lifecycle of the local HTTP servers: serving inside ``with``, the port released after it."""

import threading
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from enhancer.httpserver import BackgroundHttpServer


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_serves_inside_with_and_releases_the_port_after() -> None:
    with BackgroundHttpServer("127.0.0.1", 0, _Hello, name="hello") as server:
        assert requests.get(server.url, timeout=5).text == "hello"
        url = server.url

    assert not any(thread.name == "hello" for thread in threading.enumerate())
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_stop_before_start_returns_and_closes_the_socket() -> None:
    # socketserver's shutdown() alone would wait forever for a serve loop that never ran.
    server = BackgroundHttpServer("127.0.0.1", 0, _Hello, name="never-started")
    done = threading.Event()
    stopper = threading.Thread(target=lambda: (server.stop(), done.set()), daemon=True)
    stopper.start()

    assert done.wait(10)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url, timeout=5)
