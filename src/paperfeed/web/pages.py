"""HTML pages (server-rendered with Jinja2; they work without JavaScript)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed import formatting
from paperfeed.catalog import citations, listings
from paperfeed.community import comments
from paperfeed.errors import InvalidInput
from paperfeed.ids import arxiv_abs_url, arxiv_pdf_url, parse_paper_id
from paperfeed.periods import Period, day_period, parse_day, parse_month, parse_week, week_period
from paperfeed.search.query import parse_search_query
from paperfeed.search.filters import search_filters
from paperfeed.web.sessions import current_user
from paperfeed.web.deps import ConnectionDep, NowDep, SettingsDep, render, site_url, wants_markdown

PAGE_SIZE = 50
SIMILAR_PAPERS = 6
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="page number, from 1")]


@router.get("/")
def front_page(request: Request, connection: ConnectionDep, now: NowDep, page: PageNumber = 1) -> Response:
    """The latest day with listings."""
    latest = listings.latest_day(connection, today=now.date())
    if latest is None:
        return render(request, "empty.html")
    return _listing(request, connection, day_period(latest), page=page, is_front=True)


@router.get("/papers/date/{day}")
def day_page(day: str, request: Request, connection: ConnectionDep, page: PageNumber = 1) -> Response:
    return _listing(request, connection, day_period(parse_day(day, field="date")), page=page)


@router.get("/papers/week/{week}")
def week_page(week: str, request: Request, connection: ConnectionDep, page: PageNumber = 1) -> Response:
    return _listing(request, connection, parse_week(week), page=page)


@router.get("/papers/month/{month}")
def month_page(month: str, request: Request, connection: ConnectionDep, page: PageNumber = 1) -> Response:
    return _listing(request, connection, parse_month(month), page=page)


@router.get("/papers/week")
def this_week(connection: ConnectionDep, now: NowDep) -> Response:
    latest = listings.latest_day(connection, today=now.date()) or now.date()
    return RedirectResponse(f"/papers/week/{week_period(latest).key}", status_code=302)


@router.get("/papers/month")
def this_month(connection: ConnectionDep, now: NowDep) -> Response:
    latest = listings.latest_day(connection, today=now.date()) or now.date()
    return RedirectResponse(f"/papers/month/{latest:%Y-%m}", status_code=302)


def _listing(request: Request, connection, period: Period, *, page: int, is_front: bool = False) -> Response:
    listing = listings.listing_page(connection, period, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "listing.html", listing=listing, page=page, page_size=PAGE_SIZE, is_front=is_front)


@router.get("/papers/trending")
def trending_page(
    request: Request, connection: ConnectionDep, settings: SettingsDep, now: NowDep, page: PageNumber = 1
) -> Response:
    trending = listings.trending_page(
        connection, now=now, window_days=settings.trending_window_days, gravity=settings.trending_gravity,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )
    return render(request, "trending.html", trending=trending, page=page, page_size=PAGE_SIZE)


@router.get("/search")
def search_page(
    request: Request,
    connection: ConnectionDep,
    q: str = "",
    since: str = "",
    until: str = "",
    category: str = "",
    like: str = "",
    page: PageNumber = 1,
    go: bool = False,
    sort: Annotated[str, Query(pattern="^(relevance|newest|upvotes)$")] = "relevance",
    exact: bool = False,
) -> Response:
    """Search results, or the reason the query cannot be searched, on the same page as the form.
    With ``go`` (the header's search box), a query that names a paper this site holds goes
    straight to its page."""
    form = {"q": q, "since": since, "until": until, "category": category, "sort": sort, "exact": exact}
    like_paper = None
    if like.strip():
        detail = listings.paper_detail(connection, like)
        like_paper, form["q"] = detail.paper.id, q or detail.paper.title
    if not form["q"].strip():
        return render(request, "search.html", form=form, response=None, problem=None, page=page)
    try:
        query = parse_search_query(form["q"])
        filters = search_filters(since=since or None, until=until or None, categories=category.split(","))
    except InvalidInput as problem:
        return render(request, "search.html", form=form, response=None, problem=str(problem), page=page,
                       status_code=400)
    response = request.app.state.search.search(connection, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                               filters=filters, like_paper=like_paper, sort=sort, exact=exact)
    if go and response.found_reference is not None:
        return RedirectResponse(f"/papers/{response.found_reference.id}", status_code=303)
    return render(request, "search.html", form=form, response=response, problem=None, page=page,
                   page_size=PAGE_SIZE)


@router.get("/papers/{paper_id:path}.md")
def paper_markdown(paper_id: str, request: Request, connection: ConnectionDep) -> Response:
    """The paper as Markdown, as Hugging Face's ``/papers/{id}.md`` (``huggingface_hub``'s
    ``read_paper``, ``hf papers read``)."""
    canonical = parse_paper_id(paper_id).canonical
    if canonical != paper_id:
        return RedirectResponse(f"/papers/{canonical}.md", status_code=301)
    return _markdown_of(request, connection, canonical)


@router.get("/papers/{paper_id:path}")
def paper_page(paper_id: str, request: Request, connection: ConnectionDep) -> Response:
    """The paper's page; the paper as Markdown for a client that asks for it (``Accept: text/markdown``)."""
    canonical = parse_paper_id(paper_id).canonical
    if canonical != paper_id:
        return RedirectResponse(f"/papers/{canonical}", status_code=301)
    if wants_markdown(request):
        return _markdown_of(request, connection, canonical)
    response = _paper_html(request, connection, canonical)
    response.headers.add_vary_header("Accept")
    return response


def _markdown_of(request: Request, connection, paper_id: str) -> Response:
    detail = listings.paper_detail(connection, paper_id)
    text = formatting.paper_markdown(detail.paper, detail.listing, page_url=f"{site_url(request)}/papers/{paper_id}")
    return Response(text, media_type="text/markdown", headers={"Vary": "Accept"})


def _paper_html(request: Request, connection, canonical: str) -> Response:
    detail = listings.paper_detail(connection, canonical)
    similar = request.app.state.search.similar(connection, detail.paper, limit=SIMILAR_PAPERS)
    viewer = current_user(request)
    discussion = comments.thread(connection, canonical, viewer)
    return render(
        request, "paper.html", detail=detail, paper=detail.paper, similar=similar,
        abs_url=arxiv_abs_url(canonical), pdf_url=arxiv_pdf_url(canonical), discussion=discussion,
        comment_count=comments.count_visible(discussion), viewer=viewer, moderator=comments.is_moderator(viewer),
        reported=request.query_params.get("reported"), cite=citations.citations(detail.paper),
    )
