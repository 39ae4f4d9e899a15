"""The order ledger: the last state of every WooCommerce order, kept idempotently.

Two doors lead in, and both go through `record_order`:

* **polling** (`refresh_ledger`): ``GET /orders?modified_after=<cursor>
  &dates_are_gmt=true&orderby=modified&order=asc`` walked with
  `domain.cursor.Sweep` (closed start, keyset paging, same-second drain), so
  orders modified in the same second are never skipped, even across a page
  boundary.  Each page's orders and the advanced cursor are committed in one
  transaction.  A second stream reads ``status=trash``, which ``any`` leaves out;
* **webhooks** (`apply_webhook`): an ``order.created``/``order.updated``/
  ``order.restored`` body is the order as ``GET /orders/<id>`` renders it;
  ``order.deleted`` only carries the id and moves the order to ``trash``.

Recording is idempotent: the same order body recorded twice changes nothing
(no row is written, no status history is added), and a body older than what
the ledger holds is ignored.  Lines are replaced as a set, except that a SKU
resolved when the order was first seen is kept when WooCommerce later renders
the line without one (its product was deleted: woocommerce-rest-api.md §6.2).

Each recording reports a `LedgerChange`: the SKU keys whose allocation may
have moved, the SKU keys whose WooCommerce stock WooCommerce moved by itself
(a line's ``_reduced_stock`` changed, §6.7-6.8) and whether the order's lines
or total were edited (an exported order then goes under review).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.cursor import Cursor, Sweep
from storebridge.domain.model import sku_key
from storebridge.persistence.repositories import cursors as cursor_repo
from storebridge.persistence.tables import Order as OrderRow
from storebridge.persistence.tables import OrderLine, OrderStatusChange
from storebridge.persistence.types import utcnow
from storebridge.sync.export_records import note_order_edit
from storebridge.sync.order_mapping import normalise_email
from storebridge.woocommerce import Order, WooClient, WooInvalidResponse
from storebridge.woocommerce.payloads import parse_gmt

__all__ = [
    "ORDERS_STREAM",
    "TRASH_STREAM",
    "LedgerChange",
    "RefreshResult",
    "apply_webhook",
    "load_cursor",
    "record_order",
    "record_trashed",
    "refresh_ledger",
]

ORDERS_STREAM = "orders"
TRASH_STREAM = "orders:trash"
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored", "order.deleted"})

Outcome = Literal["new", "changed", "unchanged", "stale"]


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


@dataclass
class RefreshResult:
    """What a ledger refresh saw."""

    changes: list[LedgerChange] = field(default_factory=list)  # new and changed orders only
    requests: int = 0

    @property
    def skus(self) -> set[str]:
        """SKU keys whose allocation may have changed."""
        return {key for change in self.changes for key in change.skus}

    @property
    def stock_moved(self) -> set[str]:
        """SKU keys whose WooCommerce stock WooCommerce changed by itself."""
        return {key for change in self.changes for key in change.stock_moved}

    def count(self, outcome: Outcome) -> int:
        """How many orders were recorded with this outcome."""
        return sum(1 for change in self.changes if change.outcome == outcome)


# -- recording ---------------------------------------------------------------------------


def _text_sku(raw_line: Mapping[str, Any]) -> str | None:
    sku = raw_line.get("sku")
    return sku.strip() if isinstance(sku, str) and sku.strip() else None


def _resolve_skus(raw: dict[str, Any], previous: Mapping[str, Any] | None) -> None:
    """Keep the SKU first resolved for each line when WooCommerce no longer renders it."""
    if previous is None:
        return
    known = {
        line.get("id"): _text_sku(line)
        for line in previous.get("line_items") or []
        if isinstance(line, dict)
    }
    for line in raw.get("line_items") or []:
        if isinstance(line, dict) and _text_sku(line) is None and known.get(line.get("id")):
            line["sku"] = known[line.get("id")]


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
        str(total),
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
    """Apply an ``order.*`` webhook body; None for a topic the ledger does not follow."""
    if topic not in ORDER_TOPICS:
        return None
    if topic == "order.deleted":
        return record_trashed(session, store=store, order_id=int(body["id"]), now=now)
    return record_order(session, store=store, raw=body, now=now)


# -- polling ----------------------------------------------------------------------------


def load_cursor(session: Session, *, store: str, stream: str = ORDERS_STREAM) -> Cursor:
    """The stored cursor of an order stream (empty before the first read)."""
    state = cursor_repo.get_cursor(session, store=store, stream=stream)
    if state is None or state.value is None:
        return Cursor()
    return Cursor(datetime.fromisoformat(state.value), frozenset(state.boundary_ids))


def _save_cursor(session: Session, store: str, stream: str, cursor: Cursor, now: datetime) -> None:
    cursor_repo.advance_cursor(
        session,
        store=store,
        stream=stream,
        value=None if cursor.value is None else cursor.value.isoformat(),
        boundary_ids=cursor.boundary_ids,
        now=now,
    )


async def _sweep(
    sessions: sessionmaker[Session],
    store: str,
    woo: WooClient,
    stream: str,
    status: str | None,
    per_page: int,
    since: datetime | None,
    result: RefreshResult,
) -> None:
    with sessions.begin() as session:
        cursor = load_cursor(session, store=store, stream=stream)
    if cursor.value is None and since is not None:
        cursor = Cursor(since)
    sweep = Sweep(cursor, per_page)
    while True:
        query = sweep.query()
        params: dict[str, Any] = {
            "status": status,
            "orderby": "modified",
            "order": "asc",
            "dates_are_gmt": True,
            "per_page": query.per_page,
            "page": 1,
            "modified_after": query.modified_after,
            "modified_before": query.modified_before,
            "exclude": sorted(query.exclude) or None,
        }
        page = await woo.request_json("GET", "/orders", params=params)
        result.requests += 1
        if not isinstance(page, list):
            raise WooInvalidResponse(
                "expected a JSON list of orders", status=200, code="invalid_collection",
                method="GET", endpoint="/orders",
            )  # fmt: skip
        bodies = [item for item in page if isinstance(item, dict) and "id" in item]
        records = []
        for item in bodies:
            moment = parse_gmt(item.get("date_modified_gmt") or item.get("date_created_gmt"))
            if moment is not None:
                records.append((int(item["id"]), moment))
        step = sweep.receive(records)
        # Every body read at or after the cursor is recorded, not only the cursor's "fresh"
        # ones: an order modified twice in one second keeps its (id, second), so only its
        # content tells the second change apart, and recording is idempotent by content.
        # A "beyond" page is only proof that the clock moved on; it is read again next.
        process = bodies if sweep.phase != "beyond" else []
        now = utcnow()
        with sessions.begin() as session:
            for item in process:
                change = record_order(session, store=store, raw=item, now=now)
                if change.outcome in ("new", "changed"):
                    result.changes.append(change)
            _save_cursor(session, store, stream, step.sweep.cursor, now)
        if step.done:
            return
        sweep = step.sweep


async def refresh_ledger(
    sessions: sessionmaker[Session],
    store: str,
    woo: WooClient,
    *,
    per_page: int = 100,
    since: datetime | None = None,
) -> RefreshResult:
    """Read every order modified since the store's cursor into the ledger.

    Args:
        sessions: sessions on StoreBridge's database.
        store: the store name.
        woo: an open client for the store.
        per_page: orders per request (1 to 100).
        since: where a store's very first read starts (None: all orders).
    """
    result = RefreshResult()
    await _sweep(sessions, store, woo, ORDERS_STREAM, None, per_page, since, result)
    await _sweep(sessions, store, woo, TRASH_STREAM, "trash", per_page, since, result)
    return result
