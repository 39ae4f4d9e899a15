"""Credits: a refund or cancellation of an exported order reaches the POS exactly once.

The exporter hands every exported order whose ledger version changed to
`CreditWriter.settle`.  It works out which credits the order calls for (one
per entry of the order's ``refunds``, one more when its status is
``cancelled``), leaves alone those already written or parked, reads the
refunds' lines from ``GET /orders/<id>/refunds`` (an order body only lists
their ids and totals), builds the documents with `order_mapping` and writes
each through `PosWriter.write_credit` under its own idempotency key, so a
crash before the local record is answered by the POS returning the same
credit.

A failed credit is retried each time the exporter runs (`settle` returns
True so the order is looked at again); it is parked after the store's
``export_max_attempts``, or at once when the POS refuses it.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.export_state import ExportRecord
from storebridge.domain.model import CreditDocument
from storebridge.errors import ConnectorError, ExportError, PosRejected
from storebridge.persistence.types import utcnow
from storebridge.ports import PosConnector
from storebridge.sync.export.order_mapping import (
    Refund,
    credit_for_cancel,
    credit_for_refund,
    credit_key,
)
from storebridge.sync.export.records import credit_rows, save_credit
from storebridge.sync.report import RunReport
from storebridge.woocommerce import Order, WooClient, WooError

__all__ = ["CreditWriter"]

_TRANSIENT: tuple[type[BaseException], ...] = (ConnectorError, OSError)


class CreditWriter:
    """Writes the credits exported orders call for (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: str,
        connector: PosConnector,
        woo: WooClient,
        report: RunReport,
        max_attempts: int,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.connector = connector
        self.woo = woo
        self.report = report
        self.max_attempts = max_attempts

    async def settle(self, order_id: int, payload: str, record: ExportRecord) -> bool:
        """Write the credits `order_id` needs; True when one is left to retry later."""
        if record.pos_ref is None:
            return False
        order = Order.model_validate(json.loads(payload))
        with self.sessions() as session:
            rows = credit_rows(session, store=self.store, order_id=order_id)

        def wanted(key: str) -> bool:
            row = rows.get(key)
            return row is None or row.state in ("pending", "failed")

        refund_ids = [
            r.id for r in order.refunds if r.id and wanted(credit_key(self.store, order_id, r.id))
        ]
        cancel = order.status == "cancelled" and wanted(credit_key(self.store, order_id, None))
        if not refund_ids and not cancel:
            return False
        try:
            refunds = await self._refunds(order_id) if order.refunds else []
        except WooError as error:
            self.report.problem(f"order {order_id}", "failed", f"cannot read its refunds: {error}")
            return True
        retry = False
        at = utcnow()
        pos_ref = record.pos_ref
        for refund in refunds:
            if refund.id in refund_ids:
                try:
                    document = credit_for_refund(
                        order, refund, store=self.store, original_pos_ref=pos_ref, at=at
                    )
                except ExportError as error:
                    # The refund's lines do not add up to its amount: park, write nothing.
                    amount = abs(refund.amount or Decimal(0))
                    key = credit_key(self.store, order_id, refund.id)
                    self._park(order_id, key, "refund", amount, str(error))
                    continue
                retry |= await self._write(document, "refund")
        if cancel:
            try:
                document = credit_for_cancel(
                    order, refunds, store=self.store, original_pos_ref=pos_ref, at=at
                )
            except ExportError as error:
                key = credit_key(self.store, order_id, None)
                self._park(order_id, key, "cancel", Decimal(0), str(error))
            else:
                retry |= await self._write(document, "cancel")
        return retry

    def _park(
        self,
        order_id: int,
        key: str,
        kind: Literal["refund", "cancel"],
        amount: Decimal,
        error: str,
    ) -> None:
        """Record a credit that cannot be built as parked, with the reason."""
        with self.sessions.begin() as session:
            save_credit(
                session,
                store=self.store,
                order_id=order_id,
                key=key,
                kind=kind,
                amount=amount,
                state="parked",
                now=utcnow(),
                pos_ref=None,
                error=error,
                attempt=True,
            )
        self.report.problem(f"order {order_id}", "parked", f"credit {key}: {error}")

    async def _refunds(self, order_id: int) -> list[Refund]:
        # Paged: the list sends 10 refunds a page unless asked for more.
        path = f"/orders/{order_id}/refunds"
        return [Refund.model_validate(item) async for item in self.woo.iter_items(path)]

    async def _write(
        self,
        document: CreditDocument,
        kind: Literal["refund", "cancel"],
    ) -> bool:
        key = document.idempotency_key
        order_id = document.woo_order_id
        with self.sessions() as session:
            previous = credit_rows(session, store=self.store, order_id=order_id).get(key)
            attempts = 0 if previous is None else previous.attempts
        state: Literal["written", "failed", "parked"]
        try:
            if document.total == 0 and not document.lines:
                pos_ref: str | None = None  # nothing left to credit (refunds took it all)
            else:
                pos_ref = await asyncio.to_thread(self.connector.write_credit, document)
            state, error = "written", None
        except (PosRejected, ExportError) as failure:
            state, error, pos_ref = "parked", str(failure), None
        except _TRANSIENT as failure:
            state, error, pos_ref = "failed", f"{type(failure).__name__}: {failure}", None
            if attempts + 1 >= self.max_attempts:
                state = "parked"
        with self.sessions.begin() as session:
            save_credit(
                session,
                store=self.store,
                order_id=order_id,
                key=key,
                kind=kind,
                amount=document.total,
                state=state,
                now=utcnow(),
                pos_ref=pos_ref,
                error=error,
                attempt=True,
            )
        if state == "written":
            self.report.counts["credits"] += 1
            return False
        self.report.problem(f"order {order_id}", state, f"credit {key}: {error}")
        return state == "failed"
