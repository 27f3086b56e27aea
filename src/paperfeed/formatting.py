"""Small formatting helpers for the templates."""

from __future__ import annotations

import textwrap
from datetime import date

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


FILTERS = {"short_authors": short_authors, "thousands": thousands, "long_date": long_date,
           "github_name": github_name}
