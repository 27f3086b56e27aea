"""The OpenAPI document, made true to what the API answers.

FastAPI writes a 422 for validation errors; paperfeed answers 400 with ``{error, field}``
(``ErrorOut``), as it does for every other bad parameter. Every ``/api`` operation may also
answer 429 (the per-address limit, with ``Retry-After``) and 503 (the database away, with
``Retry-After``); one with a path parameter may answer 404; one that needs a member may answer
401 (no or a revoked token) and 403, and names the two ways to be one: a personal access token
(``Authorization: Bearer pf_...``) or the session cookie.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from paperfeed.web.deps import render

ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "a personal access token made on /account"},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "paperfeed_session"},
}


def install_openapi(app: FastAPI) -> None:
    """Serve the corrected document at the app's ``openapi_url`` (built once, on first request)."""

    def document() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            app.openapi_schema = corrected(schema, members_only=_member_operations(app))
        return app.openapi_schema

    app.openapi = document


DOCS_URL = "/api/docs"
SWAGGER_ASSETS = "/api/docs/assets"


def install_api_docs(app: FastAPI) -> None:
    """``/api/docs``: Swagger UI, offline and under the site's Content-Security-Policy. Its files come
    from the fastapi-offline package (PyPI), not a CDN; FastAPI's own page starts Swagger UI with an
    inline script, which ``script-src 'self'`` refuses, so this page is a template whose script is
    web/static/api-docs.js (no validator badge: it would load an image from validator.swagger.io)."""
    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=assets), name="swagger-ui")

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs(request: Request) -> Response:
        return render(request, "api_docs.html", openapi_url=app.openapi_url, assets=SWAGGER_ASSETS)


def corrected(schema: dict, *, members_only: set[tuple[str, str]]) -> dict:
    """``schema`` with paperfeed's statuses and security schemes (a pure function of the document)."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("ErrorOut", {"title": "ErrorOut", "type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"}, "field": {"anyOf": [{"type": "string"}, {"type": "null"}]}}})
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.setdefault("400", {"description": "A parameter or the body is malformed; `field` names it",
                                         **ERROR})
            responses.setdefault("503", {"description": "The database cannot be reached", "headers": RETRY_AFTER,
                                         **ERROR})
            if path.startswith("/api/"):
                responses.setdefault("429", {"description": "Over the rate limit", "headers": RETRY_AFTER, **ERROR})
            if "{" in path:
                responses.setdefault("404", {"description": "Not found", **ERROR})
            writes = path.startswith("/api/") and method in ("post", "put", "patch", "delete")
            if writes or (method.upper(), path) in members_only:
                operation["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
                responses.setdefault("401", {"description": "Sign in or send a valid token", **ERROR})
                responses.setdefault("403", {"description": "Not allowed", **ERROR})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema


def _member_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(METHOD, path) of the operations that need a signed-in member (they depend on UserDep)."""
    from paperfeed.web.sessions import _require_user

    found = set()
    for route in app.routes:
        for leaf in (route.original_router.routes if hasattr(route, "original_router") else [route]):
            if isinstance(leaf, APIRoute) and _depends_on(leaf.dependant, _require_user):
                found |= {(method, leaf.path) for method in leaf.methods}
    return found


def _depends_on(dependant, function) -> bool:
    return dependant.call is function or any(_depends_on(sub, function) for sub in dependant.dependencies)
