"""Dashboard actions (POST + CSRF): retry or skip an order export, close a review.

They call the export engine's own `retry_export` / `skip_export` /
`resolve_review_export`, exactly as `storebridge orders retry | skip | resolve`
do, and come back to the Orders page with a message.  The export itself
happens on the next export run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from storebridge.bootstrap import Services
from storebridge.errors import ExportError
from storebridge.sync.export.engine import resolve_review_export, retry_export, skip_export
from storebridge.web.deps import CsrfFormDep, ServicesDep, UserDep, flash, redirect, safe_next

router = APIRouter()
logger = logging.getLogger("storebridge.web")

#: An export-engine action on one order, given an open transaction.
Action = Callable[[Session], object]

#: WooCommerce ids are 64-bit; a larger number in the URL names no order (and no database takes it).
MAX_ORDER_ID = 2**63 - 1


def _act(
    request: Request,
    services: Services,
    store: str,
    order_id: int,
    action: Action,
    *,
    done: str,
    audit: str,
    back: object,
) -> RedirectResponse:
    """Run `action` in one transaction; flash `done` or the engine's refusal; go back."""
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    if not 0 < order_id <= MAX_ORDER_ID:
        raise HTTPException(404, f"no order {order_id} in store {store!r}")
    try:
        with services.sessions.begin() as session:
            action(session)
    except ExportError as error:
        flash(request, str(error), "error")
    else:
        logger.info("%s", audit)
        flash(request, done)
    target = safe_next(str(back or "/orders"))
    return redirect(target if target.startswith("/orders") else "/orders")


@router.post("/orders/{store}/{order_id:int}/retry")
async def retry(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    form: CsrfFormDep,
    store: str,
    order_id: int,
) -> RedirectResponse:
    """Make a failed, parked or skipped export eligible again."""
    return _act(
        request,
        services,
        store,
        order_id,
        lambda session: retry_export(session, store=store, order_id=order_id),
        done=f"order {order_id} will be exported on the next export run",
        audit=f"{user}: export of order {store}/{order_id} retried from the dashboard",
        back=form.get("back"),
    )


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
    reason = str(form.get("reason", "")).strip() or f"skipped by {user} from the dashboard"
    return _act(
        request,
        services,
        store,
        order_id,
        lambda session: skip_export(session, store=store, order_id=order_id, reason=reason),
        done=f"order {order_id} will not be exported",
        audit=f"{user}: export of order {store}/{order_id} skipped: {reason}",
        back=form.get("back"),
    )


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
    return _act(
        request,
        services,
        store,
        order_id,
        lambda session: resolve_review_export(session, store=store, order_id=order_id),
        done=f"order {order_id}: review closed, counted as exported",
        audit=f"{user}: review of order {store}/{order_id} closed from the dashboard",
        back=form.get("back"),
    )
