"""HTML pages (server-rendered with Jinja2; they work without JavaScript)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed import formatting, ranking
from paperfeed.catalog import citations, listings, organizations
from paperfeed.community import comments
from paperfeed.errors import InvalidInput
from paperfeed.ids import arxiv_abs_url, arxiv_pdf_url, parse_paper_id
from paperfeed.periods import Period, day_period, parse_day, parse_month, parse_week, week_period
from paperfeed.search import SearchRequest, phase, similar_papers
from paperfeed.web.sessions import current_user
from paperfeed.web.deps import ConnectionDep, NowDep, SettingsDep, render, site_url, wants_markdown

PAGE_SIZE = 50
# Search results a page shows: each is a snippet to read (the listing pages are lists to scan), and a
# query that is new renders them all (bench/load.py: distinct queries under load).
SEARCH_PAGE_SIZE = 20
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="page number, from 1")]


@router.get("/")
def front_page(request: Request, connection: ConnectionDep, now: NowDep, page: PageNumber = 1) -> Response:
    """The latest day with listings."""
    latest = listings.latest_day(connection, today=now.date())
    if latest is None:
        return render(request, "empty.html")
    return _listing(request, connection, day_period(latest), page=page, is_front=True)


@router.get("/papers/date")
def pick_a_day(
    request: Request, connection: ConnectionDep, now: NowDep, day: Annotated[str, Query(alias="date", max_length=40)] = "",
) -> Response:
    """The date picker's form (``<input type=date name=date>``, a GET that works without JavaScript):
    on to that day's page; a date that is not one is named above the picker, on the latest day's page."""
    try:
        chosen = parse_day(day.strip(), field="date") if day.strip() else None
    except InvalidInput as problem:
        return _listing(request, connection, _latest_period(connection, now), page=1, problem=str(problem))
    if chosen is None:
        return _listing(request, connection, _latest_period(connection, now), page=1,
                        problem="date: pick a day, then press Go")
    return RedirectResponse(f"/papers/date/{chosen.isoformat()}", status_code=303)


def _latest_period(connection, now) -> Period:
    return day_period(listings.latest_day(connection, today=now.date()) or now.date())


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


def _listing(request: Request, connection, period: Period, *, page: int, is_front: bool = False,
             problem: str | None = None) -> Response:
    """A day's, week's or month's page: a month's has its calendar, a day's its date picker."""
    listing = listings.listing_page(connection, period, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    calendar = listings.month_calendar(connection, period) if period.kind == "month" else None
    first_day, last_day = listings.listing_days(connection)
    return render(request, "listing.html", listing=listing, page=page, page_size=PAGE_SIZE, is_front=is_front,
                  calendar=calendar, first_day=first_day, last_day=last_day, problem=problem,
                  status_code=400 if problem else 200)


WeightText = Annotated[str, Query(max_length=30)]


@router.get("/papers/trending")
def trending_page(
    request: Request, connection: ConnectionDep, settings: SettingsDep, now: NowDep, page: PageNumber = 1,
    votes: WeightText = "", comments: WeightText = "", stars: WeightText = "", gravity: WeightText = "",
) -> Response:
    """Trending, with the formula's weights the reader chose (query parameters; defaults from settings).
    Weights that are not numbers in range are named on the page, above the form, with status 400."""
    form = {"votes": votes, "comments": comments, "stars": stars, "gravity": gravity}
    defaults = settings.trending_weights
    try:
        weights = ranking.parse_trending_weights(form, defaults=defaults)
    except InvalidInput as problem:
        return render(request, "trending.html", trending=None, problem=str(problem), form=form, weights=defaults,
                      defaults=defaults, weights_query="", presets=_weight_presets(defaults), status_code=400)
    trending = listings.trending_page(
        connection, now=now, window_days=settings.trending_window_days, weights=weights,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )
    return render(request, "trending.html", trending=trending, page=page, page_size=PAGE_SIZE, problem=None,
                  form=weights.as_query(), weights=weights, defaults=defaults,
                  weights_query=_weights_query(weights, defaults), presets=_weight_presets(defaults))


def _weights_query(weights: ranking.TrendingWeights, defaults: ranking.TrendingWeights) -> str:
    """The query string that asks for ``weights`` ("" for the defaults: the plain address)."""
    return "" if weights == defaults else urlencode(weights.as_query())


def _weight_presets(defaults: ranking.TrendingWeights) -> list[tuple[str, str]]:
    """Rankings one click away: one signal alone (at the site's gravity), or the defaults without age."""
    one_signal = {"votes only": (1, 0, 0), "comments only": (0, 1, 0), "stars only": (0, 0, 1)}
    presets = [(label, ranking.TrendingWeights(votes, comments, stars, defaults.gravity))
               for label, (votes, comments, stars) in one_signal.items()]
    presets.append(("age does not matter", replace(defaults, gravity=0.0)))
    return [(label, urlencode(weights.as_query())) for label, weights in presets]


@router.get("/orgs/{name:path}")
def organization_page(name: str, request: Request, connection: ConnectionDep, page: PageNumber = 1) -> Response:
    """An organisation's papers (the ``organization`` of Hugging Face's records), newest first, with a feed."""
    found = organizations.organization_page(connection, name, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "organization.html", organization=found, page=page, page_size=PAGE_SIZE)


@router.get("/search")
def search_page(
    request: Request,
    connection: ConnectionDep,
    q: str = "",
    since: str = "",
    until: str = "",
    category: str = "",
    author: str = "",
    like: str = "",
    page: PageNumber = 1,
    go: bool = False,
    sort: Annotated[str, Query(pattern="^(relevance|newest|upvotes)$")] = "relevance",
    exact: bool = False,
) -> Response:
    """Search results, or the reason the query cannot be searched, on the same page as the form.
    With ``go`` (the header's search box), a query that names a paper this site holds goes
    straight to its page."""
    form = {"q": q, "since": since, "until": until, "category": category, "author": author, "sort": sort,
            "exact": exact}
    like_paper = None
    if like.strip():
        detail = listings.paper_detail(connection, like)
        like_paper, form["q"] = detail.paper.id, q or detail.paper.title
    if not form["q"].strip() and not author.strip():
        return render(request, "search.html", form=form, response=None, problem=None, page=page)
    try:
        wanted = SearchRequest.from_parameters(q=form["q"], since=since or None, until=until or None,
                                               categories=category, author=author or None, sort=sort, page=page,
                                               page_size=SEARCH_PAGE_SIZE, like_paper=like_paper, exact=exact)
    except InvalidInput as problem:
        return render(request, "search.html", form=form, response=None, problem=str(problem), page=page,
                       status_code=400)
    response = request.app.state.search.search(connection, wanted)
    if go and response.found_reference is not None:
        return RedirectResponse(f"/papers/{response.found_reference.id}", status_code=303)
    with phase("render"):
        return render(request, "search.html", form=form, response=response, problem=None, page=page,
                      page_size=SEARCH_PAGE_SIZE)


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
    similar = similar_papers(connection, detail.paper, search=request.app.state.search, engine=request.app.state.engine)
    viewer = current_user(request)
    discussion = comments.thread(connection, canonical, viewer)
    return render(
        request, "paper.html", detail=detail, paper=detail.paper, similar=similar,
        abs_url=arxiv_abs_url(canonical), pdf_url=arxiv_pdf_url(canonical), discussion=discussion,
        comment_count=comments.count_visible(discussion), viewer=viewer, moderator=comments.is_moderator(viewer),
        reported=request.query_params.get("reported"), cite=citations.citations(detail.paper),
    )
