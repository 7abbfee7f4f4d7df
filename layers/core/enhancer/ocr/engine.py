"""The one small interface every OCR engine implements, and what it returns."""

from dataclasses import dataclass
from typing import Protocol

from enhancer.errors import PipelineError


@dataclass(frozen=True)
class PageImage:
    """A rendered page: 8-bit grayscale pixels, row-major, ``stride`` bytes per row."""

    width: int
    height: int
    stride: int
    pixels: bytes
    dpi: int


@dataclass(frozen=True)
class OcrLine:
    """One line of text; the box is (left, top, right, bottom) as fractions of the page, 0..1."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrText:
    lines: list[OcrLine]

    @property
    def text(self) -> str:
        return reading_order(self.lines)

    @property
    def confidence(self) -> float | None:
        """Mean line confidence (0..1), None when nothing was read."""
        if not self.lines:
            return None
        return round(sum(line.confidence for line in self.lines) / len(self.lines), 4)


class OcrEngine(Protocol):
    """Reads one page image. Raises ``OcrError`` for a failure of that page (the page fails, not the
    document) and ``RetryableError`` for a passing fault of the service (the whole record is retried)."""

    name: str

    def read(self, image: PageImage) -> OcrText: ...


@dataclass(frozen=True)
class OcrOptions:
    """How pages are OCR'd: the engine, the DPI (lowered to fit ``max_pixels``, never below ``min_dpi``)
    and how much of a thin page an image must cover for it to count as a scan."""

    engine: OcrEngine
    dpi: int = 150
    min_dpi: int = 72
    max_pixels: int = 40_000_000
    min_coverage: float = 0.5


class OcrError(PipelineError):
    """The engine could not read this page (bad image, unsupported, service refused it)."""


def reading_order(lines: list[OcrLine]) -> str:
    """Lines top to bottom, and left to right within a row: boxes whose vertical centres lie within half a
    line height of a row's first box join that row (engines report rows of one line in any order)."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.box[1], item.box[0])):
        centre = (line.box[1] + line.box[3]) / 2
        if rows:
            head = rows[-1][0]
            head_centre = (head.box[1] + head.box[3]) / 2
            if abs(centre - head_centre) <= (head.box[3] - head.box[1]) / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return "\n".join(
        " ".join(item.text.strip() for item in sorted(row, key=lambda item: item.box[0]) if item.text.strip())
        for row in rows
    ).strip()
