"""The order ledger: idempotent recording, stale bodies, SKU memory, trash, and the cursor."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.orders.orders_helpers import STORE, Shop, golden_order, make_shop

from storebridge.persistence.tables import Order, OrderLine, OrderStatusChange
from storebridge.sandbox import ManualClock
from storebridge.sandbox.ties import TieOrder
from storebridge.sync.orders.ledger import (
    ORDERS_STREAM,
    apply_webhook,
    load_cursor,
    record_order,
    record_trashed,
    refresh_ledger,
)

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def counts(shop: Shop) -> tuple[int, int, int]:
    with shop.services.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Order)) or 0,
            session.scalar(select(func.count()).select_from(OrderLine)) or 0,
            session.scalar(select(func.count()).select_from(OrderStatusChange)) or 0,
        )


def record(shop: Shop, body: dict[str, Any]) -> Any:
    with shop.services.sessions.begin() as session:
        return record_order(session, store=STORE, raw=body)


def test_recording_the_same_order_twice_changes_nothing(shop: Shop) -> None:
    body = golden_order("065")
    first = record(shop, body)
    assert first.outcome == "new"
    assert first.skus == {"gld-stk"}
    before = shop.order_row(742)
    assert before is not None
    second = record(shop, copy.deepcopy(body))
    assert second.outcome == "unchanged"
    assert second.skus == frozenset()
    after = shop.order_row(742)
    assert after is not None
    assert after.updated_at == before.updated_at
    assert counts(shop) == (1, 1, 1)
    assert shop.lines(742) == [(59, "gld-stk", 2)]


def test_an_older_body_than_the_ledger_holds_is_ignored(shop: Shop) -> None:
    newer = golden_order("065")  # completed
    older = golden_order("059")  # the same order, pending, a moment earlier
    older["date_modified_gmt"] = "2026-11-26T19:27:00"
    record(shop, newer)
    assert record(shop, older).outcome == "stale"
    row = shop.order_row(742)
    assert row is not None and row.status == "completed"


def test_a_status_change_is_recorded_once_in_the_history(shop: Shop) -> None:
    body = golden_order("059")
    record(shop, body)
    moved = copy.deepcopy(body)
    moved.update(status="processing", date_modified_gmt="2026-11-26T19:28:00")
    change = record(shop, moved)
    assert (change.outcome, change.status_before, change.status) == (
        "changed",
        "pending",
        "processing",
    )
    assert change.skus == {"gld-stk"}
    record(shop, moved)
    with shop.services.sessions() as session:
        history = session.scalars(
            select(OrderStatusChange.status).order_by(OrderStatusChange.id)
        ).all()
    assert history == ["pending", "processing"]


def test_the_sku_resolved_first_is_kept_when_the_product_is_deleted_later(shop: Shop) -> None:
    body = golden_order("065")
    record(shop, body)
    gone = copy.deepcopy(body)
    gone["line_items"][0].update(sku=None, product_id=0)
    gone["date_modified_gmt"] = "2026-11-26T20:00:00"
    record(shop, gone)
    assert shop.lines(742) == [(59, "gld-stk", 2)]


def test_a_line_whose_reduced_stock_changes_reports_woocommerce_moved_that_stock(
    shop: Shop,
) -> None:
    pending = golden_order("059")  # no _reduced_stock yet
    record(shop, pending)
    completed = golden_order("065")  # _reduced_stock = 2
    change = record(shop, completed)
    assert change.stock_moved == {"gld-stk"}
    refunded = golden_order("100")  # a refund restocked 1: _reduced_stock = 1
    assert record(shop, refunded).stock_moved == {"gld-stk"}


def test_an_edited_line_is_reported_as_an_edit(shop: Shop) -> None:
    body = golden_order("065")
    record(shop, body)
    edited = copy.deepcopy(body)
    edited["line_items"][0]["quantity"] = 3
    edited["date_modified_gmt"] = "2026-11-26T20:00:00"
    change = record(shop, edited)
    assert change.edited
    assert shop.lines(742) == [(59, "gld-stk", 3)]


def test_an_order_deleted_delivery_moves_the_order_to_trash_once(shop: Shop) -> None:
    record(shop, golden_order("065"))
    with shop.services.sessions.begin() as session:
        change = apply_webhook(session, store=STORE, topic="order.deleted", body={"id": 742})
    assert change is not None
    assert (change.status_before, change.status) == ("completed", "trash")
    assert change.skus == {"gld-stk"}
    with shop.services.sessions.begin() as session:
        again = record_trashed(session, store=STORE, order_id=742)
        unknown = record_trashed(session, store=STORE, order_id=999)
    assert again.outcome == unknown.outcome == "unchanged"
    # A body rendered in the same second as the deletion does not bring it back.
    assert record(shop, golden_order("065")).outcome == "stale"
    row = shop.order_row(742)
    assert row is not None and row.status == "trash"


def test_webhook_topics_other_than_orders_leave_the_ledger_alone(shop: Shop) -> None:
    with shop.services.sessions.begin() as session:
        assert apply_webhook(session, store=STORE, topic="product.updated", body={"id": 1}) is None
    assert counts(shop) == (0, 0, 0)


# -- the cursor at second boundaries, against the sandbox --------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def timed_shop(tmp_path: Path, _sqlite_template: Path, clock: ManualClock) -> Iterator[Shop]:
    with make_shop(tmp_path, _sqlite_template, clock=clock) as built:
        yield built


async def refresh(shop: Shop, per_page: int) -> Any:
    async with shop.services.store(STORE).woo() as woo:
        return await refresh_ledger(shop.services.sessions, STORE, woo, per_page=per_page)


def place(shop: Shop, count: int) -> list[int]:
    return [int(shop.place([("NOT-IN-SHOP", 1)], status="pending")["id"]) for _ in range(count)]


def recorded(shop: Shop) -> set[int]:
    with shop.services.sessions() as session:
        return set(session.scalars(select(Order.woo_order_id)).all())


async def test_orders_modified_in_one_second_across_a_page_boundary_are_all_seen(
    timed_shop: Shop, clock: ManualClock
) -> None:
    first = place(timed_shop, 5)  # five orders in the same second, pages of two
    result = await refresh(timed_shop, per_page=2)
    assert sorted(change.order_id for change in result.changes) == sorted(first)
    assert recorded(timed_shop) == set(first)
    late = place(timed_shop, 3)  # three more arrive in that very second
    again = await refresh(timed_shop, per_page=2)
    assert sorted(change.order_id for change in again.changes) == sorted(late)
    assert recorded(timed_shop) == set(first + late)


@pytest.mark.parametrize("seed", range(4))
async def test_same_second_orders_in_a_varying_tie_order_are_all_recorded_once(
    timed_shop: Shop, clock: ManualClock, seed: int
) -> None:
    # WooCommerce breaks no tie of orderby=modified: the sandbox varies their order per
    # request. The sweep's keyset paging (closed start, boundary ids, drain) must not care.
    timed_shop.sandbox.ties = TieOrder(seed)
    placed: list[int] = []
    for _ in range(3):
        placed += place(timed_shop, 7)
        clock.advance(1)
    result = await refresh(timed_shop, per_page=3)

    assert sorted(change.order_id for change in result.changes) == sorted(placed)
    assert recorded(timed_shop) == set(placed)


async def test_a_second_is_sealed_once_a_newer_order_proves_the_clock_moved_on(
    timed_shop: Shop, clock: ManualClock
) -> None:
    first = place(timed_shop, 4)
    await refresh(timed_shop, per_page=2)
    clock.advance(1)
    later = place(timed_shop, 1)
    result = await refresh(timed_shop, per_page=2)
    assert [change.order_id for change in result.changes] == later
    with timed_shop.services.sessions() as session:
        cursor = load_cursor(session, store=STORE, stream=ORDERS_STREAM)
    assert cursor.value is not None and cursor.value > T0
    assert recorded(timed_shop) == set(first + later)


async def test_an_idle_refresh_records_nothing_new(timed_shop: Shop, clock: ManualClock) -> None:
    place(timed_shop, 3)
    await refresh(timed_shop, per_page=100)
    idle = await refresh(timed_shop, per_page=100)
    assert idle.count("new") == idle.count("changed") == 0


async def test_a_status_change_made_in_the_same_second_is_seen_on_the_next_refresh(
    timed_shop: Shop, clock: ManualClock
) -> None:
    (order_id,) = place(timed_shop, 1)
    await refresh(timed_shop, per_page=10)
    timed_shop.set_status(order_id, "processing")  # same second as the creation
    result = await refresh(timed_shop, per_page=10)
    assert [(c.order_id, c.status) for c in result.changes] == [(order_id, "processing")]


async def test_trashed_orders_are_read_from_their_own_stream(
    timed_shop: Shop, clock: ManualClock
) -> None:
    (order_id,) = place(timed_shop, 1)
    await refresh(timed_shop, per_page=10)
    clock.advance(2)
    await timed_shop.api("DELETE", f"/orders/{order_id}")
    result = await refresh(timed_shop, per_page=10)
    assert [(c.order_id, c.status) for c in result.changes] == [(order_id, "trash")]
