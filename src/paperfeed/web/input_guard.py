"""Refusing the NUL character wherever a request carries text: the path, the query string, a form
field or a JSON body. Nobody means to send it, PostgreSQL cannot store it in text (SQLite can, so
the two databases would disagree), and a 400 that names the field beats a database error.

A pure ASGI middleware: it reads a form or JSON body once, checks it, and hands the same bytes on.
Multipart bodies (file uploads) are left to their handlers.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.web.errors import error_response

NUL = "\x00"
CHECKED_BODIES = ("application/x-www-form-urlencoded", "application/json")
MAX_CHECKED_BODY = 4 * 2**20  # larger bodies are refused by the routes' own limits anyway


def nul_in_query(query: str) -> str | None:
    """The name of the first parameter of a query string (or a form body) holding NUL."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if NUL in name or NUL in value:
            return name.replace(NUL, "") or "query"
    return None


def nul_in_json(data: object, where: str = "body") -> str | None:
    """The path (``body.items.0.name``) of the first string in ``data`` holding NUL."""
    if isinstance(data, str):
        return where if NUL in data else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if NUL in str(key):
            return where
        found = nul_in_json(value, f"{where}.{key}")
        if found:
            return found
    return None


class RefuseNul:
    """400 for a request whose path, query, form or JSON body holds NUL, naming where it was."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = "path" if NUL in unquote(scope.get("path", "")) else nul_in_query(scope.get("query_string", b"")
                                                                                  .decode("latin-1"))
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1").split(";")[0]
        if field is None and content_type.strip() in CHECKED_BODIES:
            body, receive = await _buffered(receive)
            field = _nul_in_body(body, content_type.strip())
        if field is None:
            await self.app(scope, receive, send)
            return
        response = error_response(Request(scope), 400, f"{field}: the NUL character is not allowed", field=field)
        await response(scope, receive, send)


def _nul_in_body(body: bytes, content_type: str) -> str | None:
    if len(body) > MAX_CHECKED_BODY:
        return None
    text = body.decode("utf-8", errors="replace")
    if content_type == "application/x-www-form-urlencoded":
        return nul_in_query(text)
    try:
        return nul_in_json(json.loads(text))
    except ValueError:
        return None  # not JSON: the route answers that itself


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that hands the same messages on to the app."""
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay
