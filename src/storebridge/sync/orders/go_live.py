"""The go-live point of a store: orders created before it are not StoreBridge's to export.

A fresh installation reads the store's whole order history into the ledger,
because allocation needs every open order (design.md §4).  The retailer has
keyed the older orders into the POS/ERP by hand, so exporting them would make
duplicate invoices.  The store setting ``export_orders_since`` names the
cutoff: an aware datetime, or ``"first-run"`` (the default), meaning the
moment StoreBridge first refreshed the store's ledger.

That moment is recorded once per store, as the cursor stream `GO_LIVE_STREAM`
(its value is the ISO-8601 time), in the same transaction as the first ledger
page, so no order reaches the ledger by polling before the cutoff is known.
It never moves afterwards.  A store whose ledger was refreshed by a release
that did not record the moment gets the time its first order was recorded.

The exporter applies the cutoff when it first judges an order: one created
before it is ``skipped`` with `before_go_live_reason`.  A human may still
retry it (`sync.export.retry_export`), and is then not asked again.  A
skipped order in an export status is no longer allocated: the retailer
books it in the POS/ERP (`ledger_view.allocated_for_store`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storebridge.persistence.repositories import cursors as cursor_repo
from storebridge.persistence.tables import Order
from storebridge.settings import StoreSettings

__all__ = [
    "GO_LIVE_STREAM",
    "before_go_live_reason",
    "export_cutoff",
    "mark_go_live",
    "recorded_go_live",
]

#: The cursor stream holding the moment StoreBridge first refreshed a store's ledger.
GO_LIVE_STREAM = "orders:go-live"

#: The ledger's order stream (`sync.ledger.ORDERS_STREAM`): its cursor exists once a refresh ran.
_ORDERS_STREAM = "orders"


def recorded_go_live(session: Session, *, store: str) -> datetime | None:
    """When StoreBridge first refreshed the store's ledger; None before that."""
    state = cursor_repo.get_cursor(session, store=store, stream=GO_LIVE_STREAM)
    if state is None or state.value is None:
        return None
    return datetime.fromisoformat(state.value)


def mark_go_live(session: Session, *, store: str, at: datetime) -> datetime:
    """Record `at` as the store's go-live moment unless one is recorded; the recorded moment.

    Call it in the transaction that records the first ledger page.  WooCommerce
    dates orders to the second, so the moment is kept to the second: an order
    created in the same second as the first refresh counts as new.
    """
    known = recorded_go_live(session, store=store)
    if known is not None:
        return known
    moment = at.astimezone(UTC).replace(microsecond=0)
    if cursor_repo.get_cursor(session, store=store, stream=_ORDERS_STREAM) is not None:
        # Refreshed before go-live was recorded: its first refresh is when it first saw an order.
        first_seen = session.scalar(select(func.min(Order.first_seen)).where(Order.store == store))
        if first_seen is not None:
            moment = min(moment, first_seen.astimezone(UTC).replace(microsecond=0))
    state = cursor_repo.start_cursor(
        session, store=store, stream=GO_LIVE_STREAM, value=moment.isoformat(), now=at
    )
    assert state.value is not None
    return datetime.fromisoformat(state.value)


def export_cutoff(session: Session, *, store: str, settings: StoreSettings) -> datetime | None:
    """Orders created before this moment are not exported; None while it is not known yet.

    It is only unknown with ``export_orders_since = "first-run"`` (`FIRST_RUN`) before the
    store's first ledger refresh.
    """
    since = settings.export_orders_since
    if isinstance(since, datetime):
        return since
    return recorded_go_live(session, store=store)


def before_go_live_reason(cutoff: datetime) -> str:
    """The skip reason of an order created before `cutoff`, as the CLI and dashboard show it."""
    return f"created before go-live {cutoff.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
