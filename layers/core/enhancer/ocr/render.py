"""Which pages need OCR (how much of them an image covers) and rendering one page within a pixel budget."""

import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from enhancer.ocr.engine import PageImage

_IMAGE_OBJECT = 3  # FPDF_PAGEOBJ_IMAGE
_POINTS_PER_INCH = 72


def image_coverage(page: Any) -> float:
    """Share of the page's crop box (0..1) covered by image objects, nested forms included; overlapping
    images count once each, capped at 1 (a scan is one image, or a few strips)."""
    left, bottom, right, top = page.get_cropbox()
    area = (right - left) * (top - bottom)
    if area <= 0:
        return 0.0
    covered = 0.0
    for obj in page.get_objects(filter=(_IMAGE_OBJECT,), max_depth=4):
        x0, y0, x1, y1 = obj.get_bounds()
        width = min(x1, right) - max(x0, left)
        height = min(y1, top) - max(y0, bottom)
        if width > 0 and height > 0:
            covered += width * height
    return min(covered / area, 1.0)


@dataclass(frozen=True)
class RenderPlan:
    """The DPI a page is rendered at (None: too large even at ``min_dpi``) and why it was lowered."""

    dpi: int | None
    warning: str | None = None


def plan_render(width_pt: float, height_pt: float, *, dpi: int, min_dpi: int, max_pixels: int) -> RenderPlan:
    """``dpi`` when the page fits ``max_pixels`` (one byte each, grayscale), else the highest DPI that fits,
    and no render at all below ``min_dpi``: a poster-sized page is not worth gigabytes of bitmap."""
    pixels = _pixels(width_pt, height_pt, dpi)
    if pixels <= max_pixels:
        return RenderPlan(dpi)
    fitting = math.floor(dpi * math.sqrt(max_pixels / pixels))
    while fitting > 0 and _pixels(width_pt, height_pt, fitting) > max_pixels:
        fitting -= 1
    size = f"{width_pt / _POINTS_PER_INCH:.0f}x{height_pt / _POINTS_PER_INCH:.0f} in"
    if fitting < min_dpi:
        return RenderPlan(
            None, f"page of {size} too large to render at {min_dpi} dpi within {max_pixels} pixels; skipped"
        )
    return RenderPlan(fitting, f"page of {size} rendered at {fitting} dpi instead of {dpi} to fit memory")


def _pixels(width_pt: float, height_pt: float, dpi: int) -> int:
    scale = dpi / _POINTS_PER_INCH
    return math.ceil(width_pt * scale) * math.ceil(height_pt * scale)


def render_page(page: Any, dpi: int) -> PageImage:
    """The page (its /Rotate applied, annotations drawn) as 8-bit grayscale at ``dpi``."""
    bitmap = page.render(scale=dpi / _POINTS_PER_INCH, grayscale=True, draw_annots=True)
    try:
        return PageImage(
            width=bitmap.width,
            height=bitmap.height,
            stride=bitmap.stride,
            pixels=bytes(bitmap.buffer),
            dpi=dpi,
        )
    finally:
        bitmap.close()


def png_bytes(image: PageImage) -> bytes:
    """A grayscale PNG of the image (no filter, zlib level 6): what Textract accepts, without Pillow."""
    rows = b"".join(
        b"\x00" + image.pixels[row * image.stride : row * image.stride + image.width]
        for row in range(image.height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", image.width, image.height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )
