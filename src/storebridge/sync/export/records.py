"""Where export state lives: `exports` rows <-> `domain.export_state.ExportRecord`, and credits.

The export engine decides with the pure transitions of `domain.export_state`;
this module only loads and stores their results, so every decision stays
testable without a database.  An `exports` row adds what the POS answered
(`customer_ref`, `document_total`, the document's `flags`) and when the
allocation was released (`released_at`, set by the allocation engine).

`credits` rows record each credit document (refund or cancellation of an
exported order) under its idempotency key: ``pending`` until the POS
acknowledged it, then ``written`` with its POS reference; ``parked`` when
the POS refused it or kept failing.

``exports.updated_at`` is the *version* of the ledger order the exporter last
judged (the order row's ``updated_at``), not the time of the write: an order
row newer than its export row is what tells the exporter to look again, and
a change recorded while an export was running is never hidden by it.
Whoever else touches an export row (the ledger noting an edit, the
allocation engine releasing it) leaves that version alone or resets it to
`NEEDS_LOOK`.

Functions take a `Session` first and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.domain.export_state import ExportRecord, ExportState, after_export_change
from storebridge.persistence.tables import Credit, Export

__all__ = [
    "EDITED_FLAG",
    "NEEDS_LOOK",
    "CreditState",
    "credit_rows",
    "load_export",
    "note_order_edit",
    "parked",
    "record_of",
    "save_credit",
    "save_export",
]

#: An export version older than any order: the exporter judges the order again.
NEEDS_LOOK = datetime(1970, 1, 1, tzinfo=UTC)

#: Flag on an export whose order changed (lines or total) after it reached the POS.
EDITED_FLAG = "edited_after_export"

CreditState = Literal["pending", "written", "failed", "parked"]


def record_of(row: Export) -> ExportRecord:
    """The domain record of a stored export row."""
    return ExportRecord(
        state=ExportState(row.state),
        attempts=row.attempts,
        next_retry_at=row.next_retry_at,
        last_error=row.last_error,
        pos_ref=row.pos_ref,
        skip_reason=row.skip_reason,
        exported_at=row.exported_at,
    )


def load_export(session: Session, *, store: str, order_id: int) -> Export | None:
    """The export row of one order, if the exporter has seen it."""
    return session.scalars(
        select(Export)
        .where(Export.store == store, Export.woo_order_id == order_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def save_export(
    session: Session,
    *,
    store: str,
    order_id: int,
    record: ExportRecord,
    version: datetime,
    customer_ref: str | None = None,
    flags: Iterable[str] | None = None,
    document_total: Decimal | None = None,
) -> Export:
    """Store `record` as the export state of the order (insert or update).

    `version` is the ledger order's ``updated_at`` the decision was based on;
    `customer_ref`, `flags` and `document_total` are only changed when given.
    """
    row = load_export(session, store=store, order_id=order_id)
    if row is None:
        row = Export(store=store, woo_order_id=order_id, flags=[], attempts=0)
        session.add(row)
    row.state = record.state.value
    row.attempts = record.attempts
    row.next_retry_at = record.next_retry_at
    row.last_error = record.last_error
    row.pos_ref = record.pos_ref
    row.skip_reason = record.skip_reason
    row.exported_at = record.exported_at
    row.updated_at = version
    if customer_ref is not None:
        row.customer_ref = customer_ref
    if flags is not None:
        row.flags = list(flags)
    if document_total is not None:
        row.document_total = document_total
    session.flush()
    return row


def note_order_edit(session: Session, *, store: str, order_id: int, status: str) -> bool:
    """The order's lines or total changed: an exported order goes under review.

    Returns True when the export moved to ``review`` (and got `EDITED_FLAG`).
    A refund or cancellation is not an edit: it is answered with a credit.
    """
    row = load_export(session, store=store, order_id=order_id)
    if row is None or row.state not in (ExportState.EXPORTED.value, ExportState.REVIEW.value):
        return False
    judged = after_export_change(record_of(row), status, edited=True)
    if judged.record.state is not ExportState.REVIEW or row.state == ExportState.REVIEW.value:
        return False
    row.state = judged.record.state.value
    row.updated_at = NEEDS_LOOK
    if EDITED_FLAG not in row.flags:
        row.flags = [*row.flags, EDITED_FLAG]
    return True


def credit_rows(session: Session, *, store: str, order_id: int) -> dict[str, Credit]:
    """The credits already recorded for an order, by idempotency key."""
    rows = session.scalars(
        select(Credit)
        .where(Credit.store == store, Credit.woo_order_id == order_id)
        .execution_options(populate_existing=True)
    ).all()
    return {row.idempotency_key: row for row in rows}


def save_credit(
    session: Session,
    *,
    store: str,
    order_id: int,
    key: str,
    kind: Literal["refund", "cancel"],
    amount: Decimal,
    state: CreditState,
    now: datetime,
    pos_ref: str | None = None,
    error: str | None = None,
    attempt: bool = False,
) -> Credit:
    """Insert or update the credit stored under `key`."""
    row = session.scalars(
        select(Credit)
        .where(Credit.idempotency_key == key)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        row = Credit(
            store=store,
            woo_order_id=order_id,
            idempotency_key=key,
            kind=kind,
            amount=amount,
            attempts=0,
            created_at=now,
        )
        session.add(row)
    row.state = state
    row.amount = amount
    row.updated_at = now
    if pos_ref is not None:
        row.pos_ref = pos_ref
    row.last_error = error
    if attempt:
        row.attempts = (row.attempts or 0) + 1
    session.flush()
    return row


def parked(record: ExportRecord) -> ExportRecord:
    """`record` (just failed) parked at once: retrying cannot help, a human must look."""
    return replace(record, next_retry_at=None)
