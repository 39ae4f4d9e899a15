"""Ship-from-POS: the POS/ERP ships web orders and StoreBridge completes them in WooCommerce.

For a store with ``ship_from_pos = true`` (and reservations), an order goes
to the POS as a reservation when it starts processing
(`reservations.settle_reservations`); a POS user ships it there.
`settle_shipments` then, each allocation cycle:

1. **asks** the connector (`ports.PosShipper.shipments`) about every reserved
   order;
2. for each **shipped** one, records in one transaction the reservation as
   ``shipped`` (with the tracking reference) *and* its export as
   ``exported`` under the reservation's POS reference, so the exporter never
   writes it a second time; for a shipment **cancelled** in the POS it notes
   the problem, which the Orders page shows for a human;
3. for each ``shipped`` reservation, tells WooCommerce: a customer note with
   the tracking number (looked up among the order's notes first, so a kill
   after posting it never posts a second), then status ``completed`` with the
   tracking as order meta (``_storebridge_tracking``), an absolute update
   that is safe to repeat; only then the reservation is ``converted``.

The exporter leaves reserved orders of such a store alone
(`export.engine`): the POS ships them, not the export.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from storebridge.bootstrap import Services
from storebridge.domain.export_state import ExportState, observe, succeeded
from storebridge.domain.reservation_state import (
    ReservationState,
    converted,
    shipment_cancelled,
    shipped,
)
from storebridge.errors import ConnectorError
from storebridge.persistence.tables import Order, Reservation
from storebridge.persistence.types import utcnow
from storebridge.ports import PosShipper
from storebridge.sync.export.order_mapping import order_key
from storebridge.sync.export.records import load_export, record_of, save_export
from storebridge.sync.orders.reservations import load_reservation, save_reservation
from storebridge.sync.orders.reservations import record_of as reservation_of
from storebridge.woocommerce import WooClient
from storebridge.woocommerce.errors import WooError

__all__ = ["TRACKING_META", "ShipCycle", "settle_shipments", "tracking_note"]

_log = logging.getLogger(__name__)
#: The order meta key carrying the POS shipment's tracking reference.
TRACKING_META = "_storebridge_tracking"
_NOT_YET_EXPORTED = (ExportState.SEEN, ExportState.ELIGIBLE, ExportState.FAILED)
CANCELLED_PROBLEM = "the shipment was cancelled in the POS/ERP: decide what happens to the order"


@dataclass
class ShipCycle:
    """What one ship-from-POS pass did (order ids)."""

    shipped: set[int] = field(default_factory=set)
    completed: set[int] = field(default_factory=set)
    cancelled: set[int] = field(default_factory=set)


def tracking_note(tracking: str | None) -> str:
    """The customer note that tells the shopper the parcel left."""
    if tracking:
        return f"Your order has shipped. Tracking number: {tracking}"
    return "Your order has shipped."


def _shipper(services: Services, store: str) -> PosShipper | None:
    wired = services.store(store)
    connector = wired.connector
    if wired.settings.ship_from_pos and isinstance(connector, PosShipper):
        return connector
    return None


async def settle_shipments(services: Services, store: str) -> ShipCycle:
    """Steps 1-3 of the module docstring for `store` (nothing without ship-from-POS)."""
    cycle = ShipCycle()
    shipper = _shipper(services, store)
    if shipper is None:
        return cycle
    with services.sessions.begin() as session:
        waiting = session.scalars(
            select(Reservation.woo_order_id).where(
                Reservation.store == store,
                Reservation.state == ReservationState.RESERVED.value,
            )
        ).all()
    if waiting:
        keys = {order_key(store, order_id): order_id for order_id in waiting}
        try:
            news = await asyncio.to_thread(shipper.shipments, list(keys))
        except (ConnectorError, OSError) as error:
            _log.warning("store %s: cannot ask the POS about shipments: %s", store, error)
            news = {}
        for key, shipment in news.items():
            if key in keys:
                _note(services, store, keys[key], shipment.state, shipment.tracking, cycle)
    await _complete_in_woo(services, store, cycle)
    return cycle


def _note(
    services: Services,
    store: str,
    order_id: int,
    state: str,
    tracking: str | None,
    cycle: ShipCycle,
) -> None:
    """Record a shipment's news: shipped (and exported, in the same transaction) or cancelled."""
    with services.sessions.begin() as session:
        row = load_reservation(session, store=store, order_id=order_id)
        if row is None or row.state != ReservationState.RESERVED.value:
            return
        record = reservation_of(row)
        if state == "cancelled":
            if record.shipment_problem is None:
                save_reservation(
                    session,
                    store=store,
                    order_id=order_id,
                    record=shipment_cancelled(record, CANCELLED_PROBLEM),
                )
                cycle.cancelled.add(order_id)
            return
        now = utcnow()
        save_reservation(
            session, store=store, order_id=order_id, record=shipped(record, tracking, now)
        )
        order = session.scalars(
            select(Order).where(Order.store == store, Order.woo_order_id == order_id)
        ).one()
        export = load_export(session, store=store, order_id=order_id)
        current = None if export is None else record_of(export)
        if current is None or current.state in _NOT_YET_EXPORTED:
            # The POS's own document is the sale: the exporter must never write another one.
            eligible = observe(current, "completed", ("completed",))
            assert record.pos_ref is not None
            save_export(
                session,
                store=store,
                order_id=order_id,
                record=succeeded(eligible, record.pos_ref, now),
                version=order.updated_at,
                document_total=order.total,
            )
        cycle.shipped.add(order_id)


async def _complete_in_woo(services: Services, store: str, cycle: ShipCycle) -> None:
    with services.sessions.begin() as session:
        rows = session.scalars(
            select(Reservation).where(
                Reservation.store == store, Reservation.state == ReservationState.SHIPPED.value
            )
        ).all()
        todo = [(row.woo_order_id, reservation_of(row)) for row in rows]
    if not todo:
        return
    async with services.store(store).woo() as woo:
        for order_id, record in todo:
            try:
                await _tell_woo(woo, order_id, record.tracking)
            except WooError as error:  # told next cycle; the other orders carry on
                _log.warning(
                    "store %s: order %s shipped, WooCommerce not told yet: %s",
                    store,
                    order_id,
                    error,
                )
                continue
            with services.sessions.begin() as session:
                save_reservation(session, store=store, order_id=order_id, record=converted(record))
            cycle.completed.add(order_id)


async def _tell_woo(woo: WooClient, order_id: int, tracking: str | None) -> None:
    text = tracking_note(tracking)
    notes = await woo.request_json("GET", f"/orders/{order_id}/notes", params={"type": "customer"})
    if not any(str(note.get("note", "")).strip() == text for note in notes):
        await woo.request_json(
            "POST",
            f"/orders/{order_id}/notes",
            json={"note": text, "customer_note": True},
            idempotent=False,
        )
    changes: dict[str, object] = {"status": "completed"}
    if tracking:
        changes["meta_data"] = [{"key": TRACKING_META, "value": tracking}]
    await woo.update_order(order_id, changes)
