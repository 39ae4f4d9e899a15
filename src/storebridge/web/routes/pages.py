"""The dashboard pages: Overview, Products (+ one SKU), Quarantine, Orders, Runs, Alerts.

Every page needs a logged-in user and reads StoreBridge's database through
`web.views`; only the product names and statuses (list, search and product
page) are asked of WooCommerce, with a short timeout, and the page still
renders (with a note) when WooCommerce does not answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from storebridge.bootstrap import Services
from storebridge.persistence.types import utcnow
from storebridge.runner.jobs import ALERTS_JOB, JOB_NAMES
from storebridge.web.deps import ServicesDep, UserDep, render
from storebridge.web.views.alerts import RECOVERED_WINDOW, list_alerts
from storebridge.web.views.catalog import (
    LINK_STATES,
    PAGE_SIZE,
    ProductFilters,
    find_links,
    open_quarantine,
    product_detail,
    search_names,
)
from storebridge.web.views.charts import sku_stock_chart
from storebridge.web.views.orders import EXPORT_STATES, export_counts, list_exports, list_runs
from storebridge.web.views.overview import store_overview
from storebridge.web.views.woo_products import WooProduct, admin_url, product_ids, read_products
from storebridge.woocommerce import WooClient, WooError

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
    return render(
        request,
        "overview.html",
        stores=stores,
        refresh=OVERVIEW_REFRESH_S,
        at=now,
        can_trigger=request.app.state.trigger is not None,
    )


_Found = TypeVar("_Found")


async def _ask_each(
    services: Services,
    stores: list[str],
    ask: Callable[[str, WooClient], Awaitable[_Found]],
    what: str,
) -> tuple[dict[str, _Found], list[str]]:
    """`ask` each store's WooCommerce (with a timeout); a store that fails gets a note."""
    found: dict[str, _Found] = {}
    notes: list[str] = []
    for name in stores:
        try:
            async with services.store(name).woo() as woo:
                found[name] = await asyncio.wait_for(ask(name, woo), WOO_TIMEOUT_S)
        except (WooError, TimeoutError) as error:
            notes.append(f"{name}: {what} in WooCommerce unavailable ({error or 'timeout'})")
    return found, notes


@router.get("/products", response_class=HTMLResponse)
async def products(
    request: Request,
    services: ServicesDep,
    _user: UserDep,
    q: str = "",
    store: str | None = None,
    page: int = 1,
    state: str = "",
    quarantined: bool = False,
    broken: bool = False,
    out_of_stock: bool = False,
) -> HTMLResponse:
    """Linked products with their WooCommerce name and status, searched and filtered.

    The search matches SKUs (locally) or names (in WooCommerce); the filters
    (state, quarantined, broken link, out of stock) are applied in the query.
    """
    stores = _stores(services, store)
    if state and state not in LINK_STATES:
        raise HTTPException(404, f"no link state {state!r}")
    filters = ProductFilters(state or None, quarantined, broken, out_of_stock)
    query = q.strip()
    notes: list[str] = []
    woo_ids: dict[str, set[int]] = {}
    if query:
        found, notes = await _ask_each(
            services, stores, lambda _name, woo: search_names(woo, query), "name search"
        )
        woo_ids = {name: set(ids) for name, ids in found.items()}
    with services.sessions() as session:
        links, total = find_links(
            session, stores=stores, query=query, woo_ids=woo_ids, page=page, filters=filters
        )

    async def read(name: str, woo: WooClient) -> dict[int, WooProduct]:
        return await read_products(woo, product_ids(x for x in links if x.store == name))

    shown = sorted({link.store for link in links})
    remote, unread = await _ask_each(services, shown, read, "names and statuses")
    urls = {name: services.store(name).settings.woocommerce.url for name in shown}
    kept = {"q": query, "store": store or "", "state": state}
    kept.update({k: "1" for k, on in (("quarantined", quarantined), ("broken", broken),
                                      ("out_of_stock", out_of_stock)) if on})  # fmt: skip
    return render(
        request,
        "products.html",
        links=links,
        total=total,
        q=query,
        store=store,
        filters=filters,
        states=LINK_STATES,
        kept=urlencode({k: v for k, v in kept.items() if v}),
        page=max(page, 1),
        pages=max(1, -(-total // PAGE_SIZE)),
        remote=remote,
        admin={link.id: admin_url(urls[link.store], link) for link in links},
        notes=notes + unread,
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
        chart = sku_stock_chart(session, store=store, key=detail.link.sku_key, now=utcnow())
    remote = await _remote(services, store, detail.link.woo_id)
    return render(
        request,
        "product.html",
        store=store,
        detail=detail,
        remote=remote,
        chart=chart,
        admin=admin_url(settings.woocommerce.url, detail.link),
        can_trigger=request.app.state.trigger is not None,
    )


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
