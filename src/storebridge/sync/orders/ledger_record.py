"""Recording orders in the ledger: one order body in, a `LedgerChange` out, idempotently.

Both doors into the ledger (polling in `sync.ledger`, webhooks in
`sync.webhook_ingest`) end in `record_order` (or `record_trashed` for an
``order.deleted`` delivery, whose body is only the id):

* the same body recorded twice changes nothing (no row is written, no status
  history is added), and a body older than what the ledger holds is ignored;
* lines are replaced as a set, except that a SKU resolved when the order was
  first seen is kept when WooCommerce later renders the line without one (its
  product was deleted: woocommerce-rest-api.md §6.2);
* the change reports the SKU keys whose allocation may have moved, the SKU
  keys whose WooCommerce stock WooCommerce moved by itself (a line's
  ``_reduced_stock`` changed, §6.7-6.8), and whether lines or total were
  edited, in which case an exported order goes under review.

`write_with_retry` runs such a recording in its own transaction, again when a
concurrent writer recorded the same new order first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.model import money, sku_key
from storebridge.persistence.tables import Order as OrderRow
from storebridge.persistence.tables import OrderLine, OrderStatusChange
from storebridge.persistence.types import utcnow
from storebridge.sync.export.order_mapping import normalise_email
from storebridge.sync.export.records import note_order_edit
from storebridge.woocommerce import Order

__all__ = [
    "ORDER_TOPICS",
    "LedgerChange",
    "Outcome",
    "apply_webhook",
    "record_order",
    "record_trashed",
    "write_with_retry",
]

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored", "order.deleted"})

Outcome = Literal["new", "changed", "unchanged", "stale"]
T = TypeVar("T")

#: A poll and a webhook may record the same new order at the same moment: one of the two
#: transactions then fails (unique key on PostgreSQL, a busy snapshot on SQLite) and is
#: simply run again, when it finds the other's row.
_CONFLICTS = (IntegrityError, OperationalError)
_WRITE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Line:
    line_id: int
    sku_key: str | None
    quantity: int
    total: str
    reduced: int


@dataclass(frozen=True, slots=True)
class LedgerChange:
    """What recording one order did to the ledger."""

    order_id: int
    outcome: Outcome
    status_before: str | None = None
    status: str | None = None
    skus: frozenset[str] = frozenset()  # SKU keys of the old and new lines, when anything moved
    stock_moved: frozenset[str] = frozenset()  # SKU keys WooCommerce's own stock moved for
    edited: bool = False  # lines or total changed on an order already in the ledger


def _text_sku(raw_line: Mapping[str, Any]) -> str | None:
    sku = raw_line.get("sku")
    return sku.strip() if isinstance(sku, str) and sku.strip() else None


def _resolve_skus(raw: dict[str, Any], previous: Mapping[str, Any] | None) -> None:
    """Keep the SKU first resolved for each line when WooCommerce no longer renders it."""
    if previous is None or not raw.get("line_items"):
        return
    known = {
        line.get("id"): _text_sku(line)
        for line in previous.get("line_items") or []
        if isinstance(line, dict)
    }
    lines = []
    for line in raw.get("line_items") or []:
        if isinstance(line, dict) and _text_sku(line) is None and known.get(line.get("id")):
            line = {**line, "sku": known[line.get("id")]}  # a copy: the caller's body stays
        lines.append(line)
    raw["line_items"] = lines


def _lines(order: Order) -> list[_Line]:
    return [
        _Line(
            line.id,
            sku_key(line.sku) if line.sku and line.sku.strip() else None,
            line.quantity,
            str(line.total),
            line.reduced_stock or 0,
        )
        for line in order.line_items
    ]


def _reduced_by_sku(lines: Sequence[_Line]) -> dict[str, int]:
    reduced: dict[str, int] = {}
    for line in lines:
        if line.sku_key is not None:
            reduced[line.sku_key] = reduced.get(line.sku_key, 0) + line.reduced
    return reduced


def _canonical(raw: Mapping[str, Any]) -> str:
    body = {key: value for key, value in raw.items() if key != "_links"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def _load(session: Session, store: str, order_id: int) -> OrderRow | None:
    return session.scalars(
        select(OrderRow)
        .where(OrderRow.store == store, OrderRow.woo_order_id == order_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _signature(lines: Sequence[_Line], total: Decimal | None) -> tuple[object, ...]:
    return (
        tuple(sorted((line.line_id, line.sku_key, line.quantity, line.total) for line in lines)),
        None if total is None else money(total),
    )


def record_order(
    session: Session,
    *,
    store: str,
    raw: Mapping[str, Any],
    now: datetime | None = None,
) -> LedgerChange:
    """Record one order body (a list item or a webhook body) in the ledger.

    Args:
        session: a session inside the caller's transaction.
        store: the store name.
        raw: the order JSON as WooCommerce rendered it.
        now: the time of recording (aware).
    """
    at = now or utcnow()
    body = {key: value for key, value in raw.items() if key != "_links"}
    order_id = int(body["id"])
    row = _load(session, store, order_id)
    previous = json.loads(row.payload) if row is not None else None
    _resolve_skus(body, previous)
    order = Order.model_validate(body)
    modified = order.date_modified_gmt or order.date_created_gmt or at
    if row is not None:
        stale = modified < row.date_modified_gmt or (
            # order.deleted carries no date: a trash seen that way wins over same-second bodies.
            row.status == "trash" and order.status != "trash" and modified == row.date_modified_gmt
        )
        if stale:
            return LedgerChange(order_id, "stale", row.status, row.status)
        if _canonical(body) == row.payload:
            return LedgerChange(order_id, "unchanged", row.status, row.status)
    new_lines = _lines(order)
    old_lines = _lines(Order.model_validate(previous)) if previous is not None else []
    status_before = row.status if row is not None else None
    if row is None:
        row = OrderRow(store=store, woo_order_id=order_id, first_seen=at)
        session.add(row)
    edited = status_before is not None and _signature(old_lines, row.total) != _signature(
        new_lines, order.total
    )
    row.number = order.number or str(order_id)
    row.status = order.status
    row.date_created_gmt = order.date_created_gmt or modified
    row.date_modified_gmt = modified
    row.customer_email = normalise_email(order.billing.email)
    row.total = order.total if order.total is not None else Decimal("0")
    row.currency = order.currency
    row.payload = _canonical(body)
    # Wall clock, not `now`: the exporter compares it with the version it last judged.
    row.updated_at = utcnow()
    session.flush()
    if status_before is None or [*old_lines] != [*new_lines]:
        _replace_lines(session, store, order, new_lines)
    if order.status != status_before:
        session.add(
            OrderStatusChange(store=store, woo_order_id=order_id, status=order.status, at=at)
        )
    if edited:
        note_order_edit(session, store=store, order_id=order_id, status=order.status)
    return _change(order_id, status_before, order.status, old_lines, new_lines, edited)


def _change(
    order_id: int,
    status_before: str | None,
    status: str,
    old_lines: Sequence[_Line],
    new_lines: Sequence[_Line],
    edited: bool,
) -> LedgerChange:
    moved_status = status != status_before
    old_keys = {line.sku_key for line in old_lines if line.sku_key}
    new_keys = {line.sku_key for line in new_lines if line.sku_key}
    quantities_moved = {(line.sku_key, line.quantity) for line in old_lines} != {
        (line.sku_key, line.quantity) for line in new_lines
    }
    skus = old_keys | new_keys if moved_status or quantities_moved else set()
    old_reduced, new_reduced = _reduced_by_sku(old_lines), _reduced_by_sku(new_lines)
    stock_moved = {
        key
        for key in old_reduced.keys() | new_reduced.keys()
        if old_reduced.get(key, 0) != new_reduced.get(key, 0)
    }
    outcome: Outcome = "new" if status_before is None else "changed"
    return LedgerChange(
        order_id,
        outcome,
        status_before,
        status,
        frozenset(skus | stock_moved),
        frozenset(stock_moved),
        edited,
    )


def _replace_lines(session: Session, store: str, order: Order, lines: Sequence[_Line]) -> None:
    session.execute(
        delete(OrderLine).where(OrderLine.store == store, OrderLine.woo_order_id == order.id)
    )
    by_id = {item.id: item for item in order.line_items}
    for line in lines:
        item = by_id[line.line_id]
        session.add(
            OrderLine(
                store=store,
                woo_order_id=order.id,
                line_id=line.line_id,
                sku_key=line.sku_key,
                quantity=line.quantity,
                product_id=item.product_id,
                variation_id=item.variation_id,
            )
        )
    session.flush()


def record_trashed(
    session: Session, *, store: str, order_id: int, now: datetime | None = None
) -> LedgerChange:
    """An ``order.deleted`` delivery: the order went to the trash (its body is only the id)."""
    at = now or utcnow()
    row = _load(session, store, order_id)
    if row is None:
        # Never seen: nothing was allocated for it, and nothing can be exported.
        return LedgerChange(order_id, "unchanged")
    if row.status == "trash":
        return LedgerChange(order_id, "unchanged", "trash", "trash")
    before = row.status
    payload = json.loads(row.payload)
    payload["status"] = "trash"
    lines = _lines(Order.model_validate(payload))
    row.status = "trash"
    row.payload = _canonical(payload)
    row.updated_at = utcnow()
    session.add(OrderStatusChange(store=store, woo_order_id=order_id, status="trash", at=at))
    session.flush()
    return _change(order_id, before, "trash", lines, lines, edited=False)


def apply_webhook(
    session: Session,
    *,
    store: str,
    topic: str,
    body: Mapping[str, Any],
    now: datetime | None = None,
) -> LedgerChange | None:
    """Apply an ``order.*`` webhook body; None for a topic the ledger does not follow.

    Raises:
        ValueError: the body of an order topic has no integer ``id``.
    """
    if topic not in ORDER_TOPICS:
        return None
    order_id = body.get("id")
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise ValueError(f"a {topic} webhook body must carry the order's integer id")
    if topic == "order.deleted":
        return record_trashed(session, store=store, order_id=order_id, now=now)
    return record_order(session, store=store, raw=body, now=now)


def write_with_retry(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run `work` in its own transaction, again if a concurrent writer got there first."""
    for attempt in range(1, _WRITE_ATTEMPTS + 1):
        try:
            with sessions.begin() as session:
                return work(session)
        except _CONFLICTS:
            if attempt == _WRITE_ATTEMPTS:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")
