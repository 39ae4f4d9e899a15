"""Republishing stock for some SKUs without reading the POS (after an order webhook).

When an order arrives, its lines become allocated in the ledger and the web
must show less stock at once, long before the next products run.
`push_stock` recomputes ``available = max(0, on_hand - allocated - safety)``
for the given SKUs from the on-hand stored by the last products run and the
ledger as it is now, and pushes only the figures that differ from the last
push (one batch request per 100 changed SKUs, nothing when none changed).
It first checks the links of products changed in WooCommerce since the last
check (`catalogue.link_check`, one request when nothing changed), so no
figure reaches a product whose SKU was edited or that was trashed.

Links out of the selection have no stored on-hand and are never touched:
a delisted product keeps its 0 (or, with ``delist = "leave"``, whatever it has).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from storebridge.bootstrap import Services
from storebridge.domain.allocation import StockExplanation
from storebridge.domain.model import sku_key
from storebridge.domain.operations import Plan
from storebridge.persistence.types import utcnow
from storebridge.sync.catalogue.executor import Executor
from storebridge.sync.catalogue.link_check import check_links
from storebridge.sync.catalogue.link_table import load_links
from storebridge.sync.catalogue.recorder import DbRecorder
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.orders.stock_due import stock_updates
from storebridge.sync.report import RunReport
from storebridge.sync.runs import LedgerRefresh, run_job
from storebridge.woocommerce import WooClient

__all__ = ["push_available", "push_stock"]


async def push_stock(
    services: Services,
    store: str,
    sku_keys: Collection[str] | None = None,
    *,
    refresh_ledger: LedgerRefresh | None = None,
) -> RunReport:
    """Push the current available quantity of `sku_keys` (all linked SKUs when None).

    Args:
        services: the wired application.
        store: the store name.
        sku_keys: the SKUs whose allocation changed (any spelling; compared as keys).
        refresh_ledger: refreshes the order ledger first (skip it when the caller
            just did, e.g. right after recording a webhook's order); the SKUs whose
            allocation it moved are pushed too.

    Returns:
        The run's report; ``counts["updated"]`` is the number of figures pushed.
    """
    settings = services.store(store).settings
    report = RunReport(store, "stock", utcnow())
    keys = None if sku_keys is None else {sku_key(k) for k in sku_keys}

    async def body(woo: WooClient) -> None:
        wanted = keys
        if refresh_ledger is not None:
            moved = await refresh_ledger(woo)
            # The refresh consumed these orders: nothing else will push what they moved.
            wanted = None if keys is None else keys | set(moved)
        # A product whose SKU was edited or that was trashed is marked before the push.
        check = await check_links(services.sessions, store, woo)
        check.report(report)
        with services.sessions() as session:
            allocated = allocated_for_store(session, store, settings)
        report.counts["checked"] += await push_available(
            services, store, woo, wanted, allocated, report
        )

    # A push follows a ledger refresh (which read orders with the same key) or a webhook
    # delivery; a key check there would cost a read per delivery for nothing.
    await run_job(services, store, report, body, check_key=False)
    return report


async def push_available(
    services: Services,
    store: str,
    woo: WooClient,
    sku_keys: Collection[str] | None,
    allocated: Mapping[str, int],
    report: RunReport,
) -> int:
    """Push ``max(0, stored on-hand - allocated - safety)`` of `sku_keys` where it changed.

    The body of `push_stock`, also used by a products run for the SKUs its
    ledger refresh moved that its (incremental) read did not carry.  Returns
    the number of links checked.
    """
    settings = services.store(store).settings
    with services.sessions() as session:
        table = load_links(session, store=store, keys=sku_keys)
    updates, terms = stock_updates(table, allocated, settings)

    def explain(key: str) -> tuple[StockExplanation, str] | None:
        found = terms.get(key)
        return None if found is None else (found, f"stock push: {found}")

    recorder = DbRecorder(services.sessions, store, explain=explain)
    links = table.links
    executor = Executor(
        woo, recorder, report, sku_of=lambda key: links[key].sku if key in links else key
    )
    await executor.apply(Plan(updates=tuple(updates)))
    return len(table.links)
