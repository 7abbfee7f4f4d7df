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
from typing import Any, NamedTuple

_BOLD_NAMES = ("bold", "semibold", "demi", "black", "heavy", "medi", "-bd", "extrab", "cmbx", "cmssbx")
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag
_NAME_BUFFER = 128
LONG_LINE = 160  # longer lines are never headings; their text is not kept


class StyledLine(NamedTuple):
    """One text line of a page as PDFium lays it out. ``top`` is in points from the top edge, ``left`` a
    fraction of the page width; ``text`` is empty for lines longer than ``LONG_LINE`` (never headings).
    A named tuple: thousands are made per document, at a third of a frozen dataclass's cost."""

    text: str
    chars: int
    size: float
    bold: bool
    top: float
    left: float

    def dump(self) -> list[Any]:
        return list(self)

    @classmethod
    def load(cls, row: list[Any]) -> "StyledLine":
        text, chars, size, bold, top, left = row
        return cls(str(text), int(chars), float(size), bool(bold), float(top), float(left))


def styled_lines(raw: Any, textpage: Any, text: str, width: float, height: float) -> list[StyledLine]:
    """The lines of ``text`` (PDFium's text of the page, as read, before cleaning) with their style."""
    rect = raw.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    name = ctypes.create_string_buffer(_NAME_BUFFER)
    flags = ctypes.c_int()
    flags_ref = ctypes.byref(flags)
    # Bound once: these run a few times per line of every page.
    char_box, font_info = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetFontInfo
    char_index = _char_index(raw, textpage, len(text))
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
        first = start + len(line) - len(line.lstrip())
        middle = first + len(stripped) // 2
        size: float | None = None
        bold = True
        top = left = 0.0
        for text_index in (first, middle) if middle != first else (middle,):
            char = char_index(textpage, text_index) if char_index is not None else text_index
            if char < 0:
                continue
            if char_box(textpage, char, rect_ref):
                box = rect.top - rect.bottom
                if size is None:
                    size, top, left = box, rect.top, rect.left
                elif box > size:
                    size = box
            if not bold:
                continue  # a line is bold only when both samples are: the second need not be asked
            font_info(textpage, char, name, _NAME_BUFFER, flags_ref)
            key = (name.value, flags.value)
            is_bold = bold_cache.get(key)
            if is_bold is None:
                # Weight is a property of the font: asked once per font and flags, like the name.
                lowered = key[0].decode("latin-1", "ignore").lower()
                is_bold = (
                    bool(key[1] & _FORCE_BOLD)
                    or any(k in lowered for k in _BOLD_NAMES)
                    or raw.FPDFText_GetFontWeight(textpage, char) >= 600
                )
                bold_cache[key] = is_bold
            bold = is_bold
        if size is None:
            continue
        cleaned = stripped.replace("\x02", "-").replace("\ufffe", "-")
        chars = len(cleaned)
        out.append(
            StyledLine(
                cleaned if chars <= LONG_LINE else "",
                chars,
                round(size, 2),
                bold,
                round(height - top, 2),
                round(min(max(left / width, 0.0), 1.0), 4),
            )
        )
    return out


def _char_index(raw: Any, textpage: Any, length: int) -> Any:
    """PDFium's text-to-character index mapping, or None where it is the identity on the whole text.

    The mapping is strictly increasing and never below the text index (each text position is a later
    character than the one before), so when the last position maps to itself every position does, and the
    two native calls per line that would ask are saved: on most pages of real files.
    """
    mapping = raw.FPDFText_GetCharIndexFromTextIndex
    return None if length and mapping(textpage, length - 1) == length - 1 else mapping
