"""The POS reservation of one WooCommerce order, as pure decisions (design.md §4).

Without reservations the POS/ERP learns of a web order only when it is
exported at completion, and until then its till may sell the units the web
order took.  With reservations (a connector capability, optional per store)
StoreBridge places a reservation in the POS as soon as the order allocates,
so the POS itself stops offering the units:

    (none) ──order allocates──> reserving ──> reserved(pos_ref)
    reserved ──order completes, export writes the same document──> converted
    reserved ──order cancelled/refunded/failed before export──> releasing ──> released
    reserving ──order ended before the POS answer was recorded──> releasing ──> released
    released | releasing ──order allocates again (a cancelled order restored)──> reserved
    reserved ──ship-from-POS: the POS shipped it──> shipped ──WooCommerce completed──> converted

Each connector call carries the order's idempotency key and looks it up
before writing, so a crash between the POS call and the local record only
repeats a call that then finds its own work.  `converted` is final: the
reservation *is* the exported sale, one document, never two.

A release is recorded as ``releasing`` *before* the POS is asked: from then
on StoreBridge no longer counts on the POS holding the units.  Otherwise a
kill after the POS gave the units back but before the record, followed by
the order being restored, would leave nobody holding them (the property
test of `tests/domain/test_reservation_state.py` found exactly that).

A reservation is likewise recorded as ``reserving`` before the POS is asked
to hold the units: the POS may hold them from then on.  Without it, a kill
(or a timeout) after the POS held them and before the record, followed by
the order's cancellation, left a hold nobody would ever release: no record,
so nothing to release (the property test found that too).  While
``reserving`` the POS *may* hold the units, so StoreBridge still holds them
itself (the safe side: counted twice, never free twice) until the record or
the export catches up.

`next_step` says what the reservation engine must do for an order now;
`reserved`, `released`, `converted` and `failed` are the transitions and
raise `ValueError` naming the state when a move is not allowed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

__all__ = [
    "HOLDING",
    "LIVE",
    "ReservationRecord",
    "ReservationState",
    "Step",
    "converted",
    "failed",
    "next_step",
    "released",
    "releasing",
    "reserved",
    "reserving",
    "shipment_cancelled",
    "shipped",
]


class ReservationState(StrEnum):
    RESERVING = "reserving"  # the POS is being asked to hold the units: it may hold them
    RESERVED = "reserved"
    RELEASING = "releasing"  # the POS is being asked to give the units back
    RELEASED = "released"
    SHIPPED = "shipped"  # ship-from-POS: the POS shipped it; WooCommerce is yet to be told
    CONVERTED = "converted"


#: States in which the POS counts the order's units as taken (held, or sold as the export).
HOLDING = frozenset(
    {
        ReservationState.RESERVED.value,
        ReservationState.SHIPPED.value,
        ReservationState.CONVERTED.value,
    }
)


#: States in which the POS holds or may hold the units: an order that ends must be released.
LIVE = frozenset(
    {ReservationState.RESERVING, ReservationState.RESERVED, ReservationState.RELEASING}
)
_MAY_RESERVE = frozenset(
    {None, ReservationState.RESERVING, ReservationState.RELEASED, ReservationState.RELEASING}
)


class Step(StrEnum):
    """What the reservation engine does for one order in this cycle."""

    NOTHING = "nothing"
    RESERVE = "reserve"
    RELEASE = "release"
    NOTE_CONVERTED = "note_converted"  # the exporter wrote the sale: only the record changes
    COMPLETE_IN_WOO = "complete_in_woo"  # ship-from-POS: complete the order, with its tracking


@dataclass(frozen=True, slots=True)
class ReservationRecord:
    """What StoreBridge knows of an order's reservation.

    `state` is None while no reservation was ever placed (a failed first
    attempt keeps its error and count here).  `applied_at` is when the POS
    held the units (for Tryton and the demo POS the moment of the write; for
    a file feed when the ERP imported the reservation document).
    """

    state: ReservationState | None = None
    pos_ref: str | None = None
    reserved_at: datetime | None = None
    applied_at: datetime | None = None
    released_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    tracking: str | None = None  # ship-from-POS: the POS shipment's tracking reference
    shipped_at: datetime | None = None
    shipment_problem: str | None = None  # the POS cancelled the shipment: a human must look
    digest: str | None = None  # what the reserved document said (lines, total): edits show

    @property
    def holding(self) -> bool:
        """Whether the POS holds (or, once converted, has sold) the order's units."""
        return self.state is not None and self.state.value in HOLDING


def next_step(
    record: ReservationRecord | None,
    order_status: str,
    *,
    allocating_statuses: Collection[str],
    export_statuses: Collection[str],
    exported: bool,
    never_exported: bool,
    parked_after: int,
    edited: bool = False,
) -> Step:
    """The engine's next move for an order (pure).

    Args:
        record: the order's reservation record, None if never attempted.
        order_status: the WooCommerce status the ledger holds.
        allocating_statuses: statuses that hold units (pending, processing, on-hold).
        export_statuses: statuses that trigger export (the exporter converts then).
        exported: the order's export record is exported (or under review).
        never_exported: StoreBridge will not export the order (its export was
            skipped, or it was created before the store's go-live): it is the
            retailer's to book in the POS, so StoreBridge holds nothing there.
        parked_after: failed attempts after which a human must look first.
        edited: the order's lines or total differ from the reserved document:
            the reservation is released, and the next pass reserves the order
            as it is now (or the export writes it), so the POS never finishes a
            stale document.
    """
    state = None if record is None else record.state
    if state is ReservationState.CONVERTED:
        return Step.NOTHING
    if state is ReservationState.SHIPPED:
        return Step.COMPLETE_IN_WOO  # whatever WooCommerce says now: the goods have left
    if exported:
        # The exporter's write_order found the reservation under the same key and finished it
        # (a reservation being released may or may not have been there: the export's own
        # application time governs the allocation then).
        return Step.NOTE_CONVERTED if state is ReservationState.RESERVED else Step.NOTHING
    if record is not None and record.attempts >= parked_after:
        return Step.NOTHING  # parked: shown on the dashboard, retried by a human
    live = state in LIVE
    if edited and state is ReservationState.RESERVED:
        return Step.RELEASE
    if never_exported:
        return Step.RELEASE if live else Step.NOTHING
    if order_status in export_statuses:
        # The export converts a held reservation (one half placed included: its write finds the
        # hold under the key, if the POS has it); one half released is finished first.
        return Step.RELEASE if state is ReservationState.RELEASING else Step.NOTHING
    if order_status in allocating_statuses:
        return Step.NOTHING if state is ReservationState.RESERVED else Step.RESERVE
    # Cancelled, refunded, failed, trash...: the units are free again before export.
    return Step.RELEASE if live else Step.NOTHING


def _illegal(record: ReservationRecord, transition: str) -> ValueError:
    state = "none" if record.state is None else record.state.value
    return ValueError(f"cannot {transition} a reservation in state {state!r}")


def reserved(
    record: ReservationRecord | None,
    pos_ref: str,
    at: datetime,
    applied_at: datetime | None,
    digest: str | None = None,
) -> ReservationRecord:
    """The POS holds the units under `pos_ref` (or already did: a replay is harmless)."""
    current = record or ReservationRecord()
    if current.state is ReservationState.RESERVED and current.pos_ref == pos_ref:
        return current
    if current.state not in _MAY_RESERVE:
        raise _illegal(current, "reserve")
    if not pos_ref:
        raise ValueError("a reservation needs the POS document reference")
    return ReservationRecord(ReservationState.RESERVED, pos_ref, at, applied_at, digest=digest)


def reserving(record: ReservationRecord | None) -> ReservationRecord:
    """About to ask the POS to hold the units: from now on a release must ask the POS too."""
    current = record or ReservationRecord()
    if current.state is ReservationState.RESERVING:
        return current
    if current.state not in _MAY_RESERVE:
        raise _illegal(current, "reserve")
    return replace(current, state=ReservationState.RESERVING)


def releasing(record: ReservationRecord) -> ReservationRecord:
    """About to ask the POS to give the units back: stop counting on its hold first."""
    if record.state is ReservationState.RELEASING:
        return record
    if record.state not in (ReservationState.RESERVED, ReservationState.RESERVING):
        raise _illegal(record, "release")
    return replace(record, state=ReservationState.RELEASING)


def released(record: ReservationRecord, at: datetime) -> ReservationRecord:
    """The POS gave the units back (the reservation was cancelled there)."""
    if record.state is ReservationState.RELEASED:
        return record
    if record.state not in LIVE:
        raise _illegal(record, "release")
    return replace(
        record, state=ReservationState.RELEASED, released_at=at, attempts=0, last_error=None
    )


def shipped(record: ReservationRecord, tracking: str | None, at: datetime) -> ReservationRecord:
    """Ship-from-POS: the POS shipped the reserved order (the same document, now sold)."""
    if record.state is ReservationState.SHIPPED:
        return record
    if record.state is not ReservationState.RESERVED:
        raise _illegal(record, "ship")
    return replace(
        record,
        state=ReservationState.SHIPPED,
        tracking=tracking,
        shipped_at=at,
        shipment_problem=None,
        attempts=0,
        last_error=None,
    )


def shipment_cancelled(record: ReservationRecord, problem: str) -> ReservationRecord:
    """The POS cancelled the shipment: the order waits for a human (shown on the dashboard)."""
    if record.state is not ReservationState.RESERVED:
        raise _illegal(record, "flag the shipment of")
    return replace(record, shipment_problem=problem)


def converted(record: ReservationRecord) -> ReservationRecord:
    """The reservation became the exported sale (the same POS document).

    With ship-from-POS this is the end too: WooCommerce was completed with the tracking.
    """
    if record.state is ReservationState.CONVERTED:
        return record
    if record.state not in (ReservationState.RESERVED, ReservationState.SHIPPED):
        raise _illegal(record, "convert")
    return replace(record, state=ReservationState.CONVERTED, attempts=0, last_error=None)


def failed(record: ReservationRecord | None, error: str) -> ReservationRecord:
    """A reserve or release attempt failed: count it; the state is what the POS had before."""
    current = record or ReservationRecord()
    return replace(current, attempts=current.attempts + 1, last_error=error)
