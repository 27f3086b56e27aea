"""Organisations: the ``organization`` of Hugging Face's daily papers records (``NVIDIA``, ``Qwen``),
each with a page of its papers, newest first, and a feed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from paperfeed.catalog.listings import PaperItem
from paperfeed.db import listings as listings_repo
from paperfeed.db import papers as papers_repo
from paperfeed.errors import InvalidInput, NotFound

MAX_NAME_CHARS = 300  # the column's width (db/tables.py)


@dataclass(slots=True)
class OrganizationPage:
    """One page of an organisation's papers, newest first, each with its listing if it has one."""

    name: str
    items: list[PaperItem]
    total: int
    offset: int


def organization_page(connection: sa.Connection, name: str, *, limit: int, offset: int = 0) -> OrganizationPage:
    """The papers from the organisation called exactly ``name``, newest first (by the paper's date);
    NotFound when no paper names it."""
    check_name(name)
    total = papers_repo.count_papers_of_organization(connection, name)
    if total == 0:
        raise NotFound(f"No paper here is from an organisation called {name!r}.")
    found = papers_repo.papers_of_organization(connection, name, limit=limit, offset=offset)
    listed = listings_repo.get_listings(connection, [paper.id for paper in found])
    return OrganizationPage(name, [PaperItem(paper, listed.get(paper.id)) for paper in found], total, offset)


def check_name(name: str) -> None:
    """An organisation's name as a URL gives it: 1 to 300 characters, no control characters."""
    if not 1 <= len(name) <= MAX_NAME_CHARS or any(ord(character) < 32 for character in name):
        raise InvalidInput(f"an organisation's name has 1 to {MAX_NAME_CHARS} characters and no control "
                           "characters", field="name")
