"""Small formatting helpers for the templates."""

from __future__ import annotations

from datetime import date


def short_authors(names: list[str], limit: int = 4) -> str:
    """``A, B, C, D and 7 others``: long author lists stay on one line of a card."""
    if len(names) <= limit:
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


FILTERS = {"short_authors": short_authors, "thousands": thousands, "long_date": long_date,
           "github_name": github_name}
