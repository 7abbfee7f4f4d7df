"""RapidOCR on ONNX Runtime: PP-OCR detection, orientation and recognition models shipped in its wheel, so
it runs offline (no model download, nothing written next to the package)."""

import threading
from typing import Any

from enhancer.ocr.engine import OcrError, OcrLine, OcrText, PageImage

# Lines the recogniser is less sure of than this are dropped (RapidOCR's own default is 0.5).
MIN_LINE_SCORE = 0.5


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, threads: int = 0) -> None:
        self._threads = threads
        self._ocr: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The RapidOCR object, its three models loaded on first use (about a second)."""
        if self._ocr is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:  # the OCR dependencies are an extra (and a layer of their own)
                raise OcrError("RapidOCR is not installed (the 'ocr' extra of the package)") from exc
            params: dict[str, Any] = {"Global.log_level": "error", "Global.text_score": MIN_LINE_SCORE}
            if self._threads > 0:
                params["EngineConfig.onnxruntime.intra_op_num_threads"] = self._threads
            self._ocr = RapidOCR(params=params)
        return self._ocr

    def read(self, image: PageImage) -> OcrText:
        import numpy as np

        pixels = np.frombuffer(image.pixels, dtype=np.uint8).reshape(image.height, image.stride)
        pixels = np.ascontiguousarray(pixels[:, : image.width])
        # One page at a time per process: the engine object keeps per-call state.
        with self._lock:
            ocr = self.load()
            try:
                output = ocr(pixels)
            except Exception as exc:
                raise OcrError(f"RapidOCR failed on the page: {exc}") from exc
        if output.boxes is None or not output.txts:
            return OcrText(lines=[])
        lines = []
        for box, text, score in zip(output.boxes, output.txts, output.scores or (), strict=False):
            xs = [float(point[0]) for point in box]
            ys = [float(point[1]) for point in box]
            lines.append(
                OcrLine(
                    text=str(text),
                    confidence=float(score),
                    box=(
                        min(xs) / image.width,
                        min(ys) / image.height,
                        max(xs) / image.width,
                        max(ys) / image.height,
                    ),
                )
            )
        return OcrText(lines=lines)
