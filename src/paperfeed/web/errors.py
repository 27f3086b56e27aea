"""Turning errors into answers: a friendly page for browsers, ``{error, field}`` JSON for the API.

User input never produces a traceback or a 500: malformed parameters are 400,
unknown things 404.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperfeed.errors import (CsrfError, Forbidden, InvalidInput, MailError, NotFound, NotSignedIn, TooManyRequests,
                              disk_full, full_disk_line)
from paperfeed.web.deps import wants_markdown
from paperfeed.web.sessions import signin_url

log = logging.getLogger(__name__)
DATABASE_RETRY_AFTER_S = 5
DISK_FULL_RETRY_AFTER_S = 300

_TITLES = {400: "That request is not quite right", 401: "Sign in first", 403: "Not allowed", 404: "Not found", 429: "Slow down", 405: "Method not allowed",
           500: "Something went wrong", 503: "Temporarily unavailable"}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map paperfeed's exceptions to HTTP answers."""

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, error: InvalidInput) -> Response:
        return error_response(request, 400, str(error), field=error.field)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, error: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/") or request.method != "GET":
            return error_response(request, 401, "Sign in first (POST /signin, or the form at /signin).")
        return RedirectResponse(signin_url(request), status_code=303)

    @app.exception_handler(CsrfError)
    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: CsrfError | Forbidden) -> Response:
        return error_response(request, 403, str(error))

    @app.exception_handler(MailError)
    async def mail_unavailable(request: Request, error: MailError) -> Response:
        log.warning("mail not sent on %s %s: %s", request.method, request.url.path, error)
        return error_response(request, 503, "The email could not be sent: the mail server did not take it. "
                              "Nothing else was lost; please try again in a few minutes.", headers={"Retry-After": "60"})

    @app.exception_handler(TooManyRequests)
    async def too_many(request: Request, error: TooManyRequests) -> Response:
        return error_response(request, 429, str(error), headers={"Retry-After": str(error.retry_after)})

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return error_response(request, 404, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(request: Request, error: RequestValidationError) -> Response:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"][1:]) or None
        message = f"{field}: {problem['msg']}" if field else problem["msg"]
        return error_response(request, 400, message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = error.detail if error.status_code != 404 else f"There is no page at {request.url.path}."
        return error_response(request, error.status_code, str(message), headers=error.headers)

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(sa.exc.InterfaceError)
    async def database_away(request: Request, error: sa.exc.DBAPIError) -> Response:
        if disk_full(error, request.app.state.settings.data_dir):
            return disk_full_response(request, error)
        # The server down, the network cut, SQLite's file locked for longer than busy_timeout: worth
        # another try, here or on another node (nginx moves a request on 503: deploy/nginx.conf).
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error.orig)
        return error_response(request, 503, "The database cannot be reached right now; please try again in a "
                              "moment.", headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        if disk_full(error, request.app.state.settings.data_dir):
            return disk_full_response(request, error)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "An unexpected error occurred; it has been logged.")


def disk_full_response(request: Request, error: BaseException) -> Response:
    """503: nothing was saved, the reads still work, and the operator's log names the disk."""
    log.error("%s (%s %s)", full_disk_line(error, request.app.state.settings.data_dir), request.method,
              request.url.path)
    return error_response(request, 503, "The server's disk is full, so nothing could be saved; the site's "
                          "operator has been told. Please try again later.",
                          headers={"Retry-After": str(DISK_FULL_RETRY_AFTER_S)})


def error_response(
    request: Request, status: int, message: str, *, field: str | None = None, headers: dict | None = None
) -> Response:
    """A JSON error for ``/api/...``, the sentence alone for a request of Markdown (``hf papers read``
    shows it), and a rendered error page for everything else."""
    wants_json = request.headers.get("accept", "").startswith("application/json")
    if request.url.path.startswith("/api/") or wants_json:
        return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)
    if wants_markdown(request):
        return PlainTextResponse(message, status_code=status, headers=headers)
    templates = request.app.state.templates
    context = {"status": status, "title": _TITLES.get(status, "Error"), "message": message}
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)
