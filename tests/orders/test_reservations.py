"""Reservations end to end: sandbox + demo POS + the real engines (design.md §4).

With ``reservations = true`` an order that starts allocating is held in the
POS at once, so the till cannot sell its units; StoreBridge stops holding
them itself as soon as a POS read includes the hold (never counting them
twice); completion turns the hold into the one invoice; cancellation gives
the units back.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.connectors.connector_samples import settings_json
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.connectors.sql.sample import sample_settings
from storebridge.domain.reservation_state import ReservationRecord, ReservationState
from storebridge.persistence.tables import Reservation
from storebridge.settings import parse_settings
from storebridge.settings.problems import InvalidSettings
from storebridge.sync.orders import reservations as engine
from storebridge.sync.orders.ledger_record import record_order
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.web.views.catalog import product_detail
from storebridge.web.views.orders import list_exports


@pytest.fixture
def shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    with make_shop(tmp_path, _sqlite_template, stock=STOCK, reservations=True) as built:
        yield built


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


def reservation(shop: Shop, order_id: int) -> Reservation | None:
    with shop.services.sessions() as session:
        return session.scalars(
            select(Reservation).where(
                Reservation.store == STORE, Reservation.woo_order_id == order_id
            )
        ).one_or_none()


async def test_an_allocating_order_is_held_in_the_pos_and_counted_once(shop: Shop) -> None:
    await shop.sync_products()
    assert shop.woo_stock("MUG-1") == 10
    order = shop.place([("MUG-1", 2)], status="processing")

    cycle = await shop.refresh()

    assert cycle.reservations.reserved == {order["id"]}
    assert shop.pos.held("MUG-1") == {"store-1": 2}
    row = reservation(shop, order["id"])
    assert row is not None and row.state == "reserved" and row.applied_at is not None
    # No POS read since the hold: StoreBridge still holds the units itself.
    assert allocated(shop) == {"mug-1": 2}
    assert shop.woo_stock("MUG-1") == 8

    await shop.sync_products()  # this read excludes the held units: the POS holds them now

    assert allocated(shop) == {}
    assert shop.woo_stock("MUG-1") == 8  # 10 on the shelf - 2 held, not 10 - 2 - 2
    again = await shop.refresh()
    assert again.reservations.reserved == set()  # one hold per order, however many cycles


async def test_completion_turns_the_hold_into_the_one_invoice(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 2)], status="processing")
    await shop.refresh()
    await shop.sync_products()
    shop.set_status(order["id"], "completed")
    await shop.refresh()

    report = await shop.export()

    assert report.counts["exported"] == 1
    assert shop.pos.held("MUG-1") == {}
    assert len(shop.pos.documents()) == 1
    assert sum(shop.pos.on_hand("MUG-1").values()) == 8
    cycle = await shop.refresh()
    assert cycle.reservations.converted == {order["id"]}
    row = reservation(shop, order["id"])
    assert row is not None and row.state == "converted"
    await shop.sync_products()
    assert allocated(shop) == {}
    assert shop.woo_stock("MUG-1") == 8


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed"])
async def test_an_order_ended_before_export_releases_its_hold(shop: Shop, status: str) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 3)], status="processing")
    await shop.refresh()
    await shop.sync_products()
    assert shop.woo_stock("MUG-1") == 7

    shop.set_status(order["id"], status)
    cycle = await shop.refresh()

    assert cycle.reservations.released == {order["id"]}
    assert shop.pos.held("MUG-1") == {}
    await shop.sync_products()
    assert shop.woo_stock("MUG-1") == 10
    await shop.export()
    assert shop.pos.documents() == []


async def test_a_record_lost_after_the_pos_call_is_found_again_not_held_twice(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crash between the POS's answer and StoreBridge's record, at both ends of the hold.
    await shop.sync_products()
    order = shop.place([("MUG-1", 2)], status="processing")
    real_save = engine.save_reservation

    def crash(session: object, *, store: str, order_id: int, record: ReservationRecord) -> None:
        if record.state in (ReservationState.RESERVING, ReservationState.RELEASING):
            real_save(session, store=store, order_id=order_id, record=record)  # type: ignore[arg-type]
            return  # the intent is written before the POS call; the kill comes after it
        raise KeyboardInterrupt("killed before the record was written")

    monkeypatch.setattr(engine, "save_reservation", crash)
    with pytest.raises(KeyboardInterrupt):
        await shop.refresh()
    assert shop.pos.held("MUG-1") == {"store-1": 2}
    row = reservation(shop, order["id"])
    assert row is not None and row.state == "reserving"  # so a release would ask the POS

    monkeypatch.setattr(engine, "save_reservation", real_save)
    await shop.refresh()
    assert shop.pos.held("MUG-1") == {"store-1": 2}  # found under its key, not held again
    row = reservation(shop, order["id"])
    assert row is not None and row.state == "reserved"

    shop.set_status(order["id"], "cancelled")
    monkeypatch.setattr(engine, "save_reservation", crash)
    with pytest.raises(KeyboardInterrupt):
        await shop.refresh()
    assert shop.pos.held("MUG-1") == {}  # the POS gave the units back before the kill
    row = reservation(shop, order["id"])
    assert row is not None and row.state == "releasing"  # so StoreBridge no longer counts on it
    monkeypatch.setattr(engine, "save_reservation", real_save)
    assert (await shop.refresh()).reservations.released == {order["id"]}
    assert shop.pos.held("MUG-1") == {}


async def test_a_pos_that_keeps_failing_parks_the_reservation_and_allocation_carries_on(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    with make_shop(
        tmp_path, _sqlite_template, stock=STOCK, reservations=True, export_max_attempts=2
    ) as shop:
        await shop.sync_products()
        order = shop.place([("MUG-1", 2)], status="processing")
        shop.pos.fail_next(2)  # the first POS call of each of the next two cycles fails
        first = await shop.refresh()
        second = await shop.refresh()
        assert order["id"] in first.reservations.failed
        assert order["id"] in second.reservations.failed
        row = reservation(shop, order["id"])
        # The POS might have held the units before failing: the intent stays for a release.
        assert row is not None and row.state == "reserving" and row.attempts == 2
        assert "injected fault" in (row.last_error or "")
        third = await shop.refresh()
        assert third.reservations.reserved == set()  # parked: a human looks first
        assert allocated(shop) == {"mug-1": 2}  # StoreBridge holds the units as before
        assert shop.woo_stock("MUG-1") == 8


def test_reservations_need_a_connector_that_can_hold_them(tmp_path: Path) -> None:
    table = {
        "woocommerce": {"url": "https://shop.test", "consumer_key": "ck", "consumer_secret": "cs"},
        "connector": json.loads(settings_json(sample_settings(f"sqlite:///{tmp_path}/pos.db"))),
        "reservations": True,
    }
    with pytest.raises(
        InvalidSettings, match="the 'sql' connector cannot: set reservations = false"
    ):
        parse_settings({"web": {"secret_key": "s" * 40}, "stores": {"main": table}})


async def test_the_dashboard_says_where_each_order_stands_in_the_pos(shop: Shop) -> None:
    await shop.sync_products()
    held = shop.place([("MUG-1", 2)], status="processing")
    ended = shop.place([("MUG-1", 1)], status="processing")
    sold = shop.place([("CAP-2", 1)], status="processing")
    await shop.refresh()
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        detail = product_detail(session, store=STORE, settings=settings, sku="MUG-1")
    assert detail is not None
    assert {o.reason for o in detail.orders} == {
        "reserved in the POS/ERP, waiting for the next POS stock read"
    }
    shop.set_status(ended["id"], "cancelled")
    shop.set_status(sold["id"], "completed")
    await shop.refresh()
    await shop.export()
    await shop.refresh()

    with shop.services.sessions() as session:
        lines = {line.woo_order_id: line.in_pos for line in list_exports(session, stores=[STORE])}
        detail = product_detail(session, store=STORE, settings=settings, sku="MUG-1")
    assert lines[held["id"]].startswith("reserved as RES-")
    assert lines[ended["id"]] == "reservation released"
    assert lines[sold["id"]] == "exported (was reserved)"
    await shop.sync_products()
    with shop.services.sessions() as session:
        detail = product_detail(session, store=STORE, settings=settings, sku="MUG-1")
    assert detail is not None
    assert [o.reason for o in detail.orders] == ["released: the POS on-hand includes it"]


async def test_a_file_feed_reservation_holds_from_the_erps_import_on(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    feed = tmp_path / "items.csv"
    feed.write_text("sku,name,price,quantity,web\nMUG-1,Mug,10.00,10,1\n")
    outbox = tmp_path / "outbox"
    connector = {
        "type": "file_feed",
        "path": str(feed),
        "outbox": str(outbox),
        "mapping": {"web_flag": "web"},
    }
    with make_shop(tmp_path, _sqlite_template, connector=connector, reservations=True) as shop:
        await shop.sync_products()
        order = shop.place([("MUG-1", 2)], status="processing")
        await shop.refresh()
        name = f"{STORE}__{order['id']}.json"
        assert (outbox / "reservations" / name).exists()
        await shop.sync_products()  # not imported yet: the feed's 10 still includes the units
        assert allocated(shop) == {"mug-1": 2}
        assert shop.woo_stock("MUG-1") == 8

        # The ERP imports the reservation and its next feed excludes the held units.
        (outbox / "reservations" / name).rename(outbox / "reservations" / "sent" / name)
        feed.write_text("sku,name,price,quantity,web\nMUG-1,Mug,10.00,8,1\n")
        await shop.refresh()
        row = reservation(shop, order["id"])
        assert row is not None and row.applied_at is not None
        await shop.sync_products()
        assert allocated(shop) == {}
        assert shop.woo_stock("MUG-1") == 8

        shop.set_status(order["id"], "completed")
        await shop.refresh()
        await shop.export()
        written = json.loads((outbox / name).read_text(encoding="utf-8"))
        assert written["reservation"] == f"{STORE}__{order['id']}"


async def test_an_order_edited_while_reserved_is_reserved_again_as_it_now_is(shop: Shop) -> None:
    await shop.sync_products()
    placed = shop.place([("MUG-1", 2)], status="processing")
    await shop.refresh()
    assert shop.pos.held("MUG-1") == {"store-1": 2}
    edited = copy.deepcopy(shop.sandbox.orders.get(placed["id"]))
    edited["line_items"][0]["quantity"] = 3
    edited["line_items"][0]["total"] = "30.00"
    edited["total"] = str(Decimal(edited["total"]) + 10)
    edited["date_modified_gmt"] = "2099-01-01T00:00:00"
    with shop.services.sessions.begin() as session:
        record_order(session, store=STORE, raw=edited)

    first = await engine.settle_reservations(shop.services, STORE)
    second = await engine.settle_reservations(shop.services, STORE)

    assert first.released == {placed["id"]}  # the stale hold goes first...
    assert second.reserved == {placed["id"]}  # ...then the order is held as it now is
    assert shop.pos.held("MUG-1") == {"store-1": 3}
    assert (await engine.settle_reservations(shop.services, STORE)).reserved == set()
