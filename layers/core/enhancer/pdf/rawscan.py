"""The file-wide inflation check: every stream of a PDF bounded from its raw bytes, before an engine reads it.

A stream is always a top-level indirect object written in the file itself (never inside an object
stream), so every stream PDFium can decode starts after a ``stream`` keyword in the raw bytes. The scan
finds each such keyword, parses the dictionary before it, and bounds what PDFium's decoders can make of
the bytes up to the farthest place the stream can end (its ``/Length``, or the next ``endstream`` when
the length is wrong, as PDFium reads it): filters that cannot cross ``MAX_STREAM_BYTES`` by their
worst-case ratio need no decoding, Flate chains that might are decoded once, in chunks, up to the limit.
Image filters pass the bytes on undecoded, as PDFium does when it reads a stream for text.

``streams_are_bounded`` answers False whenever it cannot vouch for the file (a stream over the limit, a
``stream`` keyword it cannot explain, a dictionary it cannot parse, an encrypted stream, an image or a
non-Flate chain too large to bound without decoding, more trial decoding than ``SCAN_DECODE_BUDGET``);
the caller then checks page by page.
"""

import bisect
import re
import zlib
from collections.abc import Iterator

from enhancer.pdf.engines import FLATE_MAX_RATIO, MAX_STREAM_BYTES

# Decoded bytes the scan may produce in all before it leaves the file to the per-page guard.
SCAN_DECODE_BUDGET = MAX_STREAM_BYTES
# Worst-case output per input byte of PDFium's non-image decoders: RunLength turns 2 bytes into 128,
# ASCII85's "z" one byte into 4, an LZW code of at least 9 bits names a string of at most 4096 bytes.
# Any other filter counts 1:1: the image ones PDFium leaves to the image decoder (never run for text),
# and a name it does not know it treats as an image filter.
_RATIOS = {
    "FlateDecode": FLATE_MAX_RATIO,
    "Fl": FLATE_MAX_RATIO,
    "LZWDecode": 3641,
    "LZW": 3641,
    "RunLengthDecode": 64,
    "RL": 64,
    "ASCII85Decode": 4,
    "A85": 4,
    "ASCIIHexDecode": 1,
    "AHx": 1,
}
_FLATE = {"FlateDecode", "Fl"}
_MAX_NESTING = 32
_CHUNK = 1024 * 1024

_WS = rb"\x00\t\n\x0c\r "
_HEADER_TAIL = re.compile(rb"(?<![0-9])(\d+)[" + _WS + rb"]+(\d+)[" + _WS + rb"]+\Z")
_ENDSTREAM = re.compile(rb"endstream")
_INTEGER_OBJECT = re.compile(rb"obj[" + _WS + rb"]*(\d+)[" + _WS + rb"]*endobj")
# Tokens after whitespace and comments; every other byte falls in one, the last alternative catching
# what the scan cannot read.
_TOKEN = re.compile(
    rb"(?:[" + _WS + rb"]+|%[^\r\n]*)*"
    rb"(<<|>>|\[|\]"
    rb"|\d+[" + _WS + rb"]+\d+[" + _WS + rb"]+R(?![A-Za-z0-9])"
    rb"|/[^" + _WS + rb"()<>\[\]{}/%]*|<[^<>]*>|\((?:[^()\\]|\\.)*\)"
    rb"|[+-]?(?:\d+\.?\d*|\.\d+)|[A-Za-z]+|[^" + _WS + rb"])",
    re.S,
)
_OPENERS = {b"<<": b">>", b"[": b"]"}
_ONE_BYTE_TOKENS = {
    bytes([byte]) for byte in b"/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
}
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# The keys ``_stream_entries`` reads, as whole names, and the value shapes it reads them in (group 1).
_SPACE = rb"[" + _WS + rb"]*"
_END = rb"(?=[" + _WS + rb"()<>\[\]{}/%]|\Z)"
_NAME_TOKEN = rb"/[^" + _WS + rb"()<>\[\]{}/%]+"
_KEY = re.compile(rb"/(Length|Filter|Subtype)" + _END)
_KEY_VALUES = {
    "Length": re.compile(_SPACE + rb"(\d+(?:[" + _WS + rb"]+\d+[" + _WS + rb"]+R)?)" + _END),
    "Filter": re.compile(
        _SPACE + rb"(" + _NAME_TOKEN + rb"|\[(?:" + _SPACE + _NAME_TOKEN + rb")*" + _SPACE + rb"\])"
    ),
    "Subtype": re.compile(_SPACE + rb"(" + _NAME_TOKEN + rb")"),
}
_FILTER_NAME = re.compile(_NAME_TOKEN)


class _Unsure(Exception):
    """The scan cannot vouch for the file."""


def streams_are_bounded(data: bytes, *, encrypted: bool) -> bool:
    """True when no stream of the file can inflate past ``MAX_STREAM_BYTES`` in PDFium's decoders."""
    try:
        _check_streams(data, encrypted)
    except _Unsure:
        return False
    return True


def _check_streams(data: bytes, encrypted: bool) -> None:
    index = _RawIndex(data)
    budget = [SCAN_DECODE_BUDGET]
    position = data.find(b"stream")
    while position >= 0:
        keyword = position
        position = data.find(b"stream", position + 6)
        if _is_regular(data, keyword - 1) or _is_regular(data, keyword + 6):
            continue  # part of a longer word such as endstream
        body = _object_start(data, keyword)
        entries = _stream_entries(data[body:keyword])
        if entries is None:
            entries = _stream_dictionary(data, body, keyword)
        start = _data_start(data, keyword + 6)
        extent = _farthest_extent(data, start, entries.get("Length"), index)
        image = entries.get("Subtype") == "Image"
        _check_stream(data, start, extent, _filters(entries.get("Filter")), encrypted or image, budget)


def _data_start(data: bytes, position: int) -> int:
    """Past the end of line that follows the ``stream`` keyword."""
    if data[position : position + 2] == b"\r\n":
        return position + 2
    return position + 1 if data[position : position + 1] in (b"\r", b"\n") else position


def _is_regular(data: bytes, index: int) -> bool:
    return 0 <= index < len(data) and data[index : index + 1].isalnum()


def _object_start(data: bytes, keyword: int) -> int:
    """Where the body of the object whose ``stream`` keyword is at ``keyword`` starts (past ``N G obj``)."""
    at = data.rfind(b"obj", 0, keyword)
    header = _HEADER_TAIL.search(data, max(0, at - 40), at) if at >= 0 else None
    if header is None or _is_regular(data, at + 3):
        raise _Unsure("a stream keyword without an object header before it")
    return at + 3


class _RawIndex:
    """Where every ``endstream`` of the file is, and the values of its plain integer objects by object
    number (the indirect lengths), read the first time one is asked for (several when incremental updates
    rewrote the object)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.values: dict[tuple[int, int], list[int]] | None = None
        self.ends = [match.start() for match in _ENDSTREAM.finditer(data)]

    def next_end(self, position: int) -> int:
        """Where the first ``endstream`` after ``position`` starts; the file's end when there is none."""
        at = bisect.bisect_left(self.ends, position)
        return self.ends[at] if at < len(self.ends) else len(self.data)

    def last_end(self) -> int:
        return self.ends[-1] if self.ends else len(self.data)

    def get(self, ref: tuple[int, int]) -> list[int] | None:
        if self.values is None:
            self.values = {}
            for match in _INTEGER_OBJECT.finditer(self.data):
                header = _HEADER_TAIL.search(self.data, max(0, match.start() - 40), match.start())
                if header is not None:
                    self.values.setdefault((int(header[1]), int(header[2])), []).append(int(match[1]))
        return self.values.get(ref)


def _stream_entries(dictionary: bytes) -> dict[str, object] | None:
    """The three entries the scan needs, read by a regex where that cannot miss what PDFium reads; None
    where only ``_stream_dictionary``'s full parse can tell.

    Without strings, comments and name escapes, every ``/Length``, ``/Filter`` and ``/Subtype`` the bytes
    hold is a name token, so a key occurring at most once is read here whatever the nesting: a top-level
    key is the one PDFium reads, and one that is really inside a nested dictionary (with none at the top)
    only makes the bound larger (a longer extent, more filters, an image left to the per-page guard).
    A key twice, or a value of another shape, goes to the full parse. Most dictionaries qualify (the pgf
    shading dictionaries of LaTeX figures, deeply nested, included), and this costs one regex pass instead
    of a tokenisation.
    """
    if b"(" in dictionary or b"%" in dictionary or b"#" in dictionary:
        return None
    entries: dict[str, object] = {}
    for match in _KEY.finditer(dictionary):
        key = match[1].decode()
        if key in entries:
            return None
        value = _KEY_VALUES[key].match(dictionary, match.end())
        if value is None:
            return None
        entries[key] = _key_value(key, value[1])
    return entries


def _key_value(key: str, value: bytes) -> object:
    if key == "Length":
        return _scalar(value)
    if key == "Filter" and value.startswith(b"["):
        return [_name(name) for name in _FILTER_NAME.findall(value)]
    return _name(value)


def _stream_dictionary(data: bytes, position: int, keyword: int) -> dict[str, object]:
    """The top-level entries of the dictionary between an object header and its ``stream`` keyword: names
    as ``str``, integers as ``int``, references as ``(number, generation)``, arrays of those as lists,
    anything else as ``None``."""
    entries: dict[str, object] = {}
    closers: list[bytes] = []
    key: str | None = None
    array: list[object] | None = None
    closed = False
    for token in _TOKEN.findall(data, position, keyword):
        depth = len(closers)
        if token in _OPENERS:
            if depth == 0 and (token != b"<<" or closed):
                raise _Unsure("something other than one dictionary before a stream keyword")
            if depth == 1:
                if key is None:
                    raise _Unsure("a dictionary key that is not a name")
                array = [] if token == b"[" else None
                entries[key] = array
            if depth >= _MAX_NESTING:
                raise _Unsure("nesting too deep")
            closers.append(_OPENERS[token])
        elif token in (b">>", b"]"):
            if depth == 0 or token != closers.pop():
                raise _Unsure("mismatched brackets")
            if depth == 2:
                key, array = None, None
            elif depth == 1:
                if key is not None:
                    raise _Unsure("a dictionary key without a value")
                closed = True
        elif depth == 0 or (len(token) == 1 and token not in _ONE_BYTE_TOKENS):
            # a byte no other token took: an unbalanced or nested parenthesis, a brace, a stray ">"
            raise _Unsure("a token the scan cannot read")
        elif depth == 1 and key is not None:
            entries[key] = _scalar(token)
            key = None
        elif depth == 1:
            if token[:1] != b"/":
                raise _Unsure("a dictionary key that is not a name")
            key = _name(token)
        elif depth == 2 and array is not None:
            array.append(_scalar(token))
    if not closed:
        raise _Unsure("no complete dictionary before a stream keyword")
    return entries


def _name(token: bytes) -> str:
    return _NAME_ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), token[1:]).decode("latin-1")


def _scalar(token: bytes) -> object:
    if token[:1] == b"/":
        return _name(token)
    if token.isdigit():
        return int(token)
    if token.endswith(b"R") and token[:1].isdigit():
        number, generation, _ = token.split()
        return (int(number), int(generation))
    return None


def _filters(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise _Unsure("a /Filter that is not a name or an array of names")


def _farthest_extent(data: bytes, start: int, length: object, index: _RawIndex) -> int:
    """The most bytes PDFium can take as the stream's data: its ``/Length`` when that fits the file, else up
    to the next ``endstream`` (or the file's end); an indirect length not written plainly in the file could
    be anything, so up to the last ``endstream``."""
    following = index.next_end(start)
    farthest = following - start
    candidates: list[int] = []
    if isinstance(length, int):
        candidates = [length]
    elif isinstance(length, tuple):
        known = index.get(length)
        candidates = known if known is not None else [max(index.last_end(), following) - start]
    fitting = [value for value in candidates if 0 < value <= len(data) - start]
    return max([farthest, *fitting])


def _check_stream(
    data: bytes, start: int, extent: int, filters: list[str], undecodable: bool, budget: list[int]
) -> None:
    """Raise ``_Unsure`` unless the stream's filters bound it under the limit or a trial decode does.
    ``undecodable`` streams get no trial decode: encrypted ones, and images, whose decoding would be wasted
    work unless some page draws one as its /Contents (which PDFium decodes whatever the subtype), a thing
    only the per-page guard, walking the pages, can tell."""
    bound = extent
    for name in filters:
        bound *= _RATIOS.get(name, 1)
    if bound <= MAX_STREAM_BYTES:
        return
    if undecodable or not all(name in _FLATE for name in filters):
        raise _Unsure("a stream too large to bound without decoding it")
    _inflate_within(memoryview(data)[start : start + extent], len(filters), budget)


def _inflate_within(raw: memoryview, stages: int, budget: list[int]) -> None:
    """Inflate ``stages`` chained Flate layers chunk by chunk, holding one chunk at a time, and give up once
    a layer passes ``MAX_STREAM_BYTES`` or the scan's budget runs out."""
    step = _CHUNK // 16
    chunks: Iterator[bytes] = (bytes(raw[at : at + step]) for at in range(0, len(raw), step))
    for _ in range(stages):
        chunks = _inflate(chunks, budget)
    for _ in chunks:
        pass


def _inflate(chunks: Iterator[bytes], budget: list[int]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for chunk in chunks:
            pending = chunk
            while pending and not inflater.eof:
                out = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                produced += len(out)
                budget[0] -= len(out)
                if produced > MAX_STREAM_BYTES or budget[0] < 0:
                    raise _Unsure("a stream inflates past the limit, or the scan's decoding budget is spent")
                yield out
            if inflater.eof:
                return
        yield inflater.flush()  # the little a match in progress still holds once the input is used up
    except zlib.error:
        return  # PDFium keeps what it inflated before the damage, as this does
