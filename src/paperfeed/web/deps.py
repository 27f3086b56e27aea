"""Request helpers: a database connection, the settings, the clock, the site's URL, rendering a page,
whether the client asked for Markdown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Path, Request

from paperfeed.config import Settings


def _connection(request: Request) -> Iterator[sa.Connection]:
    with request.app.state.engine.connect() as connection:
        request.state.connection = connection
        try:
            yield connection
        finally:
            request.state.connection = None


@contextmanager
def request_connection(request: Request) -> Iterator[sa.Connection]:
    """The connection this request already holds (its ``ConnectionDep``), or one of its own: a page
    that asks for the member's votes while rendering never waits for a second connection of the
    pool while holding one (with every pooled connection held so, the process would stall)."""
    held = getattr(request.state, "connection", None)
    if held is not None:
        yield held
        return
    with request.app.state.engine.connect() as connection:
        yield connection


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


ConnectionDep = Annotated[sa.Connection, Depends(_connection)]
SettingsDep = Annotated[Settings, Depends(_settings)]
NowDep = Annotated[datetime, Depends(_now)]


# Row ids in URLs: at most PostgreSQL's INTEGER (SQLite's would be 2^63); a larger or negative one is a
# 400 naming the parameter, not a database error.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def site_url(request: Request) -> str:
    """The site's public URL for links that leave the request (emails, feeds): from configuration,
    ``PAPERFEED_BASE_URL`` or the address `paperfeed serve` listens on, never from the request's
    ``Host`` header, which anyone can set (a reset link to attacker.example, a cached feed of them)."""
    return request.app.state.settings.public_url


def render(request: Request, template: str, *, status_code: int = 200, **context):
    """The page ``template`` (Jinja2, in web/templates) with ``context``."""
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def wants_markdown(request: Request) -> bool:
    """Whether a request asks for Markdown: a ``.md`` address, or an ``Accept`` header that ranks
    ``text/markdown`` at least as high as HTML (Hugging Face answers ``Accept: text/markdown`` on a
    paper page with the paper as Markdown)."""
    return prefers_markdown(request.url.path, request.headers.get("accept", ""))


def prefers_markdown(path: str, accept: str) -> bool:
    """:func:`wants_markdown` of a path and an ``Accept`` header."""
    if path.endswith(".md"):
        return True
    quality = accepted_qualities(accept)
    markdown = quality.get("text/markdown", 0.0)
    html = quality.get("text/html", quality.get("text/*", quality.get("*/*", 0.0)))
    return markdown > 0 and markdown >= html


def accepted_qualities(accept: str) -> dict[str, float]:
    """``{media type: q}`` of an ``Accept`` header (RFC 9110, section 12.5.1); a malformed q counts as 0."""
    quality: dict[str, float] = {}
    for item in accept.lower().split(","):
        media_type, *parameters = (piece.strip() for piece in item.split(";"))
        q = next((value for name, _, value in (parameter.partition("=") for parameter in parameters)
                  if name.strip() == "q"), "1")
        try:
            quality[media_type] = min(max(float(q), 0.0), 1.0)
        except ValueError:
            quality[media_type] = 0.0
    return quality
