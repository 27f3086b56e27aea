"""Small formatting helpers for the templates, and a paper as Markdown."""

from __future__ import annotations

import hashlib
import re
import textwrap
from datetime import date

from paperfeed.ids import arxiv_abs_url, arxiv_pdf_url
from paperfeed.models import Listing, Paper

MAIL_WIDTH = 78  # RFC 5322 §2.1.1: a line of a mail SHOULD be at most 78 characters


def short_authors(names: list[str], limit: int = 4) -> str:
    """``A, B, C, D and 7 others``: long author lists stay on one line of a card (one more name
    is shown rather than "and 1 others")."""
    if len(names) <= limit + 1:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} others"


def thousands(value: int | None) -> str:
    """``12345`` -> ``12,345``; ``1500`` stars read as ``1.5k`` in tight places is not worth the ambiguity."""
    return f"{value or 0:,}"


def long_date(value: date | None) -> str:
    return value.strftime("%d %B %Y").lstrip("0") if value else ""


def github_name(url: str | None) -> str:
    """``https://github.com/org/repo`` -> ``org/repo`` (other hosts: the URL without scheme)."""
    if not url:
        return ""
    text = url.split("://", 1)[-1].rstrip("/")
    return text.removeprefix("github.com/").removeprefix("www.github.com/")


def mail_lines(text: str, *, indent: str = "", first: str = "") -> list[str]:
    """``text`` as the lines of a plain-text mail: at most :data:`MAIL_WIDTH` characters, the first
    starting with ``first`` and the others with ``indent``; a word longer than that (a link) is
    never broken, so it may stand alone on a longer line."""
    return textwrap.wrap(" ".join(text.split()), MAIL_WIDTH, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


AVATAR_COLOURS = 12  # .avatar-0 ... .avatar-11 in paperfeed.css, each readable in light and dark
# Where a name's words begin: after a space, hyphen, underscore, dot or digit, and at a capital
# after a small letter (camelCase user names: SteveZeyuZhang -> S, Z, Z).
_NAME_WORD = re.compile(r"[^\W\d_]+")
_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def initials(name: str | None) -> str:
    """What a generated avatar shows: the first letters of a name's first and last words, upper
    case (``Franck-Dernoncourt`` -> ``FD``, ``Tencent Hunyuan`` -> ``TH``, ``akhaliq`` -> ``A``,
    ``SteveZeyuZhang`` -> ``SZ``); ``?`` for a name without letters."""
    words = [part for word in _NAME_WORD.findall(name or "") for part in _CAMEL_CASE.split(word) if part]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def avatar_colour(name: str | None) -> int:
    """The colour of a name's avatar: the first 4 bytes of SHA-256 of the name (case folded) modulo
    :data:`AVATAR_COLOURS`, so a name has the same colour on every page, every run and every node
    (Python's ``hash`` of a string changes from one process to the next)."""
    digest = hashlib.sha256((name or "").casefold().encode()).digest()
    return int.from_bytes(digest[:4], "big") % AVATAR_COLOURS


FILTERS = {"short_authors": short_authors, "thousands": thousands, "long_date": long_date,
           "github_name": github_name, "initials": initials, "avatar_colour": avatar_colour}


# CommonMark's backslash escapes (spec 0.31, section 2.4): the characters that could start
# emphasis, code, a link, raw HTML or an entity, anywhere, and a heading at the start of a line.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>&]|^#", re.MULTILINE)


def markdown_text(text: str) -> str:
    """``text`` escaped so that Markdown shows it as typed: no title or abstract adds markup."""
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(), text)


def _markdown_link(url: str) -> str:
    """A CommonMark autolink; ``<`` and ``>`` (never in a stored URL's path, but possible) percent-encoded."""
    return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"


def paper_markdown(paper: Paper, listing: Listing | None, *, page_url: str) -> str:
    """The paper as one Markdown document, the counterpart of Hugging Face's ``/papers/{id}.md``
    (what ``huggingface_hub``'s ``read_paper`` and ``hf papers read`` return): the title, authors,
    links and abstract, then what this site knows besides (listing, votes, AI summary and keywords,
    categories, organisation, arXiv's comments). Returns CommonMark text ending in a newline."""
    lines = [f"# {markdown_text(paper.title)}", ""]
    if paper.authors:
        lines += [f"**Authors:** {markdown_text(', '.join(paper.authors))}", ""]
    lines += [f"- {name}: {_markdown_link(url)}" for name, url in _paper_links(paper, page_url)]
    lines += ["", " · ".join(_paper_facts(paper, listing)), "", "## Abstract", ""]
    for paragraph in paper.abstract.split("\n\n") if paper.abstract else ["(no abstract)"]:
        lines += [markdown_text(paragraph), ""]
    if paper.ai_summary:
        lines += ["## AI summary", "", markdown_text(paper.ai_summary), ""]
    if paper.ai_keywords:
        lines += [f"**AI keywords:** {markdown_text(', '.join(paper.ai_keywords))}", ""]
    lines += ["## Details", ""] + [f"- {name}: {markdown_text(value)}" for name, value in _paper_details(paper)]
    return "\n".join(lines) + "\n"


def _paper_links(paper: Paper, page_url: str) -> list[tuple[str, str]]:
    links = [("Paper page", page_url), ("arXiv", arxiv_abs_url(paper.id)), ("PDF", arxiv_pdf_url(paper.id)),
             ("Code", paper.github_repo), ("Project page", paper.project_page),
             ("DOI", f"https://doi.org/{paper.doi}" if paper.doi else None)]
    return [(name, url) for name, url in links if url]


def _paper_facts(paper: Paper, listing: Listing | None) -> list[str]:
    facts = []
    if paper.published_on:
        facts.append(f"**Published:** {paper.published_on.isoformat()}")
    if listing:
        by = f" by {markdown_text(listing.submitted_by)}" if listing.submitted_by else ""
        facts.append(f"**Listed:** {listing.listed_on.isoformat()}{by}")
    facts += [f"**Upvotes:** {paper.upvotes}", f"**Comments:** {paper.num_comments}"]
    if paper.github_repo and paper.github_stars is not None:
        facts.append(f"**Code stars:** {thousands(paper.github_stars)}")
    return facts


def _paper_details(paper: Paper) -> list[tuple[str, str]]:
    version = f" (version {paper.version})" if paper.version else ""
    details = [("Id", paper.id + version), ("Categories", ", ".join(paper.categories)),
               ("Organization", paper.organization), ("arXiv comments", paper.comments)]
    return [(name, value) for name, value in details if value]
