"""Hand-built PDF bytes for the tests: exact control over content streams and filters."""

import zlib


def raw_pdf(pages: list[bytes], filter_name: str | None = None) -> bytes:
    """A minimal valid PDF whose page content streams are given raw (already encoded)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    font_id = 3 + 2 * count
    for i, content in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        filt = f" /Filter /{filter_name}" if filter_name else ""
        objects.append(f"<< /Length {len(content)}{filt} >>\nstream\n".encode() + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_page(*lines: str) -> bytes:
    ops = [f"BT /F1 11 Tf 72 {720 - 16 * i} Td ({line}) Tj ET" for i, line in enumerate(lines)]
    return "\n".join(ops).encode("latin-1")


def zero_bomb(inflated_bytes: int) -> bytes:
    """Flate-compressed zeros: ~1000x smaller on disk than in memory."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(inflated_bytes // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)
