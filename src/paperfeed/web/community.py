"""The community: comments and moderation, collections and the library, author pages, follows
and the personal feed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paperfeed.catalog import citations, listings
from paperfeed.community import comments
from paperfeed.community import collections
from paperfeed.db import papers as papers_repo
from paperfeed.db import votes as votes_repo
from paperfeed.errors import Forbidden, InvalidInput
from paperfeed.models import Paper
from paperfeed.sources.arxiv_taxonomy import ARCHIVES, categories_of

from paperfeed.web.deps import MAX_ROW_ID, ConnectionDep, NowDep, RowId, render
from paperfeed.web.sessions import (UserDep, check_csrf, current_user, member_collections, member_saved_in,
                                    safe_next)

router = APIRouter()


# --- comments and moderation -----------------------------------------------------------------


@router.post("/papers/{paper_id:path}/comments", include_in_schema=False)
def comment_add(
    paper_id: str, request: Request, user: UserDep, now: NowDep, body: Annotated[str, Form(max_length=20_000)] = "",
    parent_id: Annotated[int | None, Form()] = None, csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    request.app.state.rate_limiter.hit("comment", str(user.id))
    comment_id = comments.add_comment(request.app.state.engine, user, paper_id, body, parent_id=parent_id, now=now)
    return RedirectResponse(f"/papers/{paper_id}#comment-{comment_id}", status_code=303)


@router.post("/comments/{comment_id}/edit", include_in_schema=False)
def comment_edit(
    comment_id: RowId, request: Request, user: UserDep, now: NowDep, body: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    paper_id = comments.edit_comment(request.app.state.engine, user, comment_id, body, now=now)
    return RedirectResponse(f"/papers/{paper_id}#comment-{comment_id}", status_code=303)


@router.post("/comments/{comment_id}/delete", include_in_schema=False)
def comment_delete(comment_id: RowId, request: Request, user: UserDep, now: NowDep,
                   csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    paper_id = comments.delete_comment(request.app.state.engine, user, comment_id, now=now)
    return RedirectResponse(f"/papers/{paper_id}#comments", status_code=303)


@router.post("/comments/{comment_id}/report", include_in_schema=False)
def comment_report(
    comment_id: RowId, request: Request, user: UserDep, now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    paper_id = comments.report_comment(request.app.state.engine, user, comment_id, reason, now=now)
    return RedirectResponse(f"/papers/{paper_id}?reported={comment_id}#comment-{comment_id}", status_code=303)


@router.get("/moderation", include_in_schema=False)
def moderation_page(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """The moderators' queue: reported comments, most reported first."""
    from paperfeed.db import comments as comments_repo

    if not comments.is_moderator(user):
        raise Forbidden("only moderators see this page (paperfeed user promote NAME --role moderator)")
    return render(request, "moderation.html", reports=comments_repo.open_reports(connection))


@router.post("/moderation/{comment_id}", include_in_schema=False)
def moderation_action(
    comment_id: RowId, request: Request, user: UserDep, now: NowDep,
    action: Annotated[str, Form(pattern="^(hide|ban|dismiss)$")] = "hide", csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    comments.moderate(request.app.state.engine, user, comment_id, action=action, now=now)
    return RedirectResponse("/moderation", status_code=303)


# --- collections and the library -------------------------------------------------------------


@router.get("/library", include_in_schema=False)
def library_page(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """A member's collections and upvoted papers."""
    upvoted = papers_repo.get_papers(connection, votes_repo.voted_paper_ids(connection, user.id))
    return render(request, "library.html", active="library", collections=collections.of_member(
        connection, user.id, viewer=user), upvoted=list(upvoted.values()))


@router.post("/collections", include_in_schema=False)
def collection_create(request: Request, user: UserDep, name: Annotated[str, Form(max_length=400)] = "",
                      public: Annotated[bool, Form()] = False, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    collection_id = collections.create(request.app.state.engine, user, name, public=public)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


# A ".csl.json" route comes before ".json" (stacked decorators register bottom-up): "5.csl" is no id.
@router.get("/collections/{collection_id}.bib", include_in_schema=False)
@router.get("/collections/{collection_id}.ris", include_in_schema=False)
@router.get("/collections/{collection_id}.json", include_in_schema=False)
@router.get("/collections/{collection_id}.csl.json", include_in_schema=False)
def collection_export(collection_id: RowId, request: Request, connection: ConnectionDep) -> Response:
    """The collection as BibTeX, CSL-JSON (``.csl.json``, or ``.json`` as before) or RIS."""
    collection, papers = collections.get(connection, collection_id, current_user(request))
    spec = citations.format_of_path(request.url.path)
    return _citation_file(papers, spec, f"collection-{collection.id}{spec.suffix}")


@router.get("/collections/{collection_id}", include_in_schema=False)
def collection_page(collection_id: RowId, request: Request, connection: ConnectionDep) -> Response:
    viewer = current_user(request)
    collection, papers = collections.get(connection, collection_id, viewer)
    return render(request, "collection.html", collection=collection, papers=papers,
                   owner=viewer is not None and viewer.id == collection.owner_id)


@router.post("/collections/{collection_id}/settings", include_in_schema=False)
def collection_settings(collection_id: RowId, request: Request, user: UserDep,
                        name: Annotated[str, Form(max_length=400)] = "", public: Annotated[bool, Form()] = False,
                        csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    collections.update(request.app.state.engine, user, collection_id, name=name, public=public)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/collections/{collection_id}/delete", include_in_schema=False)
def collection_delete(collection_id: RowId, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    collections.delete(request.app.state.engine, user, collection_id)
    return RedirectResponse("/library", status_code=303)


@router.post("/collections/{collection_id}/items", include_in_schema=False)
def collection_add(collection_id: RowId, request: Request, user: UserDep,
                   paper_id: Annotated[str, Form(max_length=240)] = "", csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    collections.add_paper(request.app.state.engine, user, collection_id, paper_id)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/collections/{collection_id}/items/{paper_id:path}/{change}", include_in_schema=False)
def collection_change_item(collection_id: RowId, paper_id: str, change: str, request: Request, user: UserDep,
                           csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    engine = request.app.state.engine
    if change == "remove":
        collections.remove_paper(engine, user, collection_id, paper_id)
    elif change in ("up", "down"):
        collections.move_paper(engine, user, collection_id, paper_id, step=-1 if change == "up" else 1)
    else:
        raise InvalidInput("remove, up or down", field="change")
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


# --- "Save", citations and exports ------------------------------------------------------------


def _citation_file(papers: list[Paper], spec: citations.CitationFormat, file_name: str) -> Response:
    """A reference file to download: the format's media type, an attachment with ``file_name``."""
    return Response(spec.write(papers), media_type=spec.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@router.get("/papers/{paper_id:path}.bib", include_in_schema=False)
@router.get("/papers/{paper_id:path}.ris", include_in_schema=False)
@router.get("/papers/{paper_id:path}.csl.json", include_in_schema=False)
def paper_citation(paper_id: str, request: Request, connection: ConnectionDep) -> Response:
    """The paper as a reference file (the "Download" of the paper page's "Cite")."""
    paper = listings.paper_detail(connection, paper_id).paper
    spec = citations.format_of_path(request.url.path)
    return _citation_file([paper], spec, citations.file_name(paper, spec))


@router.get("/library/upvotes.bib", include_in_schema=False)
@router.get("/library/upvotes.ris", include_in_schema=False)
@router.get("/library/upvotes.csl.json", include_in_schema=False)
def upvotes_export(request: Request, user: UserDep, connection: ConnectionDep) -> Response:
    """Every paper the member upvoted, most recent first, as BibTeX, CSL-JSON or RIS."""
    ids = votes_repo.voted_paper_ids(connection, user.id, limit=None)
    found = papers_repo.get_papers(connection, ids)
    spec = citations.format_of_path(request.url.path)
    return _citation_file([found[i] for i in ids if i in found], spec, f"upvotes-{user.username}{spec.suffix}")


@router.post("/papers/{paper_id:path}/save", include_in_schema=False)
def save_paper(
    paper_id: str, request: Request, user: UserDep, csrf: Annotated[str, Form()] = "",
    collection_id: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
    save: Annotated[str, Form(pattern="^(add|remove)$")] = "add",
    new_collection: Annotated[str, Form(max_length=400)] = "", back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The "Save" control: put the paper in one of the member's collections or take it out
    (``collection_id``, ``save``), or save it in a new collection (``new_collection``). A plain form
    redirects back to the page it came from; save.js asks for JSON: whether the paper is saved,
    in which collections, and the control's new HTML."""
    check_csrf(request, csrf)
    engine = request.app.state.engine
    if new_collection.strip():
        collections.save_in_new(engine, user, new_collection, paper_id)
    elif collection_id is None:
        raise InvalidInput("choose a collection, or name a new one", field="collection_id")
    else:
        collections.set_saved(engine, user, collection_id, paper_id, saved=save == "add")
    back = safe_next(back)
    if not request.headers.get("accept", "").startswith("application/json"):
        return RedirectResponse(f"{back}#save-{quote(paper_id, safe='')}", status_code=303)
    with engine.connect() as connection:
        paper = listings.paper_detail(connection, paper_id).paper
    held = [c.name for c in member_collections(request) if c.id in member_saved_in(request, paper_id)]
    html = request.app.state.templates.get_template("_save_fragment.html").render(request=request, paper=paper,
                                                                                   back=back).strip()
    return JSONResponse({"saved": bool(held), "collections": held, "html": html})


# --- following and the personal feed -----------------------------------------------------------


@router.get("/authors/{name:path}", include_in_schema=False)
def author_page(name: str, request: Request, connection: ConnectionDep) -> Response:
    """An author's papers, the co-authors who tell namesakes apart, and a follow button."""
    from paperfeed.community import follows

    found = follows.papers_by_author(connection, name)
    if not found:
        from paperfeed.errors import NotFound

        raise NotFound(f"no papers by {name}")
    viewer = current_user(request)
    follows_now = viewer is not None and name in follows.followed(connection, viewer.id)["author"]
    return render(request, "author.html", name=name, papers=found,
                   coauthors=follows.frequent_coauthors(found, name), following=follows_now)


@router.post("/follows", include_in_schema=False)
def follow(request: Request, user: UserDep, kind: Annotated[str, Form(pattern="^(author|category)$")] = "author",
           value: Annotated[str, Form(max_length=300)] = "", action: Annotated[str, Form(pattern="^(follow|unfollow)$")] = "follow",
           back: Annotated[str, Form(max_length=2000)] = "/feed", csrf: Annotated[str, Form()] = "") -> Response:
    from paperfeed.community import follows

    check_csrf(request, csrf)
    follows.set_follow(request.app.state.engine, user.id, kind, value, follow=action == "follow")
    return RedirectResponse(safe_next(back), status_code=303)


@router.get("/feed", include_in_schema=False)
def feed_page(request: Request, user: UserDep, connection: ConnectionDep, now: NowDep) -> Response:
    from paperfeed.community import follows

    """The member's feed; on an archive older than the feed's window, the window ends at its latest day
    (and the page says so), as trending's does."""
    window = follows.feed_window(connection, today=now.date())
    items = follows.personal_feed(connection, user.id, request.app.state.search.vectors_of, window=window)
    token = follows.existing_feed_token(connection, user.id)
    return render(request, "feed.html", active="feed", items=items, follows=follows.followed(connection, user.id),
                   days=follows.FEED_DAYS, window=window, private_feed=f"/feeds/private/{token}" if token else None,
                   category_groups=[(archive, categories_of(archive)) for archive in ARCHIVES])


@router.post("/feed/link", include_in_schema=False)
def feed_link(request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Make the private feed URL, or replace it (the old one stops working)."""
    from paperfeed.community import follows

    check_csrf(request, csrf)
    follows.private_feed_token(request.app.state.engine, user.id, renew=True)
    return RedirectResponse("/feed#private-feed", status_code=303)
