"""Probes for machines: ``/healthz`` (is the database reachable) and ``/metrics``.

Both are open without login, like any load-balancer probe or Prometheus
target, and expose counts only: no SKU, order, customer or secret.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from storebridge.persistence.types import utcnow
from storebridge.web.deps import ServicesDep
from storebridge.web.views.metrics import CONTENT_TYPE, render_metrics

router = APIRouter()
logger = logging.getLogger("storebridge.web")


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.warning("health check: database unreachable: %s", type(error).__name__)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "stores": services.store_names()})


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text format."""
    with services.sessions() as session:
        body = render_metrics(session, stores=services.store_names(), now=utcnow())
    return Response(body, media_type=CONTENT_TYPE)
