"""The dashboard pages: Overview, Products (+ one SKU), Quarantine, Orders, Runs, Alerts.

Every page needs a logged-in user and reads StoreBridge's database through
`web.views`; only the product name search and the product page's name and
status ask WooCommerce, with a short timeout, and the page still renders
(with a note) when WooCommerce does not answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from storebridge.bootstrap import Services
from storebridge.persistence.types import utcnow
from storebridge.runner.jobs import ALERTS_JOB, JOB_NAMES
from storebridge.web.deps import ServicesDep, UserDep, render
from storebridge.web.views.alerts import RECOVERED_WINDOW, list_alerts
from storebridge.web.views.catalog import (
    PAGE_SIZE,
    find_links,
    open_quarantine,
    product_detail,
    search_names,
)
from storebridge.web.views.orders import EXPORT_STATES, export_counts, list_exports, list_runs
from storebridge.web.views.overview import store_overview
from storebridge.woocommerce import WooError

router = APIRouter()
logger = logging.getLogger("storebridge.web")

#: How long a page waits for WooCommerce before rendering without it.
WOO_TIMEOUT_S = 5.0
#: Seconds between automatic refreshes of the overview.
OVERVIEW_REFRESH_S = 10


def _stores(services: Services, store: str | None) -> list[str]:
    if store:
        if store not in services.stores:
            raise HTTPException(404, f"no store named {store!r}")
        return [store]
    return services.store_names()


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, services: ServicesDep, _user: UserDep) -> HTMLResponse:
    """Health of every store at a glance; refreshes itself."""
    now = utcnow()
    with services.sessions() as session:
        stores = [
            store_overview(session, services.settings, name, now) for name in services.store_names()
        ]
    return render(request, "overview.html", stores=stores, refresh=OVERVIEW_REFRESH_S, at=now)


async def _names(
    services: Services, stores: list[str], query: str
) -> tuple[dict[str, dict[int, str]], list[str]]:
    found: dict[str, dict[int, str]] = {}
    notes: list[str] = []
    for name in stores:
        try:
            async with services.store(name).woo() as woo:
                found[name] = await asyncio.wait_for(search_names(woo, query), WOO_TIMEOUT_S)
        except (WooError, TimeoutError) as error:
            notes.append(f"{name}: name search in WooCommerce unavailable ({error or 'timeout'})")
    return found, notes


@router.get("/products", response_class=HTMLResponse)
async def products(
    request: Request,
    services: ServicesDep,
    _user: UserDep,
    q: str = "",
    store: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    """Linked products, searched by SKU (locally) or name (in WooCommerce)."""
    stores = _stores(services, store)
    query = q.strip()
    names: dict[str, dict[int, str]] = {}
    notes: list[str] = []
    if query:
        names, notes = await _names(services, stores, query)
    woo_ids = {name: set(found) for name, found in names.items()}
    with services.sessions() as session:
        links, total = find_links(session, stores=stores, query=query, woo_ids=woo_ids, page=page)
    return render(
        request,
        "products.html",
        links=links,
        total=total,
        q=query,
        store=store,
        page=max(page, 1),
        pages=max(1, -(-total // PAGE_SIZE)),
        names=names,
        notes=notes,
        stores=services.store_names(),
    )


async def _remote(services: Services, store: str, woo_id: int | None) -> dict[str, Any] | None:
    if woo_id is None:
        return None
    try:
        async with services.store(store).woo() as woo:
            body = await asyncio.wait_for(
                woo.request_json(
                    "GET", f"/products/{woo_id}", params={"_fields": "id,name,status,permalink"}
                ),
                WOO_TIMEOUT_S,
            )
    except (WooError, TimeoutError) as error:
        logger.info("store %s: product %s not read for the dashboard: %s", store, woo_id, error)
        return None
    return body if isinstance(body, dict) else None


@router.get("/products/{store}/{sku:path}", response_class=HTMLResponse)
async def product(
    request: Request, services: ServicesDep, _user: UserDep, store: str, sku: str
) -> HTMLResponse:
    """One SKU: its link, what was pushed, and why its stock is what it is."""
    settings = services.store(_stores(services, store)[0]).settings
    with services.sessions() as session:
        detail = product_detail(session, store=store, settings=settings, sku=sku)
    if detail is None:
        raise HTTPException(404, f"store {store!r} has no product with SKU {sku!r}")
    remote = await _remote(services, store, detail.link.woo_id)
    return render(request, "product.html", store=store, detail=detail, remote=remote)


@router.get("/quarantine", response_class=HTMLResponse)
async def quarantine(
    request: Request, services: ServicesDep, _user: UserDep, store: str | None = None
) -> HTMLResponse:
    """POS rows StoreBridge refused, with the reason and the source line."""
    with services.sessions() as session:
        rows = open_quarantine(session, stores=_stores(services, store))
    return render(request, "quarantine.html", rows=rows, store=store, stores=services.store_names())


@router.get("/orders", response_class=HTMLResponse)
async def orders(
    request: Request,
    services: ServicesDep,
    _user: UserDep,
    state: str | None = None,
    store: str | None = None,
) -> HTMLResponse:
    """Order exports by state, with Retry and Skip."""
    if state and state not in EXPORT_STATES:
        raise HTTPException(404, f"no export state {state!r}")
    stores = _stores(services, store)
    with services.sessions() as session:
        lines = list_exports(session, stores=stores, state=state)
        counts = export_counts(session, stores=stores)
    return render(
        request,
        "orders.html",
        lines=lines,
        counts=counts,
        states=EXPORT_STATES,
        state=state,
        store=store,
        stores=services.store_names(),
    )


@router.get("/runs", response_class=HTMLResponse)
async def runs(
    request: Request,
    services: ServicesDep,
    _user: UserDep,
    store: str | None = None,
    job: str | None = None,
    outcome: str | None = None,
) -> HTMLResponse:
    """The run log with errors."""
    with services.sessions() as session:
        rows = list_runs(session, stores=_stores(services, store), job=job, outcome=outcome)
    return render(
        request,
        "runs.html",
        rows=rows,
        store=store,
        job=job,
        outcome=outcome,
        jobs=(*JOB_NAMES, ALERTS_JOB),
        stores=services.store_names(),
    )


@router.get("/alerts", response_class=HTMLResponse)
async def alerts(
    request: Request, services: ServicesDep, _user: UserDep, store: str | None = None
) -> HTMLResponse:
    """Alert conditions open now, what people were told, and the recent recoveries."""
    now = utcnow()
    with services.sessions() as session:
        opened, recovered = list_alerts(session, stores=_stores(services, store), now=now)
    return render(
        request,
        "alerts.html",
        opened=opened,
        recovered=recovered,
        recovered_days=RECOVERED_WINDOW.days,
        store=store,
        stores=services.store_names(),
        at=now,
    )
