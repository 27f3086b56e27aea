"""Collections: named lists of papers a member keeps, private or public (shared by link),
ordered by hand; "Save" on a card or a paper page puts a paper in one or takes it out. Their
exports (BibTeX, CSL-JSON, RIS) are written by :mod:`paperfeed.catalog.citations`.

A private collection is invisible to everyone else: asking for it answers
"not found", the same as for a collection that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db import collections as collections_repo
from paperfeed.db import papers as papers_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.models import Paper

MAX_COLLECTIONS = 200
MAX_ITEMS = 2_000


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    owner: str
    owner_id: int
    name: str
    public: bool
    count: int


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 200:
        raise InvalidInput("give the collection a name (1 to 200 characters)", field="name")
    return name


def create(engine: sa.Engine, user: UserRow, name: str, *, public: bool = False) -> int:
    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        if len(of_member(connection, user.id, viewer=user)) >= MAX_COLLECTIONS:
            raise InvalidInput(f"at most {MAX_COLLECTIONS} collections", field="name")
        return collections_repo.insert_collection(connection, user.id, name=_name(name), public=public, now=now)


def of_member(connection: sa.Connection, owner_id: int, *, viewer: UserRow | None) -> list[Collection]:
    """A member's collections: all of them for the member, the public ones for anyone else."""
    rows = collections_repo.collections_of_member(connection, owner_id,
                                                  public_only=viewer is None or viewer.id != owner_id)
    return [Collection(r["id"], r["username"], r["user_id"], r["name"], r["public"], r["count"]) for r in rows]


def get(connection: sa.Connection, collection_id: int, viewer: UserRow | None) -> tuple[Collection, list[Paper]]:
    """The collection and its papers in order, if ``viewer`` may see it; else :class:`NotFound`."""
    row = collections_repo.collection_with_owner(connection, collection_id)
    if row is None or not (row["public"] or (viewer is not None and viewer.id == row["user_id"])):
        raise NotFound(f"no collection {collection_id}")
    ids = collections_repo.paper_ids_in_order(connection, collection_id)
    found = papers_repo.get_papers(connection, ids)
    papers = [found[paper_id] for paper_id in ids if paper_id in found]
    return Collection(row["id"], row["username"], row["user_id"], row["name"], row["public"], len(papers)), papers


def added_times(connection: sa.Connection, collection_id: int) -> dict[str, datetime]:
    """When each paper was added to the collection (its feed dates entries by this)."""
    return collections_repo.added_times(connection, collection_id)


def _owned(connection: sa.Connection, user: UserRow, collection_id: int) -> None:
    owner = collections_repo.owner_of(connection, collection_id)
    if owner != user.id:
        raise NotFound(f"no collection {collection_id}")  # another member's: as if it did not exist


def update(engine: sa.Engine, user: UserRow, collection_id: int, *, name: str, public: bool) -> None:
    with write_transaction(engine) as connection:
        _owned(connection, user, collection_id)
        collections_repo.update_collection(connection, collection_id, name=_name(name), public=public,
                                           now=datetime.now(UTC))


def delete(engine: sa.Engine, user: UserRow, collection_id: int) -> None:
    with write_transaction(engine) as connection:
        _owned(connection, user, collection_id)
        collections_repo.delete_collection(connection, collection_id)


def add_paper(engine: sa.Engine, user: UserRow, collection_id: int, paper_id: str) -> None:
    """Add a paper at the end; adding it again changes nothing."""
    with write_transaction(engine) as connection:
        _owned(connection, user, collection_id)
        if not papers_repo.get_papers(connection, [paper_id]):
            raise NotFound(f"no paper {paper_id}")
        count, last_position = collections_repo.item_count_and_last_position(connection, collection_id)
        if count >= MAX_ITEMS:
            raise InvalidInput(f"a collection holds at most {MAX_ITEMS:,} papers", field="paper_id")
        collections_repo.add_item_if_absent(connection, collection_id, paper_id, position=(last_position or 0) + 1,
                                            now=datetime.now(UTC))


def remove_paper(engine: sa.Engine, user: UserRow, collection_id: int, paper_id: str) -> None:
    with write_transaction(engine) as connection:
        _owned(connection, user, collection_id)
        collections_repo.remove_item(connection, collection_id, paper_id)


def move_paper(engine: sa.Engine, user: UserRow, collection_id: int, paper_id: str, *, step: int) -> None:
    """Move a paper one place up (``step=-1``) or down (``+1``), swapping with its neighbour."""
    with write_transaction(engine) as connection:
        _owned(connection, user, collection_id)
        order = collections_repo.item_positions(connection, collection_id)
        ids = [row.paper_id for row in order]
        if paper_id not in ids:
            raise NotFound(f"{paper_id} is not in this collection")
        index = ids.index(paper_id)
        other = index + (1 if step > 0 else -1)
        if not 0 <= other < len(ids):
            return
        for moved, position in ((ids[index], order[other].position), (ids[other], order[index].position)):
            collections_repo.set_position(connection, collection_id, moved, position=position)


# --- "Save" ---------------------------------------------------------------------------------


def holding(connection: sa.Connection, user_id: int) -> dict[str, set[int]]:
    """For each paper in any of the member's collections, the ids of the collections that hold it
    (read once per page: every card's "Save" control asks)."""
    held: dict[str, set[int]] = {}
    for paper_id, collection_id in collections_repo.member_items(connection, user_id):
        held.setdefault(paper_id, set()).add(collection_id)
    return held


def set_saved(engine: sa.Engine, user: UserRow, collection_id: int, paper_id: str, *, saved: bool) -> None:
    """Put the paper in the member's collection (``saved``) or take it out; repeating either
    changes nothing, so a form sent twice does what it said once."""
    if saved:
        add_paper(engine, user, collection_id, paper_id)
    else:
        remove_paper(engine, user, collection_id, paper_id)


def save_in_new(engine: sa.Engine, user: UserRow, name: str, paper_id: str) -> int:
    """Make a private collection called ``name`` (or use the member's collection of that name)
    and put the paper in it; returns the collection's id."""
    with engine.connect() as connection:
        if not papers_repo.get_papers(connection, [paper_id]):
            raise NotFound(f"no paper {paper_id}")  # before making a collection it would not go in
        same_name = next((c.id for c in of_member(connection, user.id, viewer=user) if c.name == _name(name)), None)
    collection_id = same_name or create(engine, user, name)
    add_paper(engine, user, collection_id, paper_id)
    return collection_id
