"""The reservation engine: open web orders held in the POS/ERP, exactly once (design.md §4).

For a store with ``reservations = true`` whose connector is a
`ports.PosReserver`, `settle_reservations` runs each allocation cycle, right
after the ledger refresh:

1. **judge** every ledger order that is open or holds a reservation with the
   pure `domain.reservation_state.next_step` (in one short transaction);
2. **reserve** each order that started allocating (and, released first, one
   whose lines or total were edited since: `order_digest`): its POS document
   (`order_mapping.map_order`, the same the export writes) goes to
   `connector.reserve` under the order's idempotency key; **release** each
   reserved order that was cancelled, refunded or failed before export
   (`connector.release`); **note** each reservation the exporter turned into
   the sale (its `write_order` found the reservation under the same key);
3. **ask** the connector which reservations it now holds when it did not
   hold them at once (`reservations_applied`).

Every connector call happens outside any database transaction and is keyed,
so a kill between the POS call and the local record only repeats a call that
finds its own work; the move is recorded as ``reserving`` / ``releasing``
before the call, so that a kill after it is finished or undone by the next
pass whatever the order did meanwhile.  A failure counts an attempt and is retried next cycle;
after ``export_max_attempts`` (or at once, when the POS refused the
document) the reservation is parked on the dashboard for a human, and the
order is allocated by StoreBridge as without reservations.

The allocation ledger reads ``reservations.applied_at`` of holding
reservations (`ledger_view.allocated_for_store`): once a POS read that
started later has been applied, the POS's on-hand excludes the units and
StoreBridge stops holding them itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storebridge.bootstrap import Services
from storebridge.domain.export_state import ExportState
from storebridge.domain.reservation_state import (
    LIVE,
    ReservationRecord,
    ReservationState,
    Step,
    converted,
    failed,
    next_step,
    released,
    releasing,
    reserved,
    reserving,
)
from storebridge.errors import ConnectorError, ExportError, PosRejected
from storebridge.persistence.tables import Export, Order, Reservation
from storebridge.persistence.types import utcnow
from storebridge.ports import PosReserver
from storebridge.sync.export.order_mapping import map_order, order_key, order_skus
from storebridge.sync.orders.go_live import export_cutoff
from storebridge.woocommerce import Order as WooOrder

__all__ = [
    "ReservationCycle",
    "load_reservation",
    "order_digest",
    "record_of",
    "reserver_for",
    "save_reservation",
    "settle_reservations",
]

_log = logging.getLogger(__name__)
_TRANSIENT: tuple[type[BaseException], ...] = (ConnectorError, OSError)
_NEVER_EXPORTED = (ExportState.SKIPPED.value,)
_EXPORTED = (ExportState.EXPORTED.value, ExportState.REVIEW.value)


@dataclass
class ReservationCycle:
    """What one reservation pass did (order ids per outcome)."""

    reserved: set[int] = field(default_factory=set)
    released: set[int] = field(default_factory=set)
    converted: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)


def reserver_for(services: Services, store: str) -> PosReserver | None:
    """The store's connector as a reserver, or None when the store does not reserve."""
    wired = services.store(store)
    connector = wired.connector
    if wired.settings.reservations and isinstance(connector, PosReserver):
        return connector
    return None


def record_of(row: Reservation) -> ReservationRecord:
    return ReservationRecord(
        state=None if row.state is None else ReservationState(row.state),
        pos_ref=row.pos_ref,
        reserved_at=row.reserved_at,
        applied_at=row.applied_at,
        released_at=row.released_at,
        attempts=row.attempts,
        last_error=row.last_error,
        tracking=row.tracking,
        shipped_at=row.shipped_at,
        shipment_problem=row.shipment_problem,
        digest=row.digest,
    )


def load_reservation(session: Session, *, store: str, order_id: int) -> Reservation | None:
    return session.scalars(
        select(Reservation).where(Reservation.store == store, Reservation.woo_order_id == order_id)
    ).one_or_none()


def save_reservation(
    session: Session, *, store: str, order_id: int, record: ReservationRecord
) -> None:
    row = load_reservation(session, store=store, order_id=order_id)
    if row is None:
        row = Reservation(store=store, woo_order_id=order_id)
        session.add(row)
    row.state = None if record.state is None else record.state.value
    row.pos_ref = record.pos_ref
    row.reserved_at = record.reserved_at
    row.applied_at = record.applied_at
    row.released_at = record.released_at
    row.attempts = record.attempts
    row.last_error = record.last_error
    row.tracking = record.tracking
    row.shipped_at = record.shipped_at
    row.shipment_problem = record.shipment_problem
    row.digest = record.digest


@dataclass(frozen=True, slots=True)
class _Job:
    order_id: int
    step: Step
    record: ReservationRecord | None
    payload: str


def _judge(session: Session, services: Services, store: str) -> list[_Job]:
    settings = services.store(store).settings
    cutoff = export_cutoff(session, store=store, settings=settings)
    query = (
        select(Order, Reservation, Export.state)
        .outerjoin(
            Reservation,
            (Reservation.store == Order.store) & (Reservation.woo_order_id == Order.woo_order_id),
        )
        .outerjoin(
            Export, (Export.store == Order.store) & (Export.woo_order_id == Order.woo_order_id)
        )
        .where(Order.store == store)
        .where(
            Order.status.in_(settings.allocating_statuses)
            | Reservation.state.in_([state.value for state in LIVE])
        )
        .order_by(Order.woo_order_id)
    )
    jobs: list[_Job] = []
    for order, row, export_state in session.execute(query).tuples():
        record = None if row is None else record_of(row)
        # Before go-live (or before the first ledger refresh tells when that is) an order is
        # the retailer's to book: reserving it would hold units no export ever takes.
        early = cutoff is None or order.date_created_gmt < cutoff
        edited = (
            record is not None
            and record.state is ReservationState.RESERVED
            and record.digest is not None
            and record.digest != order_digest(order.payload)
        )
        step = next_step(
            record,
            order.status,
            allocating_statuses=settings.allocating_statuses,
            export_statuses=settings.export_statuses,
            exported=export_state in _EXPORTED,
            never_exported=export_state in _NEVER_EXPORTED or early,
            parked_after=settings.export_max_attempts,
            edited=edited,
        )
        if step in _STEPS_HERE:  # COMPLETE_IN_WOO is ship_from_pos.settle_shipments' job
            jobs.append(_Job(order.woo_order_id, step, record, order.payload))
    return jobs


async def settle_reservations(services: Services, store: str) -> ReservationCycle:
    """Reserve, release and note conversions for `store` (see the module docstring)."""
    cycle = ReservationCycle()
    reserver = reserver_for(services, store)
    if reserver is None:
        return cycle
    with services.sessions.begin() as session:
        jobs = _judge(session, services, store)
    parked_after = services.store(store).settings.export_max_attempts
    for job in jobs:
        intent = _intent(job)
        try:
            record = await _act(services, store, reserver, job, intent)
        except (PosRejected, ExportError) as error:
            # The POS refused the document: retrying the same one cannot help, a human must look.
            # It did nothing, so the record is what it was before the intent.
            record = replace(failed(job.record, str(error)), attempts=parked_after)
            cycle.failed[job.order_id] = str(error)
        except _TRANSIENT as error:
            # The POS may have done it before the error (a timeout after its commit): the
            # intent stays, so the next pass finishes the move or undoes it, never forgets it.
            record = failed(intent or job.record, f"{type(error).__name__}: {error}")
            cycle.failed[job.order_id] = str(error)
        else:
            getattr(cycle, _OUTCOME[job.step]).add(job.order_id)
        _save(services, store, job.order_id, record)
    await _note_applied(services, store, reserver)
    if cycle.failed:
        _log.warning("store %s: reservations failed for orders %s", store, sorted(cycle.failed))
    return cycle


def _save(services: Services, store: str, order_id: int, record: ReservationRecord) -> None:
    """Store the record; a concurrent pass (webhook and cycle) that inserted first is updated."""
    for attempt in (1, 2):
        try:
            with services.sessions.begin() as session:
                save_reservation(session, store=store, order_id=order_id, record=record)
            return
        except IntegrityError:
            if attempt == 2:
                raise


_OUTCOME = {Step.RESERVE: "reserved", Step.RELEASE: "released", Step.NOTE_CONVERTED: "converted"}
_STEPS_HERE = frozenset(_OUTCOME)


def _intent(job: _Job) -> ReservationRecord | None:
    """What is recorded before the POS is asked to move units (None: no POS call).

    ``releasing``: a kill after the POS gave the units back must not leave
    StoreBridge counting on a hold the POS no longer has; ``reserving``: a
    kill after the POS held them must not leave a hold that no record would
    ever release (domain.reservation_state).
    """
    if job.step is Step.RELEASE:
        assert job.record is not None
        return releasing(job.record)
    if job.step is Step.RESERVE:
        return reserving(job.record)
    return None


async def _act(
    services: Services,
    store: str,
    reserver: PosReserver,
    job: _Job,
    intent: ReservationRecord | None,
) -> ReservationRecord:
    key = order_key(store, job.order_id)
    if job.step is Step.NOTE_CONVERTED:
        assert job.record is not None
        return converted(job.record)
    assert intent is not None
    if job.step is Step.RELEASE:
        _save(services, store, job.order_id, intent)
        await asyncio.to_thread(reserver.release, key)
        return released(intent, utcnow())
    assert job.step is Step.RESERVE
    order = WooOrder.model_validate(json.loads(job.payload))
    connector = services.store(store).connector
    skus = order_skus(order)
    known = await asyncio.to_thread(connector.known_skus, skus) if skus else set()
    document = map_order(order, store=store, known_skus=known)
    _save(services, store, job.order_id, intent)
    receipt = await asyncio.to_thread(reserver.reserve, document)
    now = utcnow()
    applied = now if receipt.applied else None
    return reserved(intent, receipt.pos_ref, now, applied, order_digest(job.payload))


def order_digest(payload: str) -> str:
    """A fingerprint of what the POS document of an order says: lines, charges and total.

    An edit between reserving and completing changes it, so the stale
    reservation is released and the order reserved (or exported) as it is.
    """
    body = json.loads(payload)
    lines = sorted(
        (str(li.get("sku") or ""), str(li.get("quantity")), str(li.get("total")))
        for li in body.get("line_items") or []
    )
    charges = sorted(
        str(charge.get("total"))
        for kind in ("shipping_lines", "fee_lines")
        for charge in body.get(kind) or []
    )
    text = json.dumps([str(body.get("total")), lines, charges])
    return hashlib.sha256(text.encode()).hexdigest()


async def _note_applied(services: Services, store: str, reserver: PosReserver) -> None:
    """Ask when the POS started holding reservations it did not hold at once."""
    with services.sessions.begin() as session:
        waiting = session.scalars(
            select(Reservation.woo_order_id).where(
                Reservation.store == store,
                Reservation.state == ReservationState.RESERVED.value,
                Reservation.applied_at.is_(None),
            )
        ).all()
    if not waiting:
        return
    keys = {order_key(store, order_id): order_id for order_id in waiting}
    try:
        answered = await asyncio.to_thread(reserver.reservations_applied, list(keys))
    except _TRANSIENT as error:
        _log.warning("store %s: cannot ask the POS which reservations it holds: %s", store, error)
        return
    with services.sessions.begin() as session:
        for key, at in answered.items():
            if key in keys:
                row = load_reservation(session, store=store, order_id=keys[key])
                if row is not None and row.applied_at is None:
                    row.applied_at = _at_least(at, row.reserved_at)


def _at_least(at: datetime, floor: datetime | None) -> datetime:
    # A POS clock behind ours must not date the hold before StoreBridge asked for it.
    return at if floor is None or at >= floor else floor
