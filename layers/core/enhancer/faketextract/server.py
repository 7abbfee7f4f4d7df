"""A fake Amazon Textract endpoint that speaks its wire format for the real boto3 client.

``DetectDocumentText`` over the JSON 1.1 protocol (``POST /``, ``X-Amz-Target: Textract.DetectDocumentText``,
``application/x-amz-json-1.1``): the image bytes arrive base64-encoded in ``Document.Bytes`` and are checked
as Textract checks them (PNG, JPEG or TIFF, at most 10 MB inline); the answer is ``DocumentMetadata`` and
``Blocks`` (one PAGE, a LINE per line, a WORD per word, with ``Confidence`` 0..100 and ``Geometry``
bounding boxes as page fractions). The text is really read from the image, by RapidOCR unless another
reader is given, so words sent are words returned. moto's Textract answers canned blocks only.

Faults come from a scripted per-request sequence: ``throttle`` (ThrottlingException),
``provisioned`` (ProvisionedThroughputExceededException), ``500`` (InternalServerError), ``bad_document``
(BadDocumentException), ``unsupported`` (UnsupportedDocumentException). ``requests`` reports what arrived;
credentials are never recorded.
"""

import base64
import contextlib
import io
import json
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from enhancer.httpserver import BackgroundHttpServer
from enhancer.ocr import OcrText, PageImage

Reader = Callable[[PageImage], OcrText]
ACTIONS = ("ok", "throttle", "provisioned", "500", "bad_document", "unsupported")
TARGET = "Textract.DetectDocumentText"
MAX_BYTES = 10 * 1024 * 1024
_ERRORS: dict[str, tuple[int, str]] = {
    "throttle": (400, "ThrottlingException"),
    "provisioned": (400, "ProvisionedThroughputExceededException"),
    "500": (500, "InternalServerError"),
    "bad_document": (400, "BadDocumentException"),
    "unsupported": (400, "UnsupportedDocumentException"),
}
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


@dataclass
class RecordedRequest:
    target: str
    image_bytes: int
    action: str


@dataclass
class _State:
    reader: Reader
    script: deque[str] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rapidocr_reader() -> Reader:
    from enhancer.ocr.rapid import RapidOcrEngine

    return RapidOcrEngine().read


class FakeTextractServer(BackgroundHttpServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, reader: Reader | None = None) -> None:
        self._state = _State(reader=reader or rapidocr_reader())
        handler = type("_BoundHandler", (_Handler,), {"state": self._state})
        super().__init__(host, port, handler, name="fake-textract")

    def script(self, *actions: str) -> None:
        """The next requests get these outcomes, in order; then every request is answered."""
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown actions {unknown}; choose from {ACTIONS}")
        with self._state.lock:
            self._state.script.extend(actions)

    def reset(self) -> None:
        with self._state.lock:
            self._state.script.clear()
            self._state.requests.clear()
            self._state.counts.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def stats(self) -> dict[str, Any]:
        with self._state.lock:
            return {"requests": len(self._state.requests), "by_action": dict(self._state.counts)}


class _Handler(BaseHTTPRequestHandler):
    state: _State
    protocol_version = "HTTP/1.1"
    server_version = "FakeTextract/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``requests`` instead of access logs."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        target = self.headers.get("x-amz-target", "")
        if target != TARGET:
            self._error(400, "UnknownOperationException", f"{target or 'no target'} is not served here")
            return
        if not self.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            self._error(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
            return
        try:
            body = json.loads(raw or b"{}")
            data = base64.b64decode(body["Document"]["Bytes"], validate=True)
        except (ValueError, KeyError, TypeError):
            self._error(400, "InvalidParameterException", "Request has invalid parameters")
            return
        with self.state.lock:
            action = self.state.script.popleft() if self.state.script else "ok"
            self.state.requests.append(RecordedRequest(target, len(data), action))
            self.state.counts[action] += 1
        if action in _ERRORS:
            status, code = _ERRORS[action]
            self._error(status, code, f"fake {code}")
            return
        if len(data) > MAX_BYTES:
            self._error(400, "DocumentTooLargeException", "S3 object size or document bytes exceeds limit")
            return
        if not data.startswith(_MAGIC):
            self._error(400, "UnsupportedDocumentException", "Request has unsupported document format")
            return
        try:
            image = _decode(data)
        except Exception:
            self._error(400, "BadDocumentException", "Unable to read the document")
            return
        self._json(200, _response(self.state.reader(image)))

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"__type": code, "message": message})

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("content-type", "application/x-amz-json-1.1")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-amzn-requestid", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(data)


def _decode(data: bytes) -> PageImage:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        gray = opened.convert("L")
    dpi = opened.info.get("dpi", (150, 150))[0]
    return PageImage(gray.width, gray.height, gray.width, gray.tobytes(), int(dpi or 150))


def _box(left: float, top: float, right: float, bottom: float) -> dict[str, Any]:
    return {
        "BoundingBox": {"Width": right - left, "Height": bottom - top, "Left": left, "Top": top},
        "Polygon": [
            {"X": left, "Y": top},
            {"X": right, "Y": top},
            {"X": right, "Y": bottom},
            {"X": left, "Y": bottom},
        ],
    }


def _response(read: OcrText) -> dict[str, Any]:
    """Textract's block graph: PAGE → LINE (CHILD) → WORD, boxes of words split evenly along the line."""
    page_id = str(uuid.uuid4())
    blocks: list[dict[str, Any]] = []
    line_ids = []
    for line in read.lines:
        line_id = str(uuid.uuid4())
        line_ids.append(line_id)
        left, top, right, bottom = line.box
        tokens = line.text.split()
        step = (right - left) / max(len(tokens), 1)
        words = [
            {
                "BlockType": "WORD",
                "Id": str(uuid.uuid4()),
                "Text": token,
                "TextType": "PRINTED",
                "Confidence": round(line.confidence * 100, 4),
                "Geometry": _box(left + i * step, top, left + (i + 1) * step, bottom),
            }
            for i, token in enumerate(tokens)
        ]
        blocks.append(
            {
                "BlockType": "LINE",
                "Id": line_id,
                "Text": line.text,
                "Confidence": round(line.confidence * 100, 4),
                "Geometry": _box(*line.box),
                "Relationships": [{"Type": "CHILD", "Ids": [w["Id"] for w in words]}] if words else [],
            }
        )
        blocks.extend(words)
    page = {
        "BlockType": "PAGE",
        "Id": page_id,
        "Geometry": _box(0.0, 0.0, 1.0, 1.0),
        "Relationships": [{"Type": "CHILD", "Ids": line_ids}] if line_ids else [],
    }
    return {
        "DocumentMetadata": {"Pages": 1},
        "Blocks": [page, *blocks],
        "DetectDocumentTextModelVersion": "1.0",
    }
