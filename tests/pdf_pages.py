"""Small PDFs written by hand for the cover tests (ISO 32000-1: a catalog, a page tree, one page
with a content stream and the standard Helvetica fonts, a cross-reference table), and a PNG
reader to check what paperfeed drew from them (W3C PNG spec: all five row filters).

Nothing here comes from the internet: each test makes the PDF it serves.
"""

from __future__ import annotations

import struct
import textwrap
import zlib

LETTER = (612, 792)  # points
BAND_HEIGHT = 100  # the coloured band across the top of every page made here


Colour = tuple[float, float, float]


def make_pdf(title: str, *, band_rgb: Colour | None = (0.85, 0.1, 0.1), authors: str = "", body: str = "",
             figure_rgb: Colour = (0.55, 0.62, 0.75), page_size: tuple[int, int] = LETTER) -> bytes:
    """A one-page PDF: a band of ``band_rgb`` across the top (None: no band, as on a real paper),
    the title in large Helvetica Bold, the authors, an "Abstract" and ``body`` wrapped in lines,
    and a figure: a box of ``figure_rgb``."""
    width, height = page_size
    commands = []
    if band_rgb is not None:
        red, green, blue = band_rgb
        commands.append(f"{red:.3f} {green:.3f} {blue:.3f} rg 0 {height - BAND_HEIGHT} {width} {BAND_HEIGHT} re f")
    y = height - (BAND_HEIGHT if band_rgb is not None else 40) - 60
    for line in textwrap.wrap(title, 38) or [""]:
        commands.append(_text_line("F2", 24, (width - len(line) * 12.5) / 2, y, line))
        y -= 30
    if authors:
        commands.append(_text_line("F1", 13, (width - len(authors) * 6.2) / 2, y - 6, authors))
        y -= 40
    commands.append(_text_line("F2", 12, 72, y - 10, "Abstract"))
    y -= 30
    for line in textwrap.wrap(body, 92)[:12]:
        commands.append(_text_line("F1", 10, 72, y, line))
        y -= 14
    red, green, blue = figure_rgb
    commands.append(f"{red:.3f} {green:.3f} {blue:.3f} rg 72 {max(y - 230, 60)} {width - 144} 200 re f")
    content = "\n".join(commands).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    return _assemble(objects)


def _text_line(font: str, size: int, x: float, y: float, text: str) -> str:
    return f"BT /{font} {size} Tf 0 0 0 rg {x:.1f} {y:.1f} Td ({_pdf_string(text)}) Tj ET"


def _pdf_string(text: str) -> str:
    """A literal string (ISO 32000-1, 7.3.4.2) in WinAnsi: backslash, parentheses escaped; other
    characters than Latin-1 become ``?``."""
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


BROKEN_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nthis is where the file was cut off"


# --- reading PNGs back ---------------------------------------------------------------------------


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """``(width, height, rows)`` of an 8-bit RGB PNG, each row ``width * 3`` bytes, unfiltered."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert (depth, colour_type, interlace) == (8, 2, 0), header
    raw = zlib.decompress(b"".join(chunks))
    stride, rows, previous = width * 3, [], bytes(width * 3)
    for number in range(height):
        line = raw[number * (stride + 1):(number + 1) * (stride + 1)]
        previous = _unfilter(line[0], bytearray(line[1:]), previous)
        rows.append(previous)
    return width, height, rows


def _unfilter(kind: int, line: bytearray, previous: bytes) -> bytes:
    for i in range(len(line)):
        left = line[i - 3] if i >= 3 else 0
        up = previous[i]
        up_left = previous[i - 3] if i >= 3 else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        else:
            assert kind == 0, f"unknown filter {kind}"
    return bytes(line)


def pixel(rows: list[bytes], x: int, y: int) -> tuple[int, int, int]:
    return tuple(rows[y][x * 3:x * 3 + 3])
