"""The go-live cutoff: a fresh installation keeps its order history out of the POS/ERP.

The retailer keyed every order placed before StoreBridge into the POS by hand.
The ledger still reads them all (open ones hold stock), but only orders created
at or after the go-live point are exported; the older ones are ``skipped`` with
the reason, and a human may still export one with a retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import STORE, Shop, golden_order, make_shop

from storebridge.persistence.repositories import cursors
from storebridge.persistence.types import utcnow
from storebridge.sandbox import ManualClock
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.export.engine import retry_export
from storebridge.sync.orders.go_live import GO_LIVE_STREAM, before_go_live_reason, recorded_go_live
from storebridge.sync.orders.ledger import ORDERS_STREAM, record_order
from storebridge.sync.orders.ledger_view import allocated_for_store


@pytest.fixture
def clock() -> ManualClock:
    """The sandbox's clock, three days back: the shop's history before StoreBridge."""
    return ManualClock(utcnow() - timedelta(days=3))


@pytest.fixture
def live_shop(tmp_path: Path, _sqlite_template: Path, clock: ManualClock) -> Iterator[Shop]:
    with make_shop(tmp_path, _sqlite_template, stock=STOCK, clock=clock) as built:
        yield built


async def publish_catalogue(shop: Shop) -> None:
    """A products run that does not read orders, so the ledger is still untouched."""
    run = await sync_products(shop.services, STORE)
    assert run.report.error is None, run.report.error


def after_go_live(clock: ManualClock) -> None:
    """Shoppers from now on: the sandbox's clock moves past the wall clock's present."""
    clock.set(utcnow() + timedelta(minutes=1))


def go_live(shop: Shop) -> datetime | None:
    with shop.services.sessions() as session:
        return recorded_go_live(session, store=STORE)


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


def invoice_keys(shop: Shop) -> list[str]:
    return [doc.idempotency_key for doc in shop.pos.documents() if doc.kind == "invoice"]


def export_state(shop: Shop, order: dict[str, Any]) -> tuple[str, str | None]:
    row = shop.export_row(order["id"])
    assert row is not None, f"order {order['id']} was not judged"
    return row.state, row.skip_reason


async def test_history_is_read_and_open_orders_hold_stock_but_only_new_orders_are_exported(
    live_shop: Shop, clock: ManualClock
) -> None:
    await publish_catalogue(live_shop)
    keyed_by_hand = live_shop.place([("MUG-1", 1)], status="completed")
    still_open = live_shop.place([("CAP-2", 2)], status="processing")
    after_go_live(clock)
    started = utcnow().replace(microsecond=0)
    first = await live_shop.refresh()
    moment = go_live(live_shop)
    assert moment is not None and started <= moment <= utcnow()
    assert first.refresh.count("new") == 2
    # The completed history is in the POS's on-hand already; the open order holds its units.
    assert allocated(live_shop) == {"cap-2": 2}
    assert (live_shop.woo_stock("MUG-1"), live_shop.woo_stock("CAP-2")) == (10, 1)

    new = live_shop.place([("BAG-3", 1)], status="processing")
    live_shop.set_status(new["id"], "completed")
    await live_shop.refresh()
    assert go_live(live_shop) == moment  # recorded once, by the first refresh
    report = await live_shop.export()
    assert (report.counts["exported"], report.counts["skipped_before_go_live"]) == (1, 2)
    assert invoice_keys(live_shop) == [f"{STORE}:{new['id']}"]
    reason = f"created before go-live {moment:%Y-%m-%d %H:%M:%S} UTC"
    assert before_go_live_reason(moment) == reason
    assert export_state(live_shop, keyed_by_hand) == ("skipped", reason)
    assert export_state(live_shop, still_open) == ("skipped", reason)
    assert allocated(live_shop) == {"cap-2": 2, "bag-3": 1}
    again = await live_shop.export()
    assert (again.counts["exported"], again.counts["skipped_before_go_live"]) == (0, 0)


async def test_an_order_from_before_go_live_is_exported_once_a_human_retries_it(
    live_shop: Shop, clock: ManualClock
) -> None:
    await publish_catalogue(live_shop)
    old = live_shop.place([("MUG-1", 2)], status="processing")
    after_go_live(clock)
    await live_shop.refresh()
    await live_shop.export()
    assert export_state(live_shop, old)[0] == "skipped"
    with live_shop.services.sessions.begin() as session:
        retry_export(session, store=STORE, order_id=old["id"])
    assert export_state(live_shop, old) == ("seen", None)
    await live_shop.export()
    assert export_state(live_shop, old) == ("seen", None)  # not skipped again
    live_shop.set_status(old["id"], "completed")
    await live_shop.refresh()
    report = await live_shop.export()
    assert report.counts["exported"] == 1
    assert export_state(live_shop, old)[0] == "exported"
    assert invoice_keys(live_shop) == [f"{STORE}:{old['id']}"]


async def test_an_explicit_export_orders_since_is_the_cutoff(
    tmp_path: Path, _sqlite_template: Path, clock: ManualClock
) -> None:
    cutoff = clock() + timedelta(hours=1)
    with make_shop(
        tmp_path, _sqlite_template, stock=STOCK, clock=clock, export_orders_since=cutoff
    ) as shop:
        await publish_catalogue(shop)
        before = shop.place([("MUG-1", 1)], status="completed")
        clock.set(cutoff)  # created at the cutoff itself: exported
        at_cutoff = shop.place([("CAP-2", 1)], status="completed")
        await shop.refresh()
        report = await shop.export()
        assert report.counts["exported"] == 1
        assert export_state(shop, before) == (
            "skipped",
            f"created before go-live {cutoff.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        )
        assert export_state(shop, at_cutoff)[0] == "exported"


async def test_orders_recorded_before_the_first_refresh_wait_for_the_go_live_moment(
    shop: Shop,
) -> None:
    with shop.services.sessions.begin() as session:
        record_order(session, store=STORE, raw=golden_order("065"))  # e.g. from a webhook
    waiting = await shop.export()
    assert waiting.counts["awaiting_go_live"] == 1
    assert shop.export_row(742) is None and invoice_keys(shop) == []
    await shop.refresh()  # an empty shop, but the ledger's first refresh
    moment = go_live(shop)
    assert moment is not None
    judged = await shop.export()
    assert (judged.counts["awaiting_go_live"], judged.counts["skipped_before_go_live"]) == (0, 1)
    assert export_state(shop, {"id": 742}) == ("skipped", before_go_live_reason(moment))


async def test_a_store_refreshed_before_go_live_was_recorded_went_live_with_its_first_order(
    shop: Shop,
) -> None:
    """An installation upgraded from a release without the cutoff keeps exporting its orders."""
    first_seen = datetime(2026, 11, 26, 19, 30, 15, 500000, tzinfo=UTC)
    with shop.services.sessions.begin() as session:
        record_order(session, store=STORE, raw=golden_order("059"), now=first_seen)
        cursors.advance_cursor(
            session, store=STORE, stream=ORDERS_STREAM, value="2026-11-26T19:30:00+00:00"
        )
    await shop.refresh()
    assert go_live(shop) == first_seen.replace(microsecond=0)
    with shop.services.sessions() as session:
        stored = cursors.get_cursor(session, store=STORE, stream=GO_LIVE_STREAM)
    assert stored is not None and stored.value == "2026-11-26T19:30:15+00:00"
