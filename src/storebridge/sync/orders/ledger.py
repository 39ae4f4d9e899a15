"""The order ledger's poller: every order modified since the cursor, without gaps or repeats.

`refresh_ledger` walks ``GET /orders?modified_after=<cursor>&dates_are_gmt=true
&orderby=modified&order=asc`` with `domain.cursor.Sweep` (closed start,
keyset paging, same-second drain), so orders modified in the same second are
never skipped, even across a page boundary.  Each page's orders and the
advanced cursor are committed in one transaction, and, given the store's
settings, so are the marks of the SKUs whose stock the page made due
(`stock_due.note_ledger_changes`): a process killed before the push that
follows leaves them for the next push to find.  A second stream reads
``status=trash``, which WooCommerce's default ``any`` leaves out, so a
trashed order releases its allocation even when its webhook was lost.

The first page ever recorded for a store also records its go-live moment
(`go_live.mark_go_live`: when that first refresh started), the default cutoff
before which orders are not exported.

Every body goes through `ledger_record.record_order`, the same path as
webhooks (`apply_webhook`), which makes a replay a no-op.  The recording API
is re-exported here: this module is the ledger's public face.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.cursor import Cursor, Sweep
from storebridge.persistence.repositories import cursors as cursor_repo
from storebridge.persistence.types import utcnow
from storebridge.settings import StoreSettings
from storebridge.sync.orders.go_live import mark_go_live
from storebridge.sync.orders.ledger_record import (
    LedgerChange,
    Outcome,
    apply_webhook,
    record_order,
    record_trashed,
    write_with_retry,
)
from storebridge.sync.orders.stock_due import note_ledger_changes
from storebridge.woocommerce import WooClient, WooInvalidResponse
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
    "write_with_retry",
]

ORDERS_STREAM = "orders"
TRASH_STREAM = "orders:trash"


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


def _record_page(
    session: Session,
    *,
    store: str,
    stream: str,
    bodies: Sequence[Mapping[str, Any]],
    cursor: Cursor,
    now: datetime,
    started: datetime,
    settings: StoreSettings | None,
) -> list[LedgerChange]:
    """One page's orders, the cursor that covers them and the stock they made due, in one transaction.

    `started` is when the refresh began: the go-live moment if this is the first page.
    """
    mark_go_live(session, store=store, at=started)
    changes = [record_order(session, store=store, raw=item, now=now) for item in bodies]
    _save_cursor(session, store, stream, cursor, now)
    moved = [change for change in changes if change.outcome in ("new", "changed")]
    if settings is not None:
        note_ledger_changes(session, store=store, settings=settings, changes=moved)
    return moved


async def _sweep(
    sessions: sessionmaker[Session],
    store: str,
    woo: WooClient,
    stream: str,
    status: str | None,
    per_page: int,
    since: datetime | None,
    started: datetime,
    settings: StoreSettings | None,
    result: RefreshResult,
) -> None:
    with sessions() as session:
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
        work = partial(_record_page, store=store, stream=stream, bodies=process,
                       cursor=step.sweep.cursor, now=utcnow(), started=started,
                       settings=settings)  # fmt: skip
        result.changes.extend(write_with_retry(sessions, work))
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
    settings: StoreSettings | None = None,
) -> RefreshResult:
    """Read every order modified since the store's cursor into the ledger.

    The first refresh of a store also records its go-live moment (see the module docstring).

    Args:
        sessions: sessions on StoreBridge's database.
        store: the store name.
        woo: an open client for the store.
        per_page: orders per request (1 to 100).
        since: where a store's very first read starts (None: all orders).
        settings: the store's settings, to mark the stock each page makes due
            (None: record the orders only, for a caller that pushes nothing).
    """
    result = RefreshResult()
    started = utcnow()
    for stream, status in ((ORDERS_STREAM, None), (TRASH_STREAM, "trash")):
        await _sweep(
            sessions, store, woo, stream, status, per_page, since, started, settings, result
        )
    return result
