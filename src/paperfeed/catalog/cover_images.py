"""The pictures of a paper's cover, as pure functions: the first page of its PDF as a PNG, and the
generated cover (an SVG) shown until that exists.

The first page is rasterised by PDFium (pypdfium2) at :data:`COVER_WIDTH` pixels and encoded
here as a PNG (W3C PNG specification, 3rd edition: 8-bit RGB, no interlace, one adaptive filter
per row), so no imaging library is needed. The generated cover carries the category, the title
and the first author, in colours chosen by the category; every text is escaped for XML.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
import pypdfium2 as pdfium

from paperfeed.errors import CoverError
from paperfeed.models import Paper

COVER_WIDTH = 300  # pixels: sharp at 150 CSS pixels on a 2x screen
COVER_HEIGHT = 388  # a US Letter page at that width; the pages reserve a box of this shape
MAX_HEIGHT_RATIO = 1.5  # a taller page (a poster, a scroll) keeps its top only
MAX_PDF_PAGE_POINTS = 14_400  # PDF's own limit for a page side (ISO 32000-1, annex C.2), 200 inches
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_pdfium_lock = threading.Lock()  # PDFium is not thread-safe: one document at a time in a process


def render_first_page(pdf: bytes, *, width: int = COVER_WIDTH) -> bytes:
    """The first page of ``pdf`` as a PNG ``width`` pixels wide (its top only, for a page taller than
    :data:`MAX_HEIGHT_RATIO` times its width). Raises :class:`CoverError` saying why it cannot."""
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as error:
            raise CoverError(f"not a readable PDF ({_pdfium_reason(error)})") from None
        try:
            pixels = _render(document, width)
        finally:
            document.close()
    return encode_png(pixels)


def _render(document: pdfium.PdfDocument, width: int) -> np.ndarray:
    if len(document) == 0:
        raise CoverError("the PDF has no pages")
    try:
        page = document[0]
        page_width, page_height = page.get_size()
        if not (0 < page_width <= MAX_PDF_PAGE_POINTS and 0 < page_height <= MAX_PDF_PAGE_POINTS):
            raise CoverError(f"the first page has an impossible size ({page_width:g} x {page_height:g} points)")
        cut = max(page_height - page_width * MAX_HEIGHT_RATIO, 0.0)  # crop is (left, bottom, right, top)
        bitmap = page.render(scale=width / page_width, crop=(0, cut, 0, 0), rev_byteorder=True)
        pixels = bitmap.to_numpy()
    except (pdfium.PdfiumError, ValueError) as error:
        raise CoverError(f"the first page could not be drawn ({_pdfium_reason(error)})") from None
    if bitmap.mode != "RGB":  # rev_byteorder gives RGB for an opaque page; anything else is a surprise
        raise CoverError(f"PDFium drew the page as {bitmap.mode}, not RGB")
    height = max(round((page_height - cut) * width / page_width), 1)  # PDFium rounds up: 388.2 -> 389
    return pixels[:height, :width, :3]


def _pdfium_reason(error: Exception) -> str:
    return str(error).strip().rstrip(".") or type(error).__name__


# --- PNG ------------------------------------------------------------------------------------------


def encode_png(pixels: np.ndarray) -> bytes:
    """An ``(height, width, 3)`` array of 8-bit RGB as a PNG file.

    Each row gets the filter (None, Sub, Up, Average or Paeth; PNG spec section 7.3) whose output
    has the smallest sum of absolute values read as signed bytes, the heuristic the
    specification suggests (section 12.7), then the rows are deflated together (zlib, level 9).
    """
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"expected (height, width, 3) uint8 pixels, not {pixels.shape} {pixels.dtype}")
    height, width, _ = pixels.shape
    rows = np.ascontiguousarray(pixels).reshape(height, width * 3)
    filtered = _filtered_rows(rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour, deflate, no interlace
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(filtered, 9))
            + _chunk(b"IEND", b""))


def _filtered_rows(rows: np.ndarray) -> bytes:
    """Every row, prefixed by its filter type byte, filtered by the best of the five filters."""
    x = rows.astype(np.int16)
    a = np.zeros_like(x)  # the byte of the pixel to the left (3 bytes back), 0 at the left edge
    a[:, 3:] = x[:, :-3]
    b = np.zeros_like(x)  # the byte above, 0 on the first row
    b[1:] = x[:-1]
    c = np.zeros_like(x)  # above and to the left
    c[1:, 3:] = x[:-1, :-3]
    candidates = np.stack([x, x - a, x - b, x - (a + b) // 2, x - _paeth(a, b, c)]) & 0xFF
    signed = np.where(candidates > 127, 256 - candidates, candidates)
    best = signed.sum(axis=2).argmin(axis=0)  # one filter per row
    chosen = candidates[best, np.arange(rows.shape[0])].astype(np.uint8)
    return np.hstack([best.astype(np.uint8)[:, None], chosen]).tobytes()


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The Paeth predictor (PNG spec section 9.4): of left, above and upper-left, the one closest
    to ``left + above - upper-left``, ties in that order."""
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG's header, or None if ``data`` is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


# --- The generated cover --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverColours:
    band: str  # the band at the top, behind the category
    paper: str  # the page
    ink: str  # the title
    muted: str  # the author and the id


# Muted, distinct colours, light enough under dark text and dark enough under white: one per
# category (or, for a paper without one, per id), the same on every page and every day.
PALETTE = (
    CoverColours("#2f5d8a", "#eef3f8", "#17293b", "#4b5e70"),  # blue
    CoverColours("#8a3b2f", "#f8efed", "#3b1a15", "#6e4c46"),  # brick
    CoverColours("#2f7a5b", "#edf6f2", "#163a2b", "#466b5b"),  # green
    CoverColours("#6b4a8a", "#f3eff8", "#2e1f3d", "#5f5270"),  # violet
    CoverColours("#8a6a1f", "#f8f4ea", "#3b2d0c", "#6e6146"),  # ochre
    CoverColours("#1f6f7a", "#eaf5f6", "#0f3136", "#45666b"),  # teal
    CoverColours("#8a2f5d", "#f8edf3", "#3b1428", "#6e4659"),  # plum
    CoverColours("#4a5a6b", "#f0f2f5", "#1d2733", "#56616d"),  # slate
)
SVG_WIDTH, SVG_HEIGHT = COVER_WIDTH, COVER_HEIGHT
MARGIN = 24
TITLE_SIZES = (30, 26, 23, 20, 18, 16)  # the largest that fits is used
TITLE_TOP = 96
TITLE_BOTTOM = SVG_HEIGHT - 96  # the author and the id are below
SERIF = "Georgia, 'Times New Roman', serif"
SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# Characters XML 1.0 forbids (section 2.2), which a title may hold all the same.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cover_label(paper: Paper) -> str:
    """What the band of a generated cover names: the primary category, else the first one, else
    the organisation, else the source of the id (``arXiv``, ``acl``)."""
    if paper.primary_category or paper.categories:
        return paper.primary_category or paper.categories[0]
    if paper.organization:
        return paper.organization
    return paper.id.split(":", 1)[0] if ":" in paper.id else "arXiv"


def cover_colours(paper: Paper) -> CoverColours:
    """The palette entry of the paper's category (or id): CRC-32, so it is the same in every process."""
    key = paper.primary_category or (paper.categories[0] if paper.categories else paper.id)
    return PALETTE[zlib.crc32(key.encode("utf-8")) % len(PALETTE)]


def generated_cover_svg(paper: Paper) -> str:
    """An SVG document: a band with :func:`cover_label`, the title in large serif type (wrapped,
    at the largest size that fits, the last line ending in an ellipsis if it still does not), the
    first author (``et al.`` when there are more) and the id. Presentation attributes only (no
    style element, no script), so it needs nothing the site's Content-Security-Policy forbids."""
    colours = cover_colours(paper)
    size, lines = fit_title(_clean(paper.title) or "Untitled")
    author = _author_line(paper.authors)
    line_height = round(size * 1.22)
    title = "".join(f'<tspan x="{MARGIN}" dy="{0 if number == 0 else line_height}">{escape(line)}</tspan>'
                    for number, line in enumerate(lines))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" width="{SVG_WIDTH}" '
        f'height="{SVG_HEIGHT}"><title>{escape(_clean(paper.title))}</title>',
        f'<rect width="{SVG_WIDTH}" height="{SVG_HEIGHT}" fill="{colours.paper}"/>',
        f'<rect width="{SVG_WIDTH}" height="66" fill="{colours.band}"/>',
        f'<text x="{MARGIN}" y="42" fill="#ffffff" font-family="{SANS}" font-size="22" font-weight="700">'
        f'{escape(_fitted(_clean(cover_label(paper)), 22))}</text>',
        f'<text x="{MARGIN}" y="{TITLE_TOP + size}" fill="{colours.ink}" font-family="{SERIF}" '
        f'font-size="{size}" font-weight="700">{title}</text>',
        f'<rect x="{MARGIN}" y="{SVG_HEIGHT - 80}" width="48" height="4" fill="{colours.band}"/>',
    ]
    if author:
        parts.append(f'<text x="{MARGIN}" y="{SVG_HEIGHT - 46}" fill="{colours.muted}" font-family="{SANS}" '
                     f'font-size="{AUTHOR_SIZE}" font-weight="600">{escape(author)}</text>')
    parts.append(f'<text x="{MARGIN}" y="{SVG_HEIGHT - 20}" fill="{colours.muted}" font-family="{SANS}" '
                 f'font-size="16">{escape(_fitted(_clean(paper.id), 16))}</text>')
    return "".join(parts) + "</svg>"


AUTHOR_SIZE = 20


def _author_line(authors: list[str]) -> str:
    """``Ada Lovelace et al.``, or ``Lovelace et al.`` where the whole name does not fit, cut
    with an ellipsis where even that does not."""
    names = [name for name in (_clean(author) for author in authors) if name]
    if not names:
        return ""
    others = " et al." if len(names) > 1 else ""
    for shown in (names[0], names[0].split()[-1]):
        if _fits(shown + others, AUTHOR_SIZE):
            return shown + others
    return _fitted(names[0].split()[-1] + others, AUTHOR_SIZE)


def _fits(text: str, size: int) -> bool:
    return text_width_em(text) <= (SVG_WIDTH - 2 * MARGIN) / size / SANS_WIDER


SANS_WIDER = 1.22  # a bold sans-serif runs wider than the serif :func:`text_width_em` measures


def _fitted(text: str, size: int) -> str:
    """``text`` on one line of the cover in the sans-serif at ``size`` pixels, cut with an ellipsis
    if it is wider."""
    room = (SVG_WIDTH - 2 * MARGIN) / size / SANS_WIDER
    return text if text_width_em(text) <= room else _with_ellipsis(text, room)


def fit_title(title: str) -> tuple[int, list[str]]:
    """The largest of :data:`TITLE_SIZES` at which ``title`` wraps into the title's box, and its
    lines; at the smallest size, the lines that fit, the last ending in an ellipsis."""
    room = TITLE_BOTTOM - TITLE_TOP
    for size in TITLE_SIZES:
        lines = wrap_to_width(title, (SVG_WIDTH - 2 * MARGIN) / size)
        if size + (len(lines) - 1) * round(size * 1.22) <= room:
            return size, lines
    size = TITLE_SIZES[-1]
    fitting = 1 + (room - size) // round(size * 1.22)
    lines = wrap_to_width(title, (SVG_WIDTH - 2 * MARGIN) / size)[:fitting]
    return size, lines[:-1] + [_with_ellipsis(lines[-1], (SVG_WIDTH - 2 * MARGIN) / size)]


def wrap_to_width(text: str, width_em: float) -> list[str]:
    """Greedy line breaking at spaces (and inside a word too long for a line), measuring each
    character with :func:`text_width_em`: an SVG ``<text>`` does not wrap by itself."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width_em(candidate) <= width_em:
            line = candidate
            continue
        if line:
            lines.append(line)
        while text_width_em(word) > width_em:  # a word wider than a line is cut where it must be
            cut = next((n for n in range(len(word) - 1, 0, -1) if text_width_em(word[:n]) <= width_em), 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    return lines + [line] if line else lines or [""]


_NARROW = set("iljtfI.,:;'!|()[]{}- ")
_WIDE = set("MWmw@%&")


def text_width_em(text: str) -> float:
    """An estimate of a text's width in ems for a bold serif: narrow, wide and other characters
    (CJK and other full-width ones count as one em)."""
    return sum(0.32 if ch in _NARROW else 0.9 if ch in _WIDE or ord(ch) > 0x2E7F else
               0.68 if ch.isupper() else 0.55 for ch in text)


def _with_ellipsis(line: str, width_em: float) -> str:
    while line and text_width_em(line + "…") > width_em:
        line = line[:-1]
    return line.rstrip() + "…"


def _clean(text: str) -> str:
    """One line of text that XML can carry: characters it forbids removed, whitespace collapsed."""
    return " ".join(_NOT_XML.sub("", text or "").split())
