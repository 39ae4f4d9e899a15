"""Dashboard actions (POST + CSRF): retry or skip an order export, close a review.

They call the export engine's own `retry_export` / `skip_export`, exactly as
`storebridge orders retry | skip | resolve` do, and come back to the Orders page with
a message.  The export itself happens on the next export run.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from storebridge.errors import ExportError
from storebridge.sync.export import resolve_review_export, retry_export, skip_export
from storebridge.web.deps import CsrfFormDep, ServicesDep, UserDep, flash, redirect, safe_next

router = APIRouter()
logger = logging.getLogger("storebridge.web")


def _back(form_value: object) -> str:
    target = safe_next(str(form_value or "/orders"))
    return target if target.startswith("/orders") else "/orders"


@router.post("/orders/{store}/{order_id:int}/retry")
async def retry(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    form: CsrfFormDep,
    store: str,
    order_id: int,
) -> RedirectResponse:
    """Make a failed or parked export eligible again."""
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    try:
        with services.sessions.begin() as session:
            retry_export(session, store=store, order_id=order_id)
    except ExportError as error:
        flash(request, str(error), "error")
    else:
        logger.info("%s: export of order %s/%s retried from the dashboard", user, store, order_id)
        flash(request, f"order {order_id} will be exported on the next export run")
    return redirect(_back(form.get("back")))


@router.post("/orders/{store}/{order_id:int}/skip")
async def skip(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    form: CsrfFormDep,
    store: str,
    order_id: int,
) -> RedirectResponse:
    """Never export this order; the reason is kept and shown."""
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    reason = str(form.get("reason", "")).strip() or f"skipped by {user} from the dashboard"
    try:
        with services.sessions.begin() as session:
            skip_export(session, store=store, order_id=order_id, reason=reason)
    except ExportError as error:
        flash(request, str(error), "error")
    else:
        logger.info("%s: export of order %s/%s skipped: %s", user, store, order_id, reason)
        flash(request, f"order {order_id} will not be exported")
    return redirect(_back(form.get("back")))


@router.post("/orders/{store}/{order_id:int}/resolve")
async def resolve(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    form: CsrfFormDep,
    store: str,
    order_id: int,
) -> RedirectResponse:
    """Close the review of an order edited after export (the POS was corrected by hand)."""
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    try:
        with services.sessions.begin() as session:
            resolve_review_export(session, store=store, order_id=order_id)
    except ExportError as error:
        flash(request, str(error), "error")
    else:
        logger.info("%s: review of order %s/%s closed from the dashboard", user, store, order_id)
        flash(request, f"order {order_id}: review closed, counted as exported")
    return redirect(_back(form.get("back")))
