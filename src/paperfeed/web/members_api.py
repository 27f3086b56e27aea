"""The members' JSON API: comments and collections (``/api``).

Clients authenticate with a personal access token (``Authorization: Bearer``)
or the session cookie; writes use POST, PUT and DELETE. Every route checks
ownership in the library layer (:mod:`paperfeed.community.comments`,
:mod:`paperfeed.community.collections`): another member's private collection is "not
found", another member's comment "not allowed".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from paperfeed.catalog import listings
from paperfeed.community import comments
from paperfeed.community import collections, votes
from paperfeed.errors import InvalidInput
from paperfeed.ids import parse_paper_id
from paperfeed.web.ratelimit import limit
from paperfeed.web.deps import ConnectionDep, NowDep, RowId
from paperfeed.web.sessions import UserDep, csrf_token, current_user, optional_user
from paperfeed.catalog.shapes import ErrorOut, PaperOut, iso_timestamp, paper_out

router = APIRouter(prefix="/api", dependencies=[limit("api")], responses={400: {"model": ErrorOut}, 401: {"model": ErrorOut},
                                             403: {"model": ErrorOut}, 404: {"model": ErrorOut}})


class CommentOut(BaseModel):
    id: int
    author: dict = Field(description="{user}: the member's name")
    html: str = Field(description="the sanitised HTML of the Markdown text ('' when deleted or hidden)")
    createdAt: str | None  # noqa: N815 (HF's field names)
    edited: bool
    deleted: bool
    hidden: bool
    replies: list[CommentOut] = []


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000, description="Markdown")
    parentId: int | None = Field(None, description="the comment this replies to")  # noqa: N815


class CommentEdit(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)


class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=400)
    public: bool = False


class MeStateOut(BaseModel):
    signedIn: bool  # noqa: N815
    username: str | None = None
    csrfToken: str | None = Field(None, description="the session's token for forms (a session only, never with a bearer token)")  # noqa: N815
    voted: list[str] = Field(description="the asked-for papers the member upvoted")
    saved: dict[str, list[int]] = Field(description="for each asked-for paper in the member's collections, their ids")
    collections: list[dict] = Field(description="the member's collections: {id, name, public}")


MAX_STATE_PAPERS = 200


class CollectionOut(BaseModel):
    id: int
    name: str
    public: bool
    owner: str
    numPapers: int  # noqa: N815
    papers: list[PaperOut] | None = None


def _comment_out(view: comments.CommentView) -> CommentOut:
    return CommentOut(id=view.id, author={"user": view.author or "[deleted]"}, html="" if view.deleted else view.html,
                      createdAt=iso_timestamp(view.created_at), edited=view.edited, deleted=view.deleted,
                      hidden=view.hidden, replies=[_comment_out(child) for child in view.children])


def _collection_out(collection: collections.Collection, papers=None) -> CollectionOut:
    return CollectionOut(id=collection.id, name=collection.name, public=collection.public, owner=collection.owner,
                         numPapers=collection.count,
                         papers=None if papers is None else [paper_out(paper) for paper in papers])


@router.get("/papers/{paper_id:path}/comments", response_model=list[CommentOut], tags=["comments"])
def list_comments(paper_id: str, request: Request, connection: ConnectionDep) -> list[CommentOut]:
    """A paper's discussion as a tree, oldest first."""
    detail = listings.paper_detail(connection, paper_id)
    return [_comment_out(view) for view in comments.thread(connection, detail.paper.id, current_user(request))]


@router.post("/papers/{paper_id:path}/comments", response_model=CommentOut, status_code=201, tags=["comments"])
def add_comment(paper_id: str, comment: CommentIn, request: Request, user: UserDep, now: NowDep) -> CommentOut:
    request.app.state.rate_limiter.hit("comment", str(user.id))
    canonical = parse_paper_id(paper_id).canonical
    comment_id = comments.add_comment(request.app.state.engine, user, canonical, comment.text,
                                      parent_id=comment.parentId, now=now)
    return _find_comment(request, canonical, comment_id, user)


@router.put("/comments/{comment_id}", response_model=CommentOut, tags=["comments"])
def edit_comment(comment_id: RowId, edit: CommentEdit, request: Request, user: UserDep, now: NowDep) -> CommentOut:
    """Change your own comment's text."""
    request.app.state.rate_limiter.hit("comment", str(user.id))
    paper_id = comments.edit_comment(request.app.state.engine, user, comment_id, edit.text, now=now)
    return _find_comment(request, paper_id, comment_id, user)


@router.delete("/comments/{comment_id}", status_code=204, tags=["comments"])
def delete_comment(comment_id: RowId, request: Request, user: UserDep, now: NowDep) -> Response:
    """Delete your own comment (its replies stay, under "deleted")."""
    comments.delete_comment(request.app.state.engine, user, comment_id, now=now)
    return Response(status_code=204)


@router.post("/comments/{comment_id}/report", status_code=204, tags=["comments"])
def report_comment(comment_id: RowId, request: Request, user: UserDep, now: NowDep,
                   reason: Annotated[str, Body(embed=True, max_length=1000)] = "") -> Response:
    """Report a comment to the moderators."""
    request.app.state.rate_limiter.hit("comment", str(user.id))
    comments.report_comment(request.app.state.engine, user, comment_id, reason, now=now)
    return Response(status_code=204)


def _find_comment(request: Request, paper_id: str, comment_id: int, viewer) -> CommentOut:
    with request.app.state.engine.connect() as connection:
        pending = list(comments.thread(connection, paper_id, viewer))
    while pending:
        view = pending.pop()
        if view.id == comment_id:
            return _comment_out(view)
        pending.extend(view.children)
    raise AssertionError(f"comment {comment_id} was just written and is not in the thread")


@router.get("/me/state", response_model=MeStateOut, tags=["members"])
def my_state(
    request: Request, connection: ConnectionDep,
    papers: Annotated[str, Query(max_length=MAX_STATE_PAPERS * 40, description="paper ids, comma-separated (at most 200)")] = "",
) -> Response:
    """What differs per member on a page of papers: whether they upvoted each, the collections holding
    each, their collections and the session's CSRF token. A page served from a cache (the same for
    everyone) fills in its member's parts from here; a visitor gets ``signedIn: false``."""
    wanted = [part.strip() for part in papers.split(",") if part.strip()]
    if len(wanted) > MAX_STATE_PAPERS:
        raise InvalidInput(f"at most {MAX_STATE_PAPERS} ids, not {len(wanted)}", field="papers")
    try:
        ids = [parse_paper_id(paper_id).canonical for paper_id in wanted]
    except InvalidInput as problem:
        raise InvalidInput(problem.reason, field="papers") from None
    user = optional_user(request)
    if user is None:
        state = MeStateOut(signedIn=False, voted=[], saved={}, collections=[])
    else:
        held = collections.holding(connection, user.id)
        mine = collections.of_member(connection, user.id, viewer=user)
        by_session = not request.headers.get("authorization")
        state = MeStateOut(
            signedIn=True, username=user.username, csrfToken=csrf_token(request) if by_session else None,
            voted=sorted(votes.voted_among(connection, user.id, ids)),
            saved={paper_id: sorted(held[paper_id]) for paper_id in ids if paper_id in held},
            collections=[{"id": c.id, "name": c.name, "public": c.public} for c in mine])
    return JSONResponse(state.model_dump(), headers={"Cache-Control": "private, no-store"})


@router.get("/collections", response_model=list[CollectionOut], tags=["collections"])
def my_collections(user: UserDep, connection: ConnectionDep) -> list[CollectionOut]:
    """Your collections, public and private."""
    return [_collection_out(c) for c in collections.of_member(connection, user.id, viewer=user)]


@router.post("/collections", response_model=CollectionOut, status_code=201, tags=["collections"])
def create_collection(collection: CollectionIn, request: Request, user: UserDep) -> CollectionOut:
    collection_id = collections.create(request.app.state.engine, user, collection.name, public=collection.public)
    return _read_collection(request, collection_id, user)


@router.get("/collections/{collection_id}", response_model=CollectionOut, tags=["collections"])
def get_collection(collection_id: RowId, request: Request, connection: ConnectionDep) -> CollectionOut:
    """A public collection, or one of yours, with its papers in order."""
    found, papers = collections.get(connection, collection_id, optional_user(request))
    return _collection_out(found, papers)


@router.put("/collections/{collection_id}", response_model=CollectionOut, tags=["collections"])
def update_collection(collection_id: RowId, collection: CollectionIn, request: Request, user: UserDep) -> CollectionOut:
    """Rename a collection of yours, or make it public or private."""
    collections.update(request.app.state.engine, user, collection_id, name=collection.name,
                             public=collection.public)
    return _read_collection(request, collection_id, user)


@router.delete("/collections/{collection_id}", status_code=204, tags=["collections"])
def delete_collection(collection_id: RowId, request: Request, user: UserDep) -> Response:
    collections.delete(request.app.state.engine, user, collection_id)
    return Response(status_code=204)


@router.put("/collections/{collection_id}/items/{paper_id:path}", response_model=CollectionOut, tags=["collections"])
def add_to_collection(collection_id: RowId, paper_id: str, request: Request, user: UserDep) -> CollectionOut:
    """Add a paper (at the end; adding it again changes nothing)."""
    collections.add_paper(request.app.state.engine, user, collection_id, parse_paper_id(paper_id).canonical)
    return _read_collection(request, collection_id, user)


@router.delete("/collections/{collection_id}/items/{paper_id:path}", response_model=CollectionOut,
               tags=["collections"])
def remove_from_collection(collection_id: RowId, paper_id: str, request: Request, user: UserDep) -> CollectionOut:
    collections.remove_paper(request.app.state.engine, user, collection_id, parse_paper_id(paper_id).canonical)
    return _read_collection(request, collection_id, user)


def _read_collection(request: Request, collection_id: int, user) -> CollectionOut:
    with request.app.state.engine.connect() as connection:
        found, papers = collections.get(connection, collection_id, user)
    return _collection_out(found, papers)



