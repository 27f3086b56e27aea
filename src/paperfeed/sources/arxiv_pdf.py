"""A paper's PDF from arXiv, for its cover: ``GET {PAPERFEED_ARXIV_PDF_URL}/{id}``.

arXiv serves the latest version of a paper at ``https://arxiv.org/pdf/{id}`` and asks programs
to use ``export.arxiv.org``, at the same pace as its other interfaces (one request every three
seconds: :class:`~paperfeed.sources.http.PoliteClient`). An answer that is not a PDF (an HTML
page saying the PDF is being built, say) is refused here, before anything tries to draw it.
"""

from __future__ import annotations

from paperfeed.errors import CoverError
from paperfeed.sources.http import PoliteClient

# ISO 32000-1, 7.5.2: a PDF starts with %PDF-; readers accept it within the first kilobyte.
PDF_MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024


def pdf_address(pdf_url: str, paper_id: str) -> str:
    """``https://export.arxiv.org/pdf/2406.01234``, ``.../pdf/hep-th/9901001``."""
    return f"{pdf_url.rstrip('/')}/{paper_id}"


def fetch_pdf(client: PoliteClient, *, pdf_url: str, paper_id: str) -> bytes:
    """The PDF of the arXiv paper ``paper_id``; :class:`~paperfeed.errors.FetchError` when arXiv does not
    give it (after the client's retries), :class:`CoverError` when what it gives is not a whole PDF."""
    answer = client.get(pdf_address(pdf_url, paper_id))
    if answer.truncated:
        raise CoverError(f"the PDF is larger than {len(answer.body) // 2**20} MiB; it was not read")
    if PDF_MAGIC not in answer.body[:MAGIC_WINDOW]:
        kind = answer.headers.get("Content-Type", "no Content-Type").split(";")[0].strip()
        raise CoverError(f"the answer is not a PDF ({kind}, {len(answer.body):,} bytes)")
    return answer.body
