"""For load balancers and monitoring: ``/healthz`` (the process answers), ``/readyz`` (it can
serve: the database answers and has the latest schema) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import hmac
import ipaddress

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.observability import exposition
from paperfeed.formatting import counted
from paperfeed.web.errors import error_response

router = APIRouter(include_in_schema=False)
# Below this share of the database's papers in its keyword index, a node is not ready: it would
# answer searches with most papers missing. (Other nodes' fresh writes lag by one follower round.)
INDEX_READY_SHARE = 0.9


def _index_coverage(request: Request) -> tuple[int | None, int]:
    """(papers in this node's keyword index or None without one, papers in the database)."""
    from paperfeed.db.papers import count_papers

    with request.app.state.engine.connect() as connection:
        papers = count_papers(connection)
    return request.app.state.search.keyword_count(), papers


@router.get("/healthz")
def healthz() -> JSONResponse:
    """Liveness: the process is up (no database call, so a slow database does not get it restarted)."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and is migrated; a load balancer sends traffic only then."""
    engine: sa.Engine = request.app.state.engine
    checks = {"database": "ok", "schema": "ok", "search": request.app.state.search.readiness()}
    status = 200
    try:
        from paperfeed.db.engine import schema_is_current

        current = await run_in_threadpool(schema_is_current, engine)
        if not current:
            checks["schema"], status = "not migrated: run paperfeed init", 503
        else:
            indexed, papers = await run_in_threadpool(_index_coverage, request)
            if indexed is not None and indexed < papers * INDEX_READY_SHARE:
                checks["search"] = (f"the keyword index holds {indexed:,} of {counted(papers, 'paper')}: "
                                    "`paperfeed index` repairs it")
                status = 503
    except sa.exc.SQLAlchemyError as error:
        checks["database"], status = f"unreachable: {type(error).__name__}", 503
        checks.pop("schema")
    body = {"status": "ready" if status == 200 else "not ready", **checks}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/metrics")
def metrics_page(request: Request) -> Response:
    """Prometheus metrics, for this machine (a loopback address) or a scraper sending
    ``Authorization: Bearer <PAPERFEED_METRICS_TOKEN>``; anyone else gets 403."""
    if not _may_read_metrics(request):
        return error_response(request, 403, "Metrics are served to this machine, or with the bearer token "
                              "PAPERFEED_METRICS_TOKEN.")
    body, content_type = exposition()
    return Response(body, media_type=content_type)


def _may_read_metrics(request: Request) -> bool:
    token = request.app.state.settings.metrics_token
    header = request.headers.get("authorization", "")
    if token and header.lower().startswith("bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:  # not an address (a test client's name)
        return False
