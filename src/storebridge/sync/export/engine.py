"""The export engine: each completed order reaches the POS/ERP exactly once (design.md §5).

`export_orders` runs one store through fixed steps:

1. **observe** every ledger order the exporter has not judged in its current
   version (`domain.export_state.observe`): an order whose status is one of
   the store's ``export_statuses`` (default ``completed``; a custom
   ``shipped`` works the same) becomes ``eligible``.  An order judged for the
   first time that was created before the store's go-live cutoff
   (``export_orders_since``, `sync.go_live`) is ``skipped`` instead, with the
   reason ``created before go-live <time>``; while a ``"first-run"`` cutoff is
   not known yet (no ledger refresh so far), new orders wait unjudged;
2. **export** each due order: ``find_document(key)`` first, so a crash
   between the POS write and the local record never makes a second invoice;
   then the customer (`upsert_customer`, matched by e-mail) and the order
   (`write_order`), both under the key ``"<store>:<order id>"``; the record
   becomes ``exported(pos_ref)`` with the acknowledgement time;
3. **credit** exported orders that were refunded or cancelled since: one
   credit document per WooCommerce refund (key ``...:credit:<refund id>``)
   and one for a cancellation (``...:credit:cancel``), each written once.

With ``ship_from_pos``, orders whose reservation the POS is to ship are left
alone (``awaiting_pos_shipment``): `sync.orders.ship_from_pos` records their
export when the POS has shipped them.

Failures never stop the run: `PosUnavailable` (and other transient connector
or OS errors) schedule a retry with capped exponential backoff and park the
order after ``export_max_attempts``; `PosRejected` and `ExportError` (a
document that does not balance, say) park it at once with the error.
Parked orders wait for `retry_export` (``storebridge orders retry``) or
`skip_export`; a skipped order that is retried is judged again, cutoff or
not.  An order whose lines or total change after export goes under
``review`` (the ledger notices, see `export_records.note_order_edit`).

Connectors are synchronous and are called through `asyncio.to_thread`.  Two
clocks are used on purpose: `now` (injectable) schedules retries, while the
acknowledgement time is always the wall clock, because the allocation engine
compares it with when POS inventory reads started.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.bootstrap import Services
from storebridge.domain.export_state import (
    BackoffPolicy,
    ExportRecord,
    ExportState,
    due,
    failed,
    observe,
    resolve_review,
    retry_now,
    skip,
    succeeded,
    unskip,
)
from storebridge.domain.model import money
from storebridge.domain.reservation_state import ReservationState
from storebridge.errors import ConnectorError, ExportError, PosRejected
from storebridge.persistence.tables import Credit, Export, Reservation
from storebridge.persistence.tables import Order as OrderRow
from storebridge.persistence.types import utcnow
from storebridge.ports import PosConnector
from storebridge.sync.export.credits import CreditWriter
from storebridge.sync.export.order_mapping import map_order, order_key, order_skus
from storebridge.sync.export.records import (
    EDITED_FLAG,
    NEEDS_LOOK,
    load_export,
    note_order_edit,
    parked,
    record_of,
    save_export,
)
from storebridge.sync.orders.go_live import before_go_live_reason, export_cutoff
from storebridge.sync.report import RunReport
from storebridge.sync.runs import run_job
from storebridge.woocommerce import Order, WooClient

__all__ = [
    "DEFAULT_BACKOFF_BASE_S",
    "ExportCandidate",
    "export_orders",
    "policy_for",
    "resolve_review_export",
    "retry_export",
    "skip_export",
]

DEFAULT_BACKOFF_BASE_S = 60.0

#: Failures worth a retry: the POS was unreachable or a file/database was busy.
_TRANSIENT: tuple[type[BaseException], ...] = (ConnectorError, OSError)


@dataclass(frozen=True, slots=True)
class ExportCandidate:
    """A ledger order the exporter must judge in this run."""

    order_id: int
    status: str
    created: datetime
    version: datetime
    record: ExportRecord | None
    payload: str
    document_total: Decimal | None = None


def policy_for(max_attempts: int, base_s: float = DEFAULT_BACKOFF_BASE_S) -> BackoffPolicy:
    """The store's retry policy: `max_attempts` tries, doubling from `base_s` up to 6 hours."""
    return BackoffPolicy(max_attempts=max_attempts, base_s=base_s, cap_s=max(base_s, 6 * 3600.0))


def _candidates(
    session: Session, store: str, only: Collection[int] | None
) -> list[ExportCandidate]:
    query = (
        select(OrderRow, Export)
        .outerjoin(
            Export,
            (Export.store == OrderRow.store) & (Export.woo_order_id == OrderRow.woo_order_id),
        )
        .where(OrderRow.store == store)
        .where(
            Export.id.is_(None)
            | Export.state.in_((ExportState.ELIGIBLE.value, ExportState.FAILED.value))
            | (OrderRow.updated_at > Export.updated_at)
        )
        .order_by(OrderRow.date_modified_gmt, OrderRow.woo_order_id)
    )
    if only is not None:
        query = query.where(OrderRow.woo_order_id.in_(list(only)))
    return [
        ExportCandidate(
            order_id=order.woo_order_id,
            status=order.status,
            created=order.date_created_gmt,
            version=order.updated_at,
            record=None if export is None else record_of(export),
            payload=order.payload,
            document_total=None if export is None else export.document_total,
        )
        for order, export in session.execute(query).tuples()
    ]


def _shipping_in_pos(session: Session, store: str) -> set[int]:
    """Orders whose reservation the POS is to ship (ship-from-POS stores)."""
    return set(
        session.scalars(
            select(Reservation.woo_order_id).where(
                Reservation.store == store,
                Reservation.state.in_(
                    (ReservationState.RESERVED.value, ReservationState.SHIPPED.value)
                ),
            )
        )
    )


class _Exporter:
    """One export run of one store (the steps of the module docstring)."""

    def __init__(
        self,
        services: Services,
        store: str,
        report: RunReport,
        now: datetime,
        policy: BackoffPolicy,
    ) -> None:
        self.sessions = services.sessions
        self.store = store
        self.settings = services.store(store).settings
        self.connector: PosConnector = services.store(store).connector
        self.report = report
        self.now = now
        self.policy = policy

    async def run(self, woo: WooClient, only: Collection[int] | None) -> None:
        exported: list[ExportCandidate] = []
        due_now: list[tuple[ExportCandidate, ExportRecord]] = []
        # Step 1 in one transaction: a first run over a long order history stays quick.
        with self.sessions.begin() as session:
            cutoff = export_cutoff(session, store=self.store, settings=self.settings)
            pos_ships = (
                _shipping_in_pos(session, self.store) if self.settings.ship_from_pos else set()
            )
            for candidate in _candidates(session, self.store, only):
                record = candidate.record
                if record is not None and record.state in (
                    ExportState.EXPORTED,
                    ExportState.REVIEW,
                ):
                    exported.append(candidate)
                    continue
                if record is None and cutoff is None:
                    # No ledger refresh yet, so no go-live moment: judge the order afterwards.
                    self.report.counts["awaiting_go_live"] += 1
                    continue
                observed = observe(record, candidate.status, self.settings.export_statuses)
                if record is None and cutoff is not None and candidate.created < cutoff:
                    observed = skip(observed, before_go_live_reason(cutoff))
                    self.report.counts["skipped_before_go_live"] += 1
                # Saved even when unchanged: it records the order version now judged.
                save_export(
                    session,
                    store=self.store,
                    order_id=candidate.order_id,
                    record=observed,
                    version=candidate.version,
                )
                if candidate.order_id in pos_ships:
                    # Ship-from-POS: the POS ships it and its sale is recorded then, not here.
                    self.report.counts["awaiting_pos_shipment"] += 1
                elif due(observed, self.now):
                    due_now.append((candidate, observed))
        for candidate, record in due_now:
            written = await self._export(candidate, record)
            if written is not None:
                # Refunds made before the export are credited right after it.
                exported.append(replace(candidate, record=written))
        credits = CreditWriter(
            self.sessions, self.store, self.connector, woo, self.report, self.policy.max_attempts
        )
        for candidate in exported:
            assert candidate.record is not None
            again = await credits.settle(candidate.order_id, candidate.payload, candidate.record)
            self._after_export(candidate, candidate.record, again)

    def _after_export(self, candidate: ExportCandidate, record: ExportRecord, again: bool) -> None:
        """Record that the exported order's version was judged; a new total means review."""
        with self.sessions.begin() as session:
            if (
                candidate.document_total is not None
                and _order_total(candidate.payload) != candidate.document_total
                and note_order_edit(
                    session, store=self.store, order_id=candidate.order_id, status=candidate.status
                )
            ):
                # Edited in the window between reading the order and writing it to the POS.
                row = load_export(session, store=self.store, order_id=candidate.order_id)
                assert row is not None
                record = record_of(row)
                self.report.problem(f"order {candidate.order_id}", "review", EDITED_FLAG)
            save_export(
                session,
                store=self.store,
                order_id=candidate.order_id,
                record=record,
                version=NEEDS_LOOK if again else candidate.version,
            )

    def _save(self, candidate: ExportCandidate, record: ExportRecord, **extra: Any) -> None:
        with self.sessions.begin() as session:
            save_export(
                session,
                store=self.store,
                order_id=candidate.order_id,
                record=record,
                version=candidate.version,
                **extra,
            )

    async def _export(
        self, candidate: ExportCandidate, record: ExportRecord
    ) -> ExportRecord | None:
        """Write one order to the POS; the exported record, or None when it failed."""
        order_id = candidate.order_id
        key = order_key(self.store, order_id)
        try:
            existing = await asyncio.to_thread(self.connector.find_document, key)
            if existing is not None:
                # Written before a crash (or by a concurrent run): record it, write nothing.
                found = succeeded(record, existing, utcnow())
                self._save(candidate, found, document_total=_order_total(candidate.payload))
                self.report.counts["exported"] += 1
                self.report.counts["already_in_pos"] += 1
                return found
            order = Order.model_validate(json.loads(candidate.payload))
            skus = order_skus(order)
            known = await asyncio.to_thread(self.connector.known_skus, skus) if skus else set()
            document = map_order(order, store=self.store, known_skus=known)
            await asyncio.to_thread(self.connector.upsert_customer, document.customer)
            receipt = await asyncio.to_thread(self.connector.write_order, document)
        except (PosRejected, ExportError) as error:
            self._fail(candidate, record, str(error), park=True)
            return None
        except _TRANSIENT as error:
            self._fail(candidate, record, _describe(error), park=False)
            return None
        written = succeeded(record, receipt.pos_ref, utcnow())
        self._save(
            candidate,
            written,
            customer_ref=receipt.customer_ref,
            flags=document.flags,
            document_total=document.total,
        )
        self.report.counts["exported"] += 1
        for flag in document.flags:
            self.report.problem(f"order {order_id}", "flagged", flag)
        return written

    def _fail(
        self, candidate: ExportCandidate, record: ExportRecord, error: str, *, park: bool
    ) -> None:
        after = failed(record, error, self.now, self.policy)
        if park:
            after = parked(after)
        self._save(candidate, after)
        kind = "parked" if after.parked else "failed"
        detail = error if after.parked else f"{error} (retry at {after.next_retry_at})"
        self.report.problem(f"order {candidate.order_id}", kind, detail)


def _order_total(payload: str) -> Decimal | None:
    total = Order.model_validate(json.loads(payload)).total
    return None if total is None else money(total)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def export_orders(
    services: Services,
    store: str,
    *,
    now: datetime | None = None,
    order_ids: Collection[int] | None = None,
    policy: BackoffPolicy | None = None,
    record_run: bool = True,
) -> RunReport:
    """Export the store's due orders and credits; see the module docstring.

    Args:
        services: the wired application.
        store: the store name.
        now: the scheduling clock (retries due at or before it are attempted).
        order_ids: only judge these WooCommerce order ids.
        policy: retry policy (default: the store's ``export_max_attempts``, from 60 s).
        record_run: write a `runs` row for this run.

    Returns:
        The run's report: ``counts["exported"]``, ``["credits"]``, and one problem per
        failed, parked or flagged order.
    """
    settings = services.store(store).settings
    report = RunReport(store, "export", utcnow())
    exporter = _Exporter(
        services, store, report, now or utcnow(), policy or policy_for(settings.export_max_attempts)
    )

    async def body(woo: WooClient) -> None:
        await exporter.run(woo, order_ids)

    await run_job(services, store, report, body, record=record_run)
    return report


def _require(session: Session, store: str, order_id: int) -> tuple[Export, OrderRow]:
    export = load_export(session, store=store, order_id=order_id)
    order = session.scalars(
        select(OrderRow).where(OrderRow.store == store, OrderRow.woo_order_id == order_id)
    ).one_or_none()
    if export is None or order is None:
        raise ExportError(
            f"order {order_id} of store {store!r} is not in the export ledger; run "
            "`storebridge orders refresh` first, or check the order id"
        )
    return export, order


def retry_export(session: Session, *, store: str, order_id: int) -> ExportRecord:
    """A human's "retry": a failed, parked or skipped order (and its failed credits) go again.

    A skipped order (by a human, or created before go-live) is judged again by
    the next export run, like a new one but without the go-live cutoff: it is
    exported once its status is an export status.

    Raises:
        ExportError: the order is unknown, or in a state that cannot be retried.
    """
    export, order = _require(session, store, order_id)
    record = record_of(export)
    credits = session.scalars(
        select(Credit).where(
            Credit.store == store,
            Credit.woo_order_id == order_id,
            Credit.state.in_(("failed", "parked")),
        )
    ).all()
    for credit in credits:
        credit.state = "pending"
    skipped = record.state is ExportState.SKIPPED
    if record.state is ExportState.FAILED:
        record = retry_now(record)
    elif skipped:
        record = unskip(record)
    elif not credits:
        raise ExportError(
            f"order {order_id} is {record.state.value}, not failed or skipped: nothing to retry"
        )
    save_export(session, store=store, order_id=order_id, record=record, version=order.updated_at)
    if credits or skipped:
        # Credits are settled, and an order no longer skipped is observed, when the exporter
        # looks at the order again.
        export.updated_at = NEEDS_LOOK
    return record


def resolve_review_export(session: Session, *, store: str, order_id: int) -> ExportRecord:
    """A human reconciled an order edited after its export: it counts as exported again.

    The order's current total becomes the document total, so the same edit
    does not send it back to review; a later edit does.  The POS document is
    not rewritten: correcting it is the human's part of the review.

    Raises:
        ExportError: the order is unknown or not under review.
    """
    export, order = _require(session, store, order_id)
    try:
        record = resolve_review(record_of(export))
    except ValueError as error:
        raise ExportError(f"order {order_id}: {error}") from None
    save_export(
        session,
        store=store,
        order_id=order_id,
        record=record,
        version=order.updated_at,
        document_total=_order_total(order.payload),
    )
    return record


def skip_export(session: Session, *, store: str, order_id: int, reason: str) -> ExportRecord:
    """Never export this order; the reason is shown on the dashboard and by the CLI.

    Raises:
        ExportError: the order is unknown or already exported.
    """
    export, order = _require(session, store, order_id)
    try:
        record = skip(record_of(export), reason)
    except ValueError as error:
        raise ExportError(f"order {order_id}: {error}") from None
    save_export(session, store=store, order_id=order_id, record=record, version=order.updated_at)
    return record
