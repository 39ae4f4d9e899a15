"""Dashboard actions (POST + CSRF, operators only): retry or skip an order export, close a review.

They call the export engine's own `retry_export` / `skip_export` /
`resolve_review_export`, exactly as `storebridge orders retry | skip | resolve`
do, and come back to the Orders page with a message.  The export itself
happens on the next export run.  Each action is recorded in the audit trail
with its result (`web.roles`); a viewer is refused with 403.
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
from storebridge.web.deps import CsrfFormDep, OperatorDep, ServicesDep, flash, redirect, safe_next
from storebridge.web.roles import audit

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
    action: Action,
    *,
    user: str,
    verb: str,
    order_id: int,
    done: str,
    back: object,
    detail: str = "",
) -> RedirectResponse:
    """Run `action` in one transaction; record it; flash `done` or the engine's refusal; go back."""
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    if not 0 < order_id <= MAX_ORDER_ID:
        raise HTTPException(404, f"no order {order_id} in store {store!r}")
    target = f"order {store}/{order_id}"
    try:
        with services.sessions.begin() as session:
            action(session)
    except ExportError as error:
        audit(services, actor=user, action=verb, target=target, result="refused", detail=str(error))
        flash(request, str(error), "error")
    else:
        logger.info(
            "%s: %s of %s from the dashboard%s", user, verb, target, f": {detail}" * bool(detail)
        )
        audit(services, actor=user, action=verb, target=target, result="ok", detail=detail)
        flash(request, done)
    back_to = safe_next(str(back or "/orders"))
    return redirect(back_to if back_to.startswith("/orders") else "/orders")


@router.post("/orders/{store}/{order_id:int}/retry")
async def retry(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    form: CsrfFormDep,
    store: str,
    order_id: int,
) -> RedirectResponse:
    """Make a failed, parked or skipped export eligible again."""
    return _act(
        request,
        services,
        store,
        lambda session: retry_export(session, store=store, order_id=order_id),
        user=user,
        verb="retry export",
        order_id=order_id,
        done=f"order {order_id} will be exported on the next export run",
        back=form.get("back"),
    )


@router.post("/orders/{store}/{order_id:int}/skip")
async def skip(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
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
        lambda session: skip_export(session, store=store, order_id=order_id, reason=reason),
        user=user,
        verb="skip export",
        order_id=order_id,
        done=f"order {order_id} will not be exported",
        detail=reason,
        back=form.get("back"),
    )


@router.post("/orders/{store}/{order_id:int}/resolve")
async def resolve(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    form: CsrfFormDep,
    store: str,
    order_id: int,
) -> RedirectResponse:
    """Close the review of an order edited after export (the POS was corrected by hand)."""
    return _act(
        request,
        services,
        store,
        lambda session: resolve_review_export(session, store=store, order_id=order_id),
        user=user,
        verb="close review",
        order_id=order_id,
        done=f"order {order_id}: review closed, counted as exported",
        back=form.get("back"),
    )
