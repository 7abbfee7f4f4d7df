"""Hand-built PDF bytes for the tests: exact control over content streams and filters."""

import io
import zlib
from pathlib import Path

from pypdf import PdfWriter


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF of the given object bodies, numbered from 1 (the catalog), with a correct xref table."""
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


def raw_pdf(pages: list[bytes], filter_name: str | None = None, catalog: str = "") -> bytes:
    """A minimal valid PDF whose page content streams are given raw (already encoded) with the filter
    ``filter_name`` (a name, or an array as written); ``catalog`` adds entries to the document catalog."""
    objects: list[bytes] = [f"<< /Type /Catalog /Pages 2 0 R {catalog}>>".encode()]
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    font_id = 3 + 2 * count
    for i, content in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)}{_filter(filter_name)} >>\nstream\n".encode()
            + content
            + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_from_objects(objects)


def _filter(name: str | None) -> str:
    """`` /Filter`` with one name (``FlateDecode``) or an array given as written (``[/Fl /Fl]``)."""
    if not name:
        return ""
    return f" /Filter {name}" if name.startswith("[") else f" /Filter /{name}"


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


def form_dag_pdf(
    width: int, depth: int, leaf: bytes = b"", leaf_filter: str | None = None, draw: bool = True
) -> bytes:
    """One page of text drawing ``width`` forms, each of which draws all ``width`` forms of the next
    level, ``depth`` levels down: ``width ** depth`` paths through ``width * depth`` objects. The
    last level's forms hold ``leaf`` as their (encoded) content. With ``draw=False`` the forms are only
    listed in the resources, never drawn: a renderer does no work for them, a resource walk does."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    first_form = 6  # 3 page, 4 contents, 5 font

    def form_id(level: int, position: int) -> int:
        return first_form + level * width + position

    def names(level: int) -> str:
        return " ".join(f"/X{p} {form_id(level, p)} 0 R" for p in range(width))

    draw_all = " ".join(f"/X{p} Do" for p in range(width)).encode() if draw else b"0 0 m"
    objects.append(
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        f"/Resources << /Font << /F1 5 0 R >> /XObject << {names(0)} >> >> >>".encode()
    )
    page = text_page("Forms shared by forms", "The page text is read once.") + b"\n" + draw_all
    objects.append(f"<< /Length {len(page)} >>\nstream\n".encode() + page + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for level in range(depth):
        last = level == depth - 1
        content = leaf if last else draw_all
        filt = f" /Filter /{leaf_filter}" if last and leaf_filter else ""
        resources = "" if last else f"/Resources << /XObject << {names(level + 1)} >> >> "
        for _ in range(width):
            objects.append(
                f"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] {resources}"
                f"/Length {len(content)}{filt} >>\n"
                "stream\n".encode()
                + content
                + b"\nendstream"
            )
    return pdf_from_objects(objects)


def encrypted_copy(source: Path, user_password: str) -> bytes:
    """``source`` encrypted with AES-256 and an owner password; ``user_password`` opens it ("": anyone)."""
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
