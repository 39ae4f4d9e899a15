"""The Orders and Runs pages: export records by state, and the run log.

An export record (one per WooCommerce order, `sync.export`) is listed with
its order's number, status and total, and where the order stands in the POS
(`pos_standing`: not known yet, reserved, released, exported, shipped by
the POS, or a shipment the POS cancelled, for a human); failed and
parked records offer Retry and Skip (`sync.export.engine.retry_export` /
`skip_export`, the same functions as `storebridge orders retry | skip`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storebridge.persistence.tables import Export, Order, Reservation, Run

__all__ = [
    "EXPORT_STATES",
    "ExportLine",
    "export_counts",
    "list_exports",
    "list_runs",
    "pos_standing",
]

EXPORT_STATES = ("failed", "review", "eligible", "seen", "exported", "skipped")
_LIMIT = 200


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One order's export record, as the Orders page shows it."""

    store: str
    woo_order_id: int
    number: str
    order_status: str
    total: Decimal | None
    state: str
    attempts: int
    next_retry_at: datetime | None
    last_error: str | None
    skip_reason: str | None
    pos_ref: str | None
    flags: list[str]
    updated_at: datetime
    in_pos: str = ""  # `pos_standing`

    @property
    def parked(self) -> bool:
        return self.state == "failed" and self.next_retry_at is None

    @property
    def can_retry(self) -> bool:
        # A skipped order (by hand, or created before go-live) may be exported after all.
        return self.state in ("failed", "skipped")

    @property
    def can_resolve(self) -> bool:
        return self.state == "review"

    @property
    def can_skip(self) -> bool:
        return self.state in ("seen", "eligible", "failed")


def pos_standing(export_state: str, reservation: Reservation | None) -> str:
    """Where the order stands in the POS/ERP, in a few words for the Orders page."""
    if reservation is not None and reservation.shipped_at is not None:
        tracking = f", tracking {reservation.tracking}" if reservation.tracking else ""
        done = "" if reservation.state == "converted" else "; WooCommerce not told yet"
        return f"shipped by the POS as {reservation.pos_ref}{tracking}{done}"
    if export_state in ("exported", "review"):
        if reservation is not None and reservation.state == "converted":
            return "exported (was reserved)"
        return "exported"
    if reservation is None:
        return "not in the POS yet"
    if reservation.state == "reserved" and reservation.shipment_problem:
        return f"reserved as {reservation.pos_ref}: {reservation.shipment_problem}"
    if reservation.state == "reserved":
        return f"reserved as {reservation.pos_ref}"
    if reservation.state == "releasing":
        return "reservation being released"
    if reservation.state == "reserving" and reservation.last_error:
        return f"reservation failed ({reservation.attempts}x): {reservation.last_error}"
    if reservation.state == "reserving":
        return "reservation being placed"
    if reservation.state == "released":
        return "reservation released"
    if reservation.last_error:
        return f"reservation failed ({reservation.attempts}x): {reservation.last_error}"
    return "not in the POS yet"


def export_counts(session: Session, *, stores: list[str]) -> dict[str, int]:
    """How many export records are in each state."""
    rows = session.execute(
        select(Export.state, func.count()).where(Export.store.in_(stores)).group_by(Export.state)
    )
    return {str(state): int(count) for state, count in rows}


def list_exports(
    session: Session, *, stores: list[str], state: str | None = None
) -> list[ExportLine]:
    """Export records (of one state), most recently changed first."""
    query = (
        select(Export, Order.number, Order.status, Order.total, Reservation)
        .outerjoin(
            Order, (Order.store == Export.store) & (Order.woo_order_id == Export.woo_order_id)
        )
        .outerjoin(
            Reservation,
            (Reservation.store == Export.store) & (Reservation.woo_order_id == Export.woo_order_id),
        )
        .where(Export.store.in_(stores))
        .order_by(Export.updated_at.desc(), Export.id.desc())
        .limit(_LIMIT)
    )
    if state:
        query = query.where(Export.state == state)
    return [
        ExportLine(
            store=export.store,
            woo_order_id=export.woo_order_id,
            number=number or str(export.woo_order_id),
            order_status=status or "?",
            total=total,
            state=export.state,
            attempts=export.attempts,
            next_retry_at=export.next_retry_at,
            last_error=export.last_error,
            skip_reason=export.skip_reason,
            pos_ref=export.pos_ref,
            flags=list(export.flags or []),
            updated_at=export.updated_at,
            in_pos=pos_standing(export.state, reservation),
        )
        for export, number, status, total, reservation in session.execute(query).tuples()
    ]


def list_runs(
    session: Session,
    *,
    stores: list[str],
    job: str | None = None,
    outcome: str | None = None,
    limit: int = _LIMIT,
) -> list[Run]:
    """The run log, newest first."""
    query = select(Run).where(Run.store.in_(stores)).order_by(Run.id.desc()).limit(limit)
    if job:
        query = query.where(Run.job == job)
    if outcome:
        query = query.where(Run.outcome == outcome)
    return list(session.scalars(query))
