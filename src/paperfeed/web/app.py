"""The FastAPI application factory.

Settings, the database engine and the clock are built here (or passed in by
tests), never at import time.
"""

from __future__ import annotations

import gc
import time
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import paperfeed
from paperfeed.config import Settings, secret_key
from paperfeed.observability import count, metrics
from paperfeed.db.engine import create_engine
from paperfeed.digest.subscriptions import zone_choices_with
from paperfeed.search import SearchService, embedder_factory
from paperfeed.sources.http import PoliteClient, user_agent
from paperfeed import formatting
from paperfeed.ids import hugging_face_url
from paperfeed.web import accounts, api, community, digests, feeds, members, members_api, oidc, ops, pages
from paperfeed.web.ratelimit import RateLimiter
from paperfeed.catalog.covers import CoverStore
from paperfeed.web.covers import router as covers_router
from paperfeed.members.sessions import SESSION_MAX_AGE_S
from paperfeed.web.sessions import (SESSION_COOKIE, cross_site_write, csrf_token, current_user,
                                    live_members, member_collections, member_saved_in, member_voted, signin_url)
from paperfeed.web.errors import error_response, install_error_handlers
from paperfeed.web.input_guard import RefuseNul
from paperfeed.web.openapi import install_api_docs, install_openapi
from paperfeed.web.page_cache import CachePolicy, PageCache, PageStore
from paperfeed.db.generation import SiteGeneration

WEB_DIR = Path(__file__).parent

# Content-Security-Policy: no inline scripts, nothing from other origins, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


# Work a serving process runs beside the site until it stops, e.g. the scheduler that
# `paperfeed serve` starts with PAPERFEED_SCHEDULER=true: called as task(engine, settings, stop=event).
BackgroundTask = Callable[..., None]


def create_app(
    settings: Settings | None = None,
    *,
    engine: sa.Engine | None = None,
    clock: Callable[[], datetime] | None = None,
    background: Sequence[BackgroundTask] = (),
) -> FastAPI:
    """Build the web application. ``clock`` returns the current time (tests pass a fixed one);
    each of ``background`` runs in a thread of its own from start-up to shut-down."""
    settings = settings or Settings()
    app = FastAPI(
        title=settings.site_name,
        version=paperfeed.__version__,
        description="Daily research papers: listings, trending and papers. "
        "Compatible with Hugging Face's /api/daily_papers.",
        docs_url=None,  # install_api_docs serves /api/docs, offline
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.background = tuple(background)
    app.state.engine = engine or create_engine(settings.resolved_database_url)
    app.state.clock = clock or (lambda: datetime.now(UTC))
    app.state.templates = _templates(settings)
    app.state.search = SearchService(settings.data_dir, embedder_factory=embedder_factory(settings))
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.arxiv_client = PoliteClient(user_agent=user_agent(settings.contact_email, settings.base_url),
                                          min_interval_s=settings.arxiv_delay_s, timeout_s=20, retries=2)
    app.state.oidc = oidc.oidc_client(settings)
    app.state.templates.env.globals["oidc_name"] = (settings.oidc_name or "your provider") if app.state.oidc else ""
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_api_docs(app)
    app.include_router(members_api.router)  # before api: /api/papers/{id}/comments is not a paper id
    app.include_router(api.router)
    app.include_router(ops.router)
    app.include_router(oidc.router)
    app.include_router(feeds.router)
    app.include_router(covers_router)
    app.include_router(digests.router)
    app.include_router(accounts.router)
    app.include_router(community.router)
    app.include_router(members.router)  # before pages: /papers/new is not a paper id
    app.include_router(pages.router)
    install_error_handlers(app)
    install_openapi(app)

    counted = metrics()
    policy = CachePolicy.for_freshness(settings.fresh_within_s)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        started = time.perf_counter()
        if cross_site_write(request):
            response = error_response(request, 403, "This request came from another site; it was refused.")
        else:
            response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", None) or "unmatched"
        count(counted.requests.labels(request.method, route, str(response.status_code)).inc)
        count(lambda: counted.latency.labels(request.method, route).observe(time.perf_counter() - started))
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(RefuseNul)  # inside the session middleware: its 400 page has the session
    search, covers = app.state.search, CoverStore(settings.data_dir)
    if settings.page_cache_mb:  # outside the handlers and their headers, inside the session and the hosts
        app.add_middleware(PageCache, store=PageStore(settings.page_cache_mb * 2**20),
                           generation=SiteGeneration(app.state.engine, interval_s=policy.poll_s),
                           files_version=lambda: (search.index_version(), covers.version()), policy=policy,
                           limiter=app.state.rate_limiter, members_of=partial(live_members, app.state.engine))
    hosts = [host.strip() for host in settings.allowed_hosts.split(",") if host.strip()]
    if hosts and "*" not in hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    # Added last, so it runs first: every handler sees request.session.
    app.add_middleware(SessionMiddleware, secret_key=secret_key(settings), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE_S, same_site="lax", https_only=settings.base_url.startswith("https:"))
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The startup heap (imports, templates, the app) lives as long as the process: freezing it
    # keeps Python's full garbage collections from walking it, which took the p99 of the API
    # from about 75 ms to 12 ms with 264k papers (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    stop = threading.Event()
    if app.state.settings.index_refresh_s:
        from paperfeed.search import follow_database

        threading.Thread(target=follow_database, args=(app.state.engine, app.state.settings), daemon=True,
                         kwargs={"stop": stop, "search": app.state.search},
                         name="index-follower").start()
    for task in app.state.background:
        threading.Thread(target=task, args=(app.state.engine, app.state.settings), kwargs={"stop": stop},
                         daemon=True, name=task.__name__).start()
    yield
    stop.set()
    app.state.arxiv_client.close()
    app.state.engine.dispose()


def _templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.auto_reload = False  # the templates are the package's: no look at their files per render
    templates.env.globals["site_name"] = settings.site_name
    templates.env.filters.update(formatting.FILTERS)
    # Pages only: feeds and emails keep titles and abstracts as typed.
    templates.env.filters.update(math=formatting.math_html, marked_math=formatting.marked_math_html,
                                 hugging_face_url=hugging_face_url)
    templates.env.globals["signed_in_user"] = current_user
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["signin_url"] = signin_url
    templates.env.globals["member_voted"] = member_voted
    templates.env.globals["member_collections"] = member_collections
    templates.env.globals["paper_cover"] = CoverStore(settings.data_dir).link
    templates.env.globals["member_saved_in"] = member_saved_in
    templates.env.globals["zone_groups"] = zone_choices_with
    return templates
