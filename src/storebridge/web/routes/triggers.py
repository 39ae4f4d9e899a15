""" "Sync now" per store and "Push now" per product (POST + CSRF, operators only, audited).

Neither runs a job inside the request: both hand a run of the store's
``products`` job to the app's `runner.triggers.JobTrigger` (the embedded
scheduler, or the workers' queue), which runs it under the store's lock and
records it in the run log like any scheduled run.

"Push now" first forgets what was last pushed as the product's stock (one
short transaction), so that run sends the quantity it computes even when
StoreBridge believes WooCommerce already shows it: the way to repair a figure
someone changed by hand.  Each request is recorded in the audit trail with
its result; without a trigger (a dashboard that runs no jobs and has no
queue) the answer is ``503`` with what to do.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from storebridge.bootstrap import Services
from storebridge.domain.model import sku_key
from storebridge.persistence.tables import ProductLink
from storebridge.runner.jobs import JOB_NAMES
from storebridge.runner.triggers import CannotTrigger, JobTrigger
from storebridge.sync.orders.allocation import forget_pushed_stock
from storebridge.web.deps import CsrfFormDep, OperatorDep, ServicesDep, flash, redirect, safe_next
from storebridge.web.roles import audit

router = APIRouter()
logger = logging.getLogger("storebridge.web")

#: The job "Sync now" and "Push now" run: it reads the POS and pushes prices and stock.
SYNC_JOB = "products"


def _trigger(
    request: Request, services: Services, user: str, store: str, action: str
) -> JobTrigger:
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    trigger: JobTrigger | None = request.app.state.trigger
    if trigger is None:
        audit(services, actor=user, action=action, target=f"store {store}", result="unavailable")
        raise HTTPException(
            503,
            "this dashboard runs no jobs: start `storebridge run` with its scheduler, "
            "or `storebridge worker`s on PostgreSQL storage",
        )
    return trigger


async def _start(
    request: Request,
    services: Services,
    trigger: JobTrigger,
    *,
    user: str,
    action: str,
    target: str,
    store: str,
    job: str,
) -> None:
    """Ask for the run; audit and flash what happens."""
    try:
        said = await trigger.trigger(store, job)
    except CannotTrigger as error:
        audit(
            services, actor=user, action=action, target=target, result="refused", detail=str(error)
        )
        flash(request, str(error), "error")
        return
    logger.info("%s: %s of %s from the dashboard: %s", user, action, target, said)
    audit(services, actor=user, action=action, target=target, result="ok", detail=said)
    flash(request, said)


@router.post("/stores/{store}/sync")
async def sync_now(
    request: Request, services: ServicesDep, user: OperatorDep, form: CsrfFormDep, store: str
) -> RedirectResponse:
    """Run one of the store's jobs now (the products sync unless the form names another)."""
    trigger = _trigger(request, services, user, store, "sync now")
    job = str(form.get("job") or SYNC_JOB)
    if job not in JOB_NAMES:
        raise HTTPException(404, f"no job named {job!r}")
    await _start(
        request,
        services,
        trigger,
        user=user,
        action="sync now",
        target=f"store {store}",
        store=store,
        job=job,
    )
    return redirect(safe_next(str(form.get("back") or "/")))


@router.post("/stores/{store}/push")
async def push_now(
    request: Request, services: ServicesDep, user: OperatorDep, form: CsrfFormDep, store: str
) -> RedirectResponse:
    """Push one product's stock again on a products run starting now."""
    trigger = _trigger(request, services, user, store, "push now")
    sku = str(form.get("sku") or "")
    key = sku_key(sku)
    target = f"product {store}/{sku}"
    with services.sessions.begin() as session:
        state = session.scalar(
            select(ProductLink.state).where(ProductLink.store == store, ProductLink.sku_key == key)
        )
        if state is None:
            raise HTTPException(404, f"store {store!r} has no product with SKU {sku!r}")
        if state == "linked":
            forget_pushed_stock(session, store=store, sku_keys=[key])
    back = f"/products/{quote(store)}/{quote(sku)}"
    if state != "linked":
        reason = f"{sku} is {state}: fix its link first (see the product page); nothing was pushed"
        audit(
            services, actor=user, action="push now", target=target, result="refused", detail=reason
        )
        flash(request, reason, "error")
        return redirect(back)
    await _start(
        request,
        services,
        trigger,
        user=user,
        action="push now",
        target=target,
        store=store,
        job=SYNC_JOB,
    )
    return redirect(back)
