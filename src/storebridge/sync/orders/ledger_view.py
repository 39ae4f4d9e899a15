"""Read-only view of the order ledger: the units allocated per SKU (design.md §4).

The allocation engine writes the ledger (orders and their lines, their
exports, and the inventory snapshots that release exported orders); the
products engine and the stock push only *read* it here, through
`domain.allocation`, so ``allocated`` is always recomputed from the orders and
never kept as a counter.

An order is released once the POS on-hand excludes its units: when its
export carries ``released_at``, or when the POS/ERP knows the order (it
applied the exported document, ``exports.applied_at``, or holds its
reservation, ``reservations.applied_at``) and an inventory read that
*started* after that has been applied (`domain.allocation.pos_knows_since`,
`release_due`).  A reserved order is released so while still open.  A products run that is
reading the POS right now passes that read's start (`reading_since`), since
the on-hand it is about to publish already includes such exports.

An order in an export status that StoreBridge will not export is the
retailer's to book in the POS/ERP, as before StoreBridge, so it holds nothing
back either: its export was ``skipped`` (by a human, or because the order was
created before the store's go-live cutoff, `sync.go_live`), or the exporter
has not judged it yet but it was created before that cutoff.  Such orders
still allocate while they are open (pending, processing, on-hold).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storebridge.domain.allocation import (
    OrderFacts,
    allocated_by_sku,
    pos_knows_since,
    release_due,
)
from storebridge.domain.export_state import ExportState
from storebridge.domain.reservation_state import HOLDING
from storebridge.persistence.tables import (
    Export,
    InventorySnapshot,
    Order,
    OrderLine,
    Reservation,
)
from storebridge.settings import StoreSettings
from storebridge.sync.orders.go_live import export_cutoff

__all__ = ["allocated_for_store", "latest_snapshot_start"]


def latest_snapshot_start(session: Session, *, store: str) -> datetime | None:
    """When the newest applied inventory read of `store` started, if any."""
    return session.scalar(
        select(func.max(InventorySnapshot.read_started_at)).where(InventorySnapshot.store == store)
    )


def allocated_for_store(
    session: Session,
    store: str,
    settings: StoreSettings,
    *,
    reading_since: datetime | None = None,
    sku_keys: Collection[str] | None = None,
) -> dict[str, int]:
    """Units allocated per SKU key for `store`, recomputed from its ledger.

    Args:
        session: a session on StoreBridge's database.
        store: the store name.
        settings: the store's settings (allocating and export statuses).
        reading_since: start of a POS read in progress whose on-hand will be
            published together with this allocation.
        sku_keys: only these SKU keys (None: all); an order's facts do not
            depend on its other lines, so their figures are the same.
    """
    statuses = sorted({*settings.allocating_statuses, *settings.export_statuses})
    snapshot = latest_snapshot_start(session, store=store)
    cutoff = export_cutoff(session, store=store, settings=settings)
    if reading_since is not None and (snapshot is None or reading_since > snapshot):
        snapshot = reading_since
    query = (
        select(
            Order.woo_order_id,
            Order.status,
            OrderLine.sku_key,
            OrderLine.quantity,
            Order.date_created_gmt,
            Export.state,
            Export.exported_at,
            Export.applied_at,
            Export.released_at,
            Reservation.state,
            Reservation.applied_at,
        )
        .join(
            OrderLine,
            (OrderLine.store == Order.store) & (OrderLine.woo_order_id == Order.woo_order_id),
        )
        .outerjoin(
            Export, (Export.store == Order.store) & (Export.woo_order_id == Order.woo_order_id)
        )
        .outerjoin(
            Reservation,
            (Reservation.store == Order.store) & (Reservation.woo_order_id == Order.woo_order_id),
        )
        .where(Order.store == store, Order.status.in_(statuses), OrderLine.sku_key.is_not(None))
        .order_by(Order.woo_order_id)
    )
    if sku_keys is not None:
        query = query.where(OrderLine.sku_key.in_(sorted(set(sku_keys))))
    lines: dict[int, list[tuple[str, int]]] = {}
    facts: dict[int, tuple[str, datetime | None, datetime | None, bool]] = {}
    rows = session.execute(query)
    for row in rows:
        order_id, status, key, quantity, created, state, exported_at, applied_at = row[:8]
        released_at, reservation_state, reservation_applied_at = row[8:]
        lines.setdefault(order_id, []).append((key, quantity))
        not_exported = state == ExportState.SKIPPED.value or (
            state is None and cutoff is not None and created < cutoff
        )
        known_since = pos_knows_since(
            applied_at if exported_at is not None else None,
            reservation_applied_at if reservation_state in HOLDING else None,
        )
        released = (
            released_at is not None
            or release_due(known_since, snapshot)
            or (not_exported and status in settings.export_statuses)
        )
        facts[order_id] = (status, exported_at, applied_at, released)
    orders = (
        OrderFacts(order_id, status, tuple(lines[order_id]), exported_at, released, applied_at)
        for order_id, (status, exported_at, applied_at, released) in facts.items()
    )
    return allocated_by_sku(orders, settings.allocating_statuses, settings.export_statuses)
