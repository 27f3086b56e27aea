"""Canonical paper ids.

A paper's canonical id is its arXiv identifier without version
(``2406.01234``, ``hep-th/9901001``) or ``source:id`` for papers from elsewhere
(``acl:2024.acl-long.1``). The arXiv identifier scheme is described at
https://info.arxiv.org/help/arxiv_identifier.html: new-style ``YYMM.NNNN[N]``
(four digits before 2015, five since) and old-style ``archive[.SC]/YYMMNNN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperfeed.errors import InvalidInput

_NEW_STYLE = re.compile(r"(?P<base>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?")
_OLD_STYLE = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?/(?P<number>\d{7})(?:v(?P<version>\d+))?"
)
_SOURCE_ID = re.compile(r"(?P<source>[a-z][a-z0-9._-]{0,31}):(?P<local>[^\s\x00-\x1f\x7f]{1,200})")
_ARXIV_PREFIX = re.compile(r"^arxiv:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PaperId:
    """A parsed paper id: ``canonical`` plus the arXiv version if one was given."""

    canonical: str
    version: int | None = None


def parse_paper_id(raw: str) -> PaperId:
    """Parse an id as written in input files or URLs into its canonical form.

    Accepts ``2406.01234``, ``2406.01234v2``, ``arXiv:2406.01234v2``,
    ``hep-th/9901001v1``, ``math.GT/0309136`` (canonical ``math/0309136``) and
    ``source:id``. Raises :class:`InvalidInput` for anything else.
    """
    if not isinstance(raw, str):
        raise InvalidInput(f"must be a string, not {type(raw).__name__}", field="id")
    text = _ARXIV_PREFIX.sub("", raw.strip())
    if match := _NEW_STYLE.fullmatch(text):
        return PaperId(match["base"], _version(match["version"]))
    if match := _OLD_STYLE.fullmatch(text):
        return PaperId(f"{match['archive'].lower()}/{match['number']}", _version(match["version"]))
    if match := _SOURCE_ID.fullmatch(text):
        if match["source"] == "arxiv":
            return parse_paper_id(match["local"])
        return PaperId(text)
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    raise InvalidInput(
        f"{shown!r} is neither an arXiv id (2406.01234, hep-th/9901001) nor source:id (acl:2024.acl-long.1)",
        field="id",
    )


def _version(text: str | None) -> int | None:
    return int(text) if text else None


def arxiv_abs_url(paper_id: str) -> str | None:
    """The arXiv abstract page of an arXiv paper; None for other sources."""
    return None if ":" in paper_id else f"https://arxiv.org/abs/{paper_id}"


def arxiv_pdf_url(paper_id: str) -> str | None:
    """The arXiv PDF of an arXiv paper; None for other sources."""
    return None if ":" in paper_id else f"https://arxiv.org/pdf/{paper_id}"


def hugging_face_url(paper_id: str) -> str | None:
    """The paper's page on Hugging Face (huggingface.co/papers/ID: new-style arXiv ids only); None otherwise."""
    return f"https://huggingface.co/papers/{paper_id}" if _NEW_STYLE.fullmatch(paper_id) else None


_ARXIV_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>.+?)(?:\.pdf)?/?$", re.IGNORECASE)


def parse_arxiv_reference(text: str) -> PaperId:
    """An arXiv paper as a member writes it: ``2406.01234``, ``arXiv:2406.01234v2``,
    ``https://arxiv.org/abs/2406.01234``, ``https://arxiv.org/pdf/2406.01234v1.pdf``; old-style ids too.
    Raises :class:`InvalidInput` (field ``arxiv_id``) for anything else."""
    raw = (text or "").strip()
    if match := _ARXIV_URL.match(raw):
        raw = match["id"]
    try:
        paper_id = parse_paper_id(raw)
    except InvalidInput:
        paper_id = None
    if paper_id is None or ":" in paper_id.canonical:
        shown = raw if len(raw) <= 80 else raw[:77] + "..."
        raise InvalidInput(f"{shown!r} is not an arXiv id or link (2406.01234, https://arxiv.org/abs/2406.01234)",
                           field="arxiv_id")
    return paper_id
