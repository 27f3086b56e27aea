"""Covers: a paper's first page (``/covers/{id}.png``) and its generated cover (``/covers/{id}.svg``).

The PNG is made by the worker (:mod:`paperfeed.catalog.covers`) and never changes under its
address (pages add ``?v=`` with its version), so browsers may keep it for a year without asking
again (``immutable``, RFC 8246). The SVG follows the paper's title, so it is kept for a day and
revalidated by its ETag (RFC 9110, 13.1.2: ``If-None-Match`` answers 304).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from paperfeed.catalog.cover_images import generated_cover_svg
from paperfeed.catalog.covers import CoverStore, paper_for_cover
from paperfeed.errors import NotFound
from paperfeed.web.conditional import body_etag, not_modified
from paperfeed.web.deps import ConnectionDep

router = APIRouter(include_in_schema=False)

RENDERED_CACHE = "public, max-age=31536000, immutable"
GENERATED_CACHE = "public, max-age=86400"
# An SVG opened on its own is a document: it may load, style and run nothing.
SVG_POLICY = "default-src 'none'; frame-ancestors 'none'"


@router.get("/covers/{paper_id:path}.png")
def rendered_cover(paper_id: str, request: Request) -> Response:
    """The first page of the paper's PDF, as the worker rendered it."""
    stored = CoverStore(request.app.state.settings.data_dir).stored(paper_id)
    if stored is None:
        raise NotFound(f"paper {paper_id[:80]!r} has no rendered cover (yet)")
    headers = {"Cache-Control": RENDERED_CACHE, "ETag": f'"{stored.version}"'}
    if not_modified(request.headers, headers["ETag"], None):
        return Response(status_code=304, headers=headers)
    return FileResponse(stored.path, media_type="image/png", headers=headers)


@router.get("/covers/{paper_id:path}.svg")
def generated_cover(paper_id: str, request: Request, connection: ConnectionDep) -> Response:
    """A cover made of the paper's category, title and first author."""
    svg = generated_cover_svg(paper_for_cover(connection, paper_id))
    etag = body_etag(svg.encode("utf-8"))
    headers = {"Cache-Control": GENERATED_CACHE, "ETag": etag, "Content-Security-Policy": SVG_POLICY}
    if not_modified(request.headers, etag, None):
        return Response(status_code=304, headers=headers)
    return Response(svg, media_type="image/svg+xml", headers=headers)
