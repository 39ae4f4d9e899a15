"""The allocation engine: keep WooCommerce's stock in step with the order ledger (design.md §4).

`refresh_and_push` is one allocation cycle for a store:

1. **refresh** the order ledger (`ledger.refresh_ledger`: orders modified
   since the cursor), right before pushing, to keep the overwrite window small;
   with ``reservations = true``, reserve newly allocating orders in the POS and
   release cancelled ones (`reservations.settle_reservations`); with
   ``ship_from_pos = true``, complete in WooCommerce the orders the POS shipped
   (`ship_from_pos.settle_shipments`);
2. **release** exported orders whose sale the POS on-hand now includes: the
   connector says the POS/ERP has *applied* the document (`applied.note_applied`
   stores ``applied_at``; a file feed's document must have reached ``sent/``)
   and an inventory snapshot whose read *started* after that has been applied
   (the products run records those snapshots in ``inventory_snapshots``); the
   export gets ``released_at``;
3. **forget** the last pushed stock of SKUs whose WooCommerce stock
   WooCommerce moved by itself (a line's ``_reduced_stock`` changed: an order
   was paid, cancelled, restocked...).  What StoreBridge last pushed is then no
   longer what WooCommerce holds, so the next push must send the figure even
   if it equals the previous one (woocommerce-rest-api.md §6.8);
4. **push** the available quantity of the SKUs whose allocation may have
   changed (`sync.stock.push_stock`, which writes only figures that differ).

`allocated` itself is never stored: `ledger_view.allocated_for_store`
recomputes it from the ledger, so replays cannot count twice.  The same
steps 2-3 run when a webhook is ingested (`webhook_ingest`) and before a
products run computes stock (`ledger_refresher`); each of those then pushes
the SKUs they moved itself, since no later cycle sees those orders again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storebridge.bootstrap import Services
from storebridge.persistence.tables import Export, OrderLine, ProductLink
from storebridge.persistence.types import utcnow
from storebridge.settings import StoreSettings
from storebridge.sync.orders.applied import note_applied
from storebridge.sync.orders.ledger import RefreshResult, refresh_ledger
from storebridge.sync.orders.ledger_view import latest_snapshot_start
from storebridge.sync.orders.reservations import ReservationCycle, settle_reservations
from storebridge.sync.orders.ship_from_pos import ShipCycle, settle_shipments
from storebridge.sync.orders.stock import push_stock
from storebridge.sync.orders.stock_due import forget_pushed_stock, mark_stock_due
from storebridge.sync.report import RunReport
from storebridge.woocommerce import WooClient

__all__ = [
    "AllocationCycle",
    "forget_pushed_stock",
    "forgotten_stock",
    "ledger_refresher",
    "refresh_and_push",
    "release_exported",
    "settle_ledger",
]


@dataclass
class AllocationCycle:
    """What one allocation cycle did."""

    refresh: RefreshResult = field(default_factory=RefreshResult)
    released: set[int] = field(default_factory=set)  # order ids released in this cycle
    skus: set[str] = field(default_factory=set)  # SKU keys handed to the stock push
    push: RunReport | None = None
    reservations: ReservationCycle = field(default_factory=ReservationCycle)
    shipments: ShipCycle = field(default_factory=ShipCycle)

    @property
    def pushed(self) -> int:
        """Stock figures written to WooCommerce."""
        return 0 if self.push is None else self.push.counts.get("updated", 0)


def release_exported(
    session: Session, *, store: str, now: datetime | None = None
) -> dict[int, set[str]]:
    """Mark exported orders whose sale a later inventory read includes as released.

    "Later" means the read started after the POS/ERP applied the document
    (``applied_at``), not merely after it was written.

    Returns the released order ids with their SKU keys.  The release itself
    is already visible to `allocated_for_store` (it compares the times); the
    mark keeps the record for the dashboard and makes the rule explicit.
    """
    snapshot = latest_snapshot_start(session, store=store)
    if snapshot is None:
        return {}
    order_ids = session.scalars(
        select(Export.woo_order_id).where(
            Export.store == store,
            Export.exported_at.is_not(None),
            Export.released_at.is_(None),
            # domain.allocation.release_due: applied, then read after that.
            Export.applied_at < snapshot,
        )
    ).all()
    if not order_ids:
        return {}
    session.execute(
        update(Export)
        .where(Export.store == store, Export.woo_order_id.in_(order_ids))
        # updated_at is the exporter's order version: leave it as it is.
        .values(released_at=now or utcnow(), updated_at=Export.updated_at)
    )
    released: dict[int, set[str]] = {order_id: set() for order_id in order_ids}
    lines = session.execute(
        select(OrderLine.woo_order_id, OrderLine.sku_key).where(
            OrderLine.store == store,
            OrderLine.woo_order_id.in_(order_ids),
            OrderLine.sku_key.is_not(None),
        )
    )
    for order_id, key in lines:
        released[order_id].add(key)
    return released


def forgotten_stock(session: Session, store: str) -> set[str]:
    """Linked SKUs whose pushed stock was forgotten (`forget_pushed_stock`) and not yet resent.

    The SKUs whose stock is due (`stock_due`): WooCommerce moved their stock,
    or a ledger change moved their figure and the push that followed did not
    happen (a process killed in between, a products run whose incremental read
    did not carry them).  The next cycle's refresh sees no new order for them.
    """
    return set(
        session.scalars(
            select(ProductLink.sku_key).where(
                ProductLink.store == store,
                ProductLink.state == "linked",
                ProductLink.kind != "variable",
                ProductLink.pushed_stock.is_(None),
                ProductLink.pushed_at.is_not(None),
            )
        )
    )


def settle_ledger(
    sessions: sessionmaker[Session], store: str, settings: StoreSettings
) -> dict[int, set[str]]:
    """Step 2 of the cycle; returns the released orders.

    Step 3 happened where the orders were recorded (`stock_due.note_ledger_changes`).
    The release marks the stock it made due in its own transaction (`stock_due`).
    """
    with sessions.begin() as session:
        released = release_exported(session, store=store)
        keys = {key for order_keys in released.values() for key in order_keys}
        mark_stock_due(session, store=store, settings=settings, sku_keys=keys)
    return released


async def refresh_and_push(
    services: Services, store: str, *, since: datetime | None = None
) -> AllocationCycle:
    """One allocation cycle for `store` (see the module docstring).

    Args:
        services: the wired application.
        store: the store name.
        since: where the very first ledger read starts (None: every order).
    """
    cycle = AllocationCycle()
    settings = services.store(store).settings
    async with services.store(store).woo() as woo:
        cycle.refresh = await refresh_ledger(
            services.sessions, store, woo, since=since, settings=settings
        )
    cycle.reservations = await settle_reservations(services, store)
    cycle.shipments = await settle_shipments(services, store)
    await note_applied(services, store)
    released = settle_ledger(services.sessions, store, settings)
    cycle.released = set(released)
    with services.sessions() as session:
        forgotten = forgotten_stock(session, store)
    cycle.skus = (
        cycle.refresh.skus | {key for keys in released.values() for key in keys} | forgotten
    )
    if cycle.skus:
        cycle.push = await push_stock(services, store, sorted(cycle.skus))
    return cycle


def ledger_refresher(
    services: Services, store: str, *, since: datetime | None = None
) -> Callable[[WooClient], Awaitable[set[str]]]:
    """The ``refresh_ledger`` hook of `sync_products` / `push_stock` for `store`.

    It refreshes the ledger with the run's own client, then releases and
    forgets as an allocation cycle does, so the figures computed right after
    are current.  It returns the SKU keys whose allocation it moved (changed
    orders, released exports) and those still due from an earlier run
    (`forgotten_stock`), exactly those an allocation cycle would push: the
    refresh consumed their orders, so no later cycle sees them again and the
    caller must push them itself, even those its own read did not carry (an
    incremental read carries only what changed in the POS).
    """
    settings = services.store(store).settings

    async def refresh(woo: WooClient) -> set[str]:
        result = await refresh_ledger(services.sessions, store, woo, since=since, settings=settings)
        await settle_reservations(services, store)
        await note_applied(services, store)
        released = settle_ledger(services.sessions, store, settings)
        with services.sessions() as session:
            forgotten = forgotten_stock(session, store)
        return result.skus | {key for keys in released.values() for key in keys} | forgotten

    return refresh
