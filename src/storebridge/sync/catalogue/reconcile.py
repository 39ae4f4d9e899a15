"""Reconcile: read WooCommerce back, report drift, fix it, and find lost links.

The products engine pushes only what changed since its last push, so a value
edited by hand in WooCommerce (a stock count, a price) would stay wrong until
the POS changes it.  Reconcile reads every linked product (`readback`) and
compares the POS-owned fields with what StoreBridge stands for:

* prices: the values last pushed (the POS's, as of the last products run);
* stock: recomputed from the stored on-hand and the order ledger, exactly as
  `stock.push_stock` would publish it (never the stale last-pushed figure, or
  orders placed since would be sold twice).

Each difference is a `Drift` (field, ours, theirs); with ``fix`` the
corrections go through the same executor as a products run.

It also judges every link (`domain.links.classify_remote`): a product whose
SKU was edited in WooCommerce is a *broken* link, a deleted or trashed one is
*deleted*; neither is ever re-created or written to.  A broken or deleted
link whose product is healthy again (SKU put back, restored from the trash)
is relinked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from storebridge.bootstrap import Services
from storebridge.domain.allocation import StockExplanation
from storebridge.domain.links import BrokenLink, Deleted, LinkView, classify_remote
from storebridge.domain.operations import Plan, UpdateFields
from storebridge.domain.ownership import PosOwned, pos_owned_wire, update_payload
from storebridge.persistence.repositories.links import NewLink, upsert_links
from storebridge.persistence.types import utcnow
from storebridge.sync.catalogue.executor import Executor, Progress
from storebridge.sync.catalogue.link_table import LinkTable, load_links
from storebridge.sync.catalogue.readback import read_linked
from storebridge.sync.catalogue.recorder import DbRecorder, Lost
from storebridge.sync.messages import broken_link, deleted_product
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.report import Drift, RunReport
from storebridge.sync.runs import LedgerRefresh, run_job
from storebridge.woocommerce import WooClient

__all__ = ["reconcile"]


async def reconcile(
    services: Services,
    store: str,
    *,
    fix: bool = True,
    refresh_ledger: LedgerRefresh | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Compare WooCommerce with the link table for `store`; fix drift when `fix`.

    Args:
        services: the wired application.
        store: the store name.
        fix: push corrections (False: report only, write nothing in WooCommerce).
        refresh_ledger: refreshes the order ledger before stock is recomputed.
        progress: called as corrections are written.
    """
    settings = services.store(store).settings
    report = RunReport(store, "reconcile", utcnow())

    async def body(woo: WooClient) -> None:
        if refresh_ledger is not None:
            await refresh_ledger(woo)
        with services.sessions() as session:
            table = load_links(session, store=store)
            allocated = allocated_for_store(session, store, settings)
        targets = [
            link
            for link in table.links.values()
            if link.woo_id is not None and link.state in ("linked", "broken", "deleted")
        ]
        remote = await read_linked(woo, targets)
        lost: list[Lost] = []
        relink: list[NewLink] = []
        fixes: list[UpdateFields] = []
        terms: dict[str, StockExplanation] = {}
        for link in targets:
            view = remote.get(link.sku_key)
            health = classify_remote(link, view)
            if isinstance(health, Deleted):
                if link.state != "deleted":
                    lost.append(_lost(link, "deleted", deleted_product(link.live_id)))
                continue
            if isinstance(health, BrokenLink):
                if link.state != "broken":
                    problem = broken_link(link.live_id, link.sku, health.found_sku)
                    lost.append(_lost(link, "broken", problem))
                continue
            if link.state != "linked":
                relink.append(
                    NewLink(link.sku, link.live_id, link.kind, "adopted", link.woo_parent_id)
                )
            if view is None or link.kind == "variable":
                continue
            ours = _ours(link, table, allocated, settings.safety_for, settings.delist, terms)
            if ours is None:
                continue
            report.drift.extend(_drift(link, ours, view.owned))
            payload = update_payload(ours, view.owned)
            if payload and fix:
                fixes.append(
                    UpdateFields(link.sku_key, link.live_id, link.woo_parent_id, payload, ours)
                )
        report.counts["checked"] += len(targets)
        report.counts["drifted"] += len({d.sku for d in report.drift})
        if relink:
            with services.sessions.begin() as session:
                upsert_links(session, store=store, links=relink)
            report.counts["relinked"] += len(relink)

        def explain(key: str) -> tuple[StockExplanation, str] | None:
            found = terms.get(key)
            return None if found is None else (found, f"reconcile: {found}")

        recorder = DbRecorder(services.sessions, store, explain=explain)
        executor = Executor(woo, recorder, report, progress=progress)
        executor.lose(lost)
        await executor.apply(Plan(updates=tuple(fixes)))

    await run_job(services, store, report, body)
    return report


def _lost(link: LinkView, state: Literal["broken", "deleted"], problem: str) -> Lost:
    return Lost(link.sku_key, link.sku, state, problem, link.woo_id)


def _ours(
    link: LinkView,
    table: LinkTable,
    allocated: dict[str, int],
    safety_for: Callable[[str], int],
    delist: str,
    terms: dict[str, StockExplanation],
) -> PosOwned | None:
    """What StoreBridge stands for on this link, or None when it makes no claim."""
    last = link.last_pushed
    if last is None:
        return None  # never pushed: the products run owns it
    on_hand = table.on_hand.get(link.sku_key)
    if on_hand is None:
        # Out of the selection: "leave" means hands off; "zero_stock" stands by the 0 it pushed.
        return None if delist == "leave" else last
    safety = safety_for(link.sku)
    held = allocated.get(link.sku_key, 0)
    available = max(0, on_hand - held - safety)
    terms[link.sku_key] = StockExplanation(on_hand, held, safety, available)
    return replace(last, manage_stock=True, stock_quantity=available)


def _drift(link: LinkView, ours: PosOwned, theirs: PosOwned) -> list[Drift]:
    want, have = pos_owned_wire(ours), pos_owned_wire(theirs)
    return [
        Drift(link.sku, link.live_id, key, str(want[key]), str(have[key]))
        for key in want
        if want[key] != have[key]
    ]
