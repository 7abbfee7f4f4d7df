"""How each line of a page looks, from PDFium's characters: effective size, weight, position.

PDFium's own size and weight are unreliable on real files (``FPDFText_GetFontSize`` is 1.0 for every
character when the text matrix does the scaling; ``FPDFText_GetFontWeight`` is 0 when unknown), so the
size is the height of the loose character box (the font's ascent to descent at the size drawn) and the
weight comes from the font name ("Bold", "SemiBold", "Medium", "Black", …), the ForceBold flag and a
known weight of 600 or more. A line is sampled at two characters (first and middle): its size is the
larger of the two (the first may be a small number or bullet), and it is bold only when both are, so a
bold lead-in word does not make a paragraph a heading. Sampling keeps the cost to a few native calls
per line.
"""

import ctypes
from dataclasses import dataclass
from typing import Any

_BOLD_NAMES = ("bold", "semibold", "demi", "black", "heavy", "medi", "-bd", "extrab", "cmbx", "cmssbx")
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag
_NAME_BUFFER = 128
LONG_LINE = 160  # longer lines are never headings; their text is not kept


@dataclass(frozen=True, slots=True)
class StyledLine:
    """One text line of a page as PDFium lays it out. ``top`` is in points from the top edge, ``left`` a
    fraction of the page width; ``text`` is empty for lines longer than ``LONG_LINE`` (never headings)."""

    text: str
    chars: int
    size: float
    bold: bool
    top: float
    left: float

    def dump(self) -> list[Any]:
        return [self.text, self.chars, self.size, self.bold, self.top, self.left]

    @classmethod
    def load(cls, row: list[Any]) -> "StyledLine":
        text, chars, size, bold, top, left = row
        return cls(str(text), int(chars), float(size), bool(bold), float(top), float(left))


def styled_lines(raw: Any, textpage: Any, text: str, width: float, height: float) -> list[StyledLine]:
    """The lines of ``text`` (PDFium's text of the page, as read, before cleaning) with their style."""
    rect = raw.FS_RECTF()
    name = ctypes.create_string_buffer(_NAME_BUFFER)
    flags = ctypes.c_int()
    # Bound once: these run a few times per line of every page.
    char_index, char_box, font_info = (
        raw.FPDFText_GetCharIndexFromTextIndex,
        raw.FPDFText_GetLooseCharBox,
        raw.FPDFText_GetFontInfo,
    )
    bold_cache: dict[tuple[bytes, int], bool] = {}
    width = width or 1.0
    height = height or 1.0
    out: list[StyledLine] = []
    position = 0
    for line in text.split("\n"):
        start = position
        position += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        lead = line.index(stripped[0])
        middle = start + (lead + lead + len(stripped)) // 2
        sizes: list[float] = []
        bold = True
        top = left = None
        for text_index in (start + lead, middle) if middle != start + lead else (middle,):
            char = char_index(textpage, text_index)
            if char < 0:
                continue
            if char_box(textpage, char, rect):
                sizes.append(rect.top - rect.bottom)
                if top is None:
                    top, left = rect.top, rect.left
            if not bold:
                continue  # a line is bold only when both samples are: the second need not be asked
            font_info(textpage, char, name, _NAME_BUFFER, flags)
            key = (name.value, flags.value)
            is_bold = bold_cache.get(key)
            if is_bold is None:
                # Weight is a property of the font: asked once per font and flags, like the name.
                lowered = name.value.decode("latin-1", "ignore").lower()
                is_bold = (
                    bool(flags.value & _FORCE_BOLD)
                    or any(k in lowered for k in _BOLD_NAMES)
                    or raw.FPDFText_GetFontWeight(textpage, char) >= 600
                )
                bold_cache[key] = is_bold
            bold = is_bold
        if not sizes or top is None or left is None:
            continue
        cleaned = stripped.replace("\x02", "-").replace("\ufffe", "-")
        out.append(
            StyledLine(
                text=cleaned if len(cleaned) <= LONG_LINE else "",
                chars=len(cleaned),
                size=round(max(sizes), 2),
                bold=bold,
                top=round(height - top, 2),
                left=round(min(max(left / width, 0.0), 1.0), 4),
            )
        )
    return out
