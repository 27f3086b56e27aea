"""Repository for members' collections of papers and the papers in them (``collection_items``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from paperfeed.db import dialect
from paperfeed.db.tables import collection_items, collections, users


def insert_collection(connection: sa.Connection, user_id: int, *, name: str, public: bool, now: datetime) -> int:
    """Insert a collection; returns the new id. The caller checks the name and the member's limit."""
    result = connection.execute(collections.insert().values(user_id=user_id, name=name, public=public,
                                                            created_at=now, updated_at=now))
    return result.inserted_primary_key[0]


def collections_of_member(connection: sa.Connection, owner_id: int, *, public_only: bool) -> list[dict]:
    """A member's collections (only the public ones with ``public_only``), by name: each row's columns,
    the owner's ``username`` and the ``count`` of papers in it."""
    count = (sa.select(sa.func.count()).where(collection_items.c.collection_id == collections.c.id)
             .scalar_subquery())
    query = (sa.select(collections, users.c.username, count.label("count"))
             .join(users, users.c.id == collections.c.user_id)
             .where(collections.c.user_id == owner_id).order_by(collections.c.name, collections.c.id))
    if public_only:
        query = query.where(collections.c.public.is_(True))
    return [dict(row) for row in connection.execute(query).mappings()]


def owned_collections(connection: sa.Connection, user_id: int) -> list[tuple[int, str, bool]]:
    """``(id, name, public)`` of each of a member's collections, oldest (lowest id) first."""
    query = (sa.select(collections.c.id, collections.c.name, collections.c.public)
             .where(collections.c.user_id == user_id).order_by(collections.c.id))
    return [tuple(row) for row in connection.execute(query)]


def collection_with_owner(connection: sa.Connection, collection_id: int) -> dict | None:
    """The collection's columns and its owner's ``username``; None if there is no such collection."""
    query = (sa.select(collections, users.c.username).join(users, users.c.id == collections.c.user_id)
             .where(collections.c.id == collection_id))
    row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def owner_of(connection: sa.Connection, collection_id: int) -> int | None:
    """The id of the member who owns the collection; None if there is no such collection."""
    return connection.execute(sa.select(collections.c.user_id).where(collections.c.id == collection_id)).scalar()


def update_collection(connection: sa.Connection, collection_id: int, *, name: str, public: bool,
                      now: datetime) -> None:
    """Rename the collection and set whether it is public."""
    connection.execute(collections.update().where(collections.c.id == collection_id)
                       .values(name=name, public=public, updated_at=now))


def delete_collection(connection: sa.Connection, collection_id: int) -> None:
    """Remove the collection, its items first."""
    connection.execute(collection_items.delete().where(collection_items.c.collection_id == collection_id))
    connection.execute(collections.delete().where(collections.c.id == collection_id))


def paper_ids_in_order(connection: sa.Connection, collection_id: int) -> list[str]:
    """The ids of the papers in the collection, in the member's order."""
    query = (sa.select(collection_items.c.paper_id).where(collection_items.c.collection_id == collection_id)
             .order_by(collection_items.c.position))
    return list(connection.execute(query).scalars())


def added_times(connection: sa.Connection, collection_id: int) -> dict[str, datetime]:
    """When each paper was added to the collection, by paper id."""
    rows = connection.execute(sa.select(collection_items.c.paper_id, collection_items.c.added_at)
                              .where(collection_items.c.collection_id == collection_id))
    return dict(rows.all())


def item_count_and_last_position(connection: sa.Connection, collection_id: int) -> tuple[int, int | None]:
    """How many papers the collection holds, and the highest position (None when it is empty)."""
    query = (sa.select(sa.func.count(), sa.func.max(collection_items.c.position))
             .where(collection_items.c.collection_id == collection_id))
    count, last = connection.execute(query).one()
    return count, last


def add_item_if_absent(connection: sa.Connection, collection_id: int, paper_id: str, *, position: int,
                       now: datetime) -> bool:
    """Put the paper in the collection at ``position``; True if it was not there already."""
    row = {"collection_id": collection_id, "paper_id": paper_id, "position": position, "added_at": now}
    return dialect.insert_one_if_absent(connection, collection_items, row)


def remove_item(connection: sa.Connection, collection_id: int, paper_id: str) -> None:
    """Take the paper out of the collection (nothing happens if it is not in it)."""
    connection.execute(collection_items.delete().where(collection_items.c.collection_id == collection_id,
                                                       collection_items.c.paper_id == paper_id))


def item_positions(connection: sa.Connection, collection_id: int) -> list[sa.Row]:
    """Rows ``(paper_id, position)`` of the papers in the collection, by position."""
    query = (sa.select(collection_items.c.paper_id, collection_items.c.position)
             .where(collection_items.c.collection_id == collection_id).order_by(collection_items.c.position))
    return list(connection.execute(query).all())


def set_position(connection: sa.Connection, collection_id: int, paper_id: str, *, position: int) -> None:
    """Set the position of a paper in the collection."""
    connection.execute(collection_items.update().where(collection_items.c.collection_id == collection_id,
                                                       collection_items.c.paper_id == paper_id)
                       .values(position=position))


def member_items(connection: sa.Connection, user_id: int) -> list[tuple[str, int]]:
    """``(paper_id, collection_id)`` of every paper in any of a member's collections."""
    query = (sa.select(collection_items.c.paper_id, collection_items.c.collection_id)
             .join(collections, collections.c.id == collection_items.c.collection_id)
             .where(collections.c.user_id == user_id))
    return [tuple(row) for row in connection.execute(query)]
