"""Amazon Textract ``DetectDocumentText``, synchronous, one rendered page per call.

Synchronous per page because the pages queue already splits a scan into page ranges worked in parallel:
each page is one request with its bytes inline (no S3 staging, no job to poll, no SNS topic), a page that
Textract refuses fails alone, and the range worker's time is bounded by its own pages. The asynchronous
``StartDocumentTextDetection`` would serialise a whole document into one job and need the result polled.
"""

from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from enhancer.errors import RetryableError
from enhancer.models import ErrorCode
from enhancer.ocr.engine import OcrError, OcrLine, OcrText, PageImage
from enhancer.ocr.render import png_bytes

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # DetectDocumentText's limit for inline bytes
# Refusals of this page's image: retrying cannot help, so the page fails and the others go on.
PAGE_ERRORS = frozenset(
    {
        "InvalidParameterException",
        "UnsupportedDocumentException",
        "BadDocumentException",
        "DocumentTooLargeException",
        "InvalidS3ObjectException",
    }
)


def textract_client() -> Any:
    """A Textract client with standard retries (throttling backs off; a first try and up to 5 retries);
    ``AWS_ENDPOINT_URL_TEXTRACT`` or ``AWS_ENDPOINT_URL`` point it at a fake server, as for every client."""
    import boto3

    return boto3.client(
        "textract",
        config=Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60),
    )


class TextractEngine:
    name = "textract"

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = textract_client()
        return self._client

    def read(self, image: PageImage) -> OcrText:
        data = png_bytes(image)
        if len(data) > MAX_IMAGE_BYTES:
            raise OcrError(f"page image is {len(data)} bytes; Textract takes at most {MAX_IMAGE_BYTES}")
        try:
            response = self.client.detect_document_text(Document={"Bytes": data})
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = exc.response.get("Error", {}).get("Message", "")
            if code in PAGE_ERRORS:
                raise OcrError(f"Textract refused the page: {code}: {message}") from exc
            raise RetryableError(f"Textract failed: {code}: {message}", code=ErrorCode.INTERNAL) from exc
        except BotoCoreError as exc:
            raise RetryableError(f"Textract unreachable: {exc}", code=ErrorCode.INTERNAL) from exc
        return parse_blocks(response.get("Blocks") or [])


def parse_blocks(blocks: list[dict[str, Any]]) -> OcrText:
    """LINE blocks as lines; Textract's confidence is 0..100 and its boxes are page fractions already."""
    lines = []
    for block in blocks:
        if block.get("BlockType") != "LINE" or not block.get("Text"):
            continue
        box = (block.get("Geometry") or {}).get("BoundingBox") or {}
        left, top = float(box.get("Left", 0.0)), float(box.get("Top", 0.0))
        lines.append(
            OcrLine(
                text=str(block["Text"]),
                confidence=min(max(float(block.get("Confidence", 0.0)) / 100, 0.0), 1.0),
                box=(left, top, left + float(box.get("Width", 0.0)), top + float(box.get("Height", 0.0))),
            )
        )
    return OcrText(lines=lines)
