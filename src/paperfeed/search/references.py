"""Queries that name one paper: an arXiv id or link, a Hugging Face paper link, a DOI.

A researcher pastes what they have: ``2406.11687``, ``arXiv:2406.11687v2``,
``hep-th/9901001``, ``https://arxiv.org/abs/2403.09919``, ``arxiv.org/pdf/2403.09919v1.pdf``,
``https://huggingface.co/papers/2406.11687``, ``10.1145/3368089.3409741`` or
``https://doi.org/10.1145/...``. Such a query is a lookup, not a search: it leads to that
paper, or says that this site does not hold it.

arXiv ids follow https://info.arxiv.org/help/arxiv_identifier.html (via :mod:`paperfeed.ids`);
DOIs the DOI Handbook §2.2 syntax (``10.`` registrant ``/`` suffix), compared without regard
to case (§2.4). arXiv's own DOIs, ``10.48550/arXiv.ID``, name the arXiv paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from paperfeed.errors import InvalidInput
from paperfeed.ids import parse_paper_id

_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.|export\.)?", re.IGNORECASE)
_ARXIV_URL = re.compile(r"^arxiv\.org/(?:abs|pdf|html|format)/(?P<id>.+?)(?:\.pdf)?/?$", re.IGNORECASE)
_HF_URL = re.compile(r"^(?:hf\.co|huggingface\.co)/papers/(?P<id>[^/]+?)/?$", re.IGNORECASE)
_DOI_URL = re.compile(r"^(?:dx\.)?doi\.org/(?P<doi>.+)$", re.IGNORECASE)
_DOI = re.compile(r"^(?:doi:\s*)?(?P<doi>10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_ARXIV_ID_SHAPE = re.compile(r"^(?:arxiv:)?(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?$",
                             re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PaperReference:
    """One paper, as named by the query: an arXiv id (canonical, with the version if given) or a DOI."""

    kind: Literal["arxiv", "doi"]
    value: str  # 2406.11687, hep-th/9901001, or the DOI in lower case
    version: int | None = None

    def __str__(self) -> str:
        if self.kind == "doi":
            return f"DOI {self.value}"
        return f"arXiv:{self.value}" + (f"v{self.version}" if self.version else "")


def paper_reference(text: str) -> PaperReference | None:
    """The paper ``text`` names, or None when it is an ordinary query."""
    candidate = text.strip().strip("<>\"'").strip()
    if not candidate or any(character.isspace() for character in candidate):
        return None
    bare = _URL_PREFIX.sub("", candidate, count=1)
    for pattern in (_ARXIV_URL, _HF_URL):
        if match := pattern.match(bare):
            return _arxiv(match["id"].split("?")[0].split("#")[0])
    if match := _DOI_URL.match(bare):
        return _doi(unquote(match["doi"]))
    if match := _DOI.match(candidate):
        return _doi(match["doi"])
    if _ARXIV_ID_SHAPE.match(candidate):
        return _arxiv(candidate)
    return None


def _arxiv(raw: str) -> PaperReference | None:
    try:
        parsed = parse_paper_id(raw)
    except InvalidInput:
        return None
    if ":" in parsed.canonical:  # source:id, not an arXiv id
        return None
    return PaperReference("arxiv", parsed.canonical, parsed.version)


def _doi(raw: str) -> PaperReference | None:
    doi = raw.strip().rstrip(".,;")
    if match := _ARXIV_DOI.match(doi):
        return _arxiv(match["id"])
    return PaperReference("doi", doi.lower()) if _DOI.match(doi) else None
