"""The demo POS: its seeded catalogue, store life, stock moves of web documents and fault knobs."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from connector_samples import credit, customer, demo_settings, guest, line, order
from pydantic import ValidationError

from storebridge.connectors.demo import schema as demo_schema
from storebridge.connectors.demo.catalogue import SIZES, WEBSTORE
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.settings import DemoPosSettings
from storebridge.domain.model import RawItem
from storebridge.domain.selection import Selection
from storebridge.domain.validation import validate_feed
from storebridge.errors import PosRejected, PosUnavailable

TODAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def make_pos(folder: Path, **overrides: object) -> DemoPos:
    return DemoPos(demo_settings(folder, **overrides), today=TODAY)


def simple_items(pos: DemoPos) -> list[RawItem]:
    return [item for item in pos.read_items() if item.parent_code is None]


def a_stocked_sku(pos: DemoPos) -> str:
    return str(simple_items(pos)[0].sku)


# -- seeding ---------------------------------------------------------------------


def test_the_same_seed_and_day_give_the_same_catalogue(tmp_path: Path) -> None:
    first = list(make_pos(tmp_path / "a").read_items())
    second = list(make_pos(tmp_path / "b").read_items())
    other = list(make_pos(tmp_path / "c", random_seed=8).read_items())
    assert first == second
    assert first != other


def test_the_catalogue_is_seeded_on_first_open_only(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=40, seed_styles=3)
    items = list(pos.read_items())
    assert len([i for i in items if i.parent_code is None]) == 40
    assert len(make_pos(tmp_path, seed_items=40, seed_styles=3).documents()) == 0
    assert len(list(make_pos(tmp_path, seed_items=99).read_items())) == len(items)
    with pytest.raises(ValueError, match="already holds"):
        pos.seed(10, 0, 1)


def test_an_empty_demo_pos_can_be_seeded_explicitly(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=0, seed_styles=0)
    assert list(pos.read_items()) == []
    inserted = pos.seed(12, 1, 3, today=TODAY)
    items = list(pos.read_items())
    assert inserted == len(items)
    assert len(simple_items(pos)) == 12
    assert len(items) - 12 in {2 * len(SIZES), 3 * len(SIZES)}


def test_the_seeded_catalogue_looks_like_a_real_shop(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=300, seed_styles=0)
    items = list(pos.read_items())
    prices = [Decimal(str(i.regular_price)) for i in items]
    assert all(p > 0 for p in prices)
    endings = Counter(str(p)[-3:] for p in prices)
    assert set(endings) <= {".99", ".95", ".50", ".00"}
    assert endings[".99"] > len(items) / 3
    assert {c for i in items for c in i.categories} == {
        "Apparel",
        "Footwear",
        "Accessories",
        "Home",
    }
    web_share = sum(1 for i in items if i.web_flag) / len(items)
    assert 0.7 < web_share < 0.9
    on_sale = [i for i in items if i.sale_price is not None]
    assert 0.05 < len(on_sale) / len(items) < 0.3
    assert all(Decimal(str(i.sale_price)) < Decimal(str(i.regular_price)) for i in on_sale)
    dated = [i for i in on_sale if i.sale_from is not None]
    assert dated
    assert all(datetime.fromisoformat(str(i.sale_from)).tzinfo is not None for i in dated)
    assert all(set(i.on_hand) == {"store-1", "store-2", "warehouse"} for i in items)
    assert any(sum(int(q or 0) for q in i.on_hand.values()) <= 2 for i in items)  # scarce
    assert any(sum(int(q or 0) for q in i.on_hand.values()) > 30 for i in items)
    assert all(WEBSTORE in i.webstore_prices for i in items if i.web_flag)
    assert not any(i.webstore_prices for i in items if not i.web_flag)
    assert len({i.name for i in items}) > 100
    assert all(len(str(i.name).split()) >= 3 for i in items)


def test_matrix_styles_have_one_sku_per_colour_and_size(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=0, seed_styles=4)
    variants = list(pos.read_items())
    styles: dict[str, list[RawItem]] = {}
    for item in variants:
        assert item.parent_code is not None and item.parent_name
        styles.setdefault(str(item.parent_code), []).append(item)
    assert len(styles) == 4
    for members in styles.values():
        colours = {m.attributes["Colour"] for m in members}
        assert 2 <= len(colours) <= 3
        assert {m.attributes["Size"] for m in members} == set(SIZES)
        assert len(members) == len(colours) * len(SIZES)
        assert len({m.sku for m in members}) == len(members)
        assert len({m.parent_name for m in members}) == 1


# -- store life ------------------------------------------------------------------


def snapshot(pos: DemoPos) -> dict[str, RawItem]:
    return {str(i.sku): i for i in pos.read_items()}


def test_store_life_changes_stock_prices_promotions_and_the_web_selection(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=60, seed_styles=2)
    before = snapshot(pos)
    rng = random.Random(5)
    events = [e for _ in range(10) for e in pos.simulate_step(rng, 20, now=NOW)]
    after = snapshot(pos)

    kinds = Counter(e.kind for e in events)
    assert {"sale", "receipt", "price_change", "promo_start", "new_item"} <= set(kinds)
    assert all(str(e).startswith(e.kind) for e in events)
    changed_stock = [s for s in before if before[s].on_hand != after[s].on_hand]
    changed_price = [s for s in before if before[s].regular_price != after[s].regular_price]
    assert changed_stock and changed_price
    assert set(after) - set(before) == {e.sku for e in events if e.kind == "new_item"}
    last_promo_event = {e.sku: e.kind for e in events if e.kind in {"promo_start", "promo_end"}}
    assert set(last_promo_event.values()) == {"promo_start", "promo_end"}
    for sku, last in last_promo_event.items():
        if last == "promo_end":
            assert after[sku].sale_price is None
        elif not any(e.sku == sku and e.kind == "price_change" for e in events):
            assert after[sku].sale_price is not None
    assert all(int(q or 0) >= 0 for item in after.values() for q in item.on_hand.values())


def test_store_life_replays_the_same_day_from_the_same_seed(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        pos = make_pos(tmp_path / name)
        runs.append([str(e) for e in pos.simulate_step(random.Random(9), 30, now=NOW)])
    assert runs[0] == runs[1]


def test_till_sales_never_drive_stock_below_zero_unless_allowed(tmp_path: Path) -> None:
    pos = make_pos(tmp_path / "strict", seed_items=5, seed_styles=0)
    loose = make_pos(tmp_path / "loose", seed_items=5, seed_styles=0, allow_negative_stock=True)
    rng = random.Random(1)
    for _ in range(4):
        pos.simulate_step(rng, 150, now=NOW)
        loose.simulate_step(rng, 150, now=NOW)
    assert all(q >= 0 for i in pos.read_items() for q in map(int, i.on_hand.values()))
    assert any(q < 0 for i in loose.read_items() for q in map(int, i.on_hand.values()))


# -- web documents move stock ---------------------------------------------------------


def test_an_invoice_lowers_on_hand_at_the_web_location(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    sku = a_stocked_sku(pos)
    pos.set_on_hand(sku, "store-1", 5)
    pos.write_order(order(1, (line(sku.lower(), 2),)))
    assert pos.on_hand(sku)["store-1"] == 3
    pos.write_order(order(1, (line(sku, 2),)))  # the retry moves nothing
    assert pos.on_hand(sku)["store-1"] == 3


def test_an_invoice_is_applied_as_it_is_written_and_a_credit_is_not_an_order(
    tmp_path: Path,
) -> None:
    pos = make_pos(tmp_path)
    sku = a_stocked_sku(pos)
    before = datetime.now(UTC)
    invoice = order(1, (line(sku, 1),))
    receipt = pos.write_order(invoice)
    refund = credit(invoice, receipt.pos_ref)
    pos.write_credit(refund)

    applied = pos.applied(["main:1", refund.idempotency_key, "main:2"])

    assert list(applied) == ["main:1"]  # the on-hand moved with the write
    assert before <= applied["main:1"] <= datetime.now(UTC)


def test_an_invoice_takes_what_the_web_location_lacks_from_the_next_locations(
    tmp_path: Path,
) -> None:
    pos = make_pos(tmp_path, web_location="warehouse")
    sku = a_stocked_sku(pos)
    for location, quantity in {"warehouse": 1, "store-1": 1, "store-2": 5}.items():
        pos.set_on_hand(sku, location, quantity)
    pos.write_order(order(2, (line(sku, 4),)))
    assert pos.on_hand(sku) == {"warehouse": 0, "store-1": 0, "store-2": 3}
    pos.write_order(order(3, (line(sku, 9),)))
    assert pos.on_hand(sku) == {"warehouse": 0, "store-1": 0, "store-2": 0}


def test_a_credit_puts_returned_units_back_at_the_web_location(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    sku = a_stocked_sku(pos)
    pos.set_on_hand(sku, "store-1", 5)
    document = order(4, (line(sku, 3),))
    receipt = pos.write_order(document)
    assert pos.on_hand(sku)["store-1"] == 2
    ref = pos.write_credit(credit(document, receipt.pos_ref, quantity=2))
    assert pos.on_hand(sku)["store-1"] == 4
    assert pos.write_credit(credit(document, receipt.pos_ref, quantity=2)) == ref
    assert pos.on_hand(sku)["store-1"] == 4
    assert ref.startswith("CR-") and receipt.pos_ref.startswith("INV-")
    booked = {d.ref: d for d in pos.documents()}
    assert booked[ref].original_ref == receipt.pos_ref
    assert booked[ref].customer_ref == receipt.customer_ref


def test_unknown_skus_are_booked_as_non_inventory_lines_without_moving_stock(
    tmp_path: Path,
) -> None:
    pos = make_pos(tmp_path)
    receipt = pos.write_order(order(5, (line("GIFT-WRAP", 1, known=False),)))
    with sqlite3.connect(pos.settings.path) as conn:
        kinds = conn.execute(
            "SELECT kind, sku FROM document_lines WHERE document_ref = ? ORDER BY line_no",
            (receipt.pos_ref,),
        ).fetchall()
        moves = conn.execute(
            "SELECT COUNT(*) FROM stock_moves WHERE document_ref = ?", (receipt.pos_ref,)
        ).fetchone()[0]
    assert kinds == [("non_inventory", "GIFT-WRAP"), ("shipping", None)]
    assert moves == 0


def test_document_numbers_run_per_kind_like_a_till(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    refs = [pos.write_order(order(n)).pos_ref for n in (10, 11, 12)]
    assert refs == ["INV-000001", "INV-000002", "INV-000003"]


def test_the_whole_order_is_kept_as_the_document_body(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    receipt = pos.write_order(order(6))
    with sqlite3.connect(pos.settings.path) as conn:
        body = json.loads(
            conn.execute("SELECT body FROM documents WHERE ref = ?", (receipt.pos_ref,)).fetchone()[
                0
            ]
        )
    assert body["customer"]["email"] == "ann@example.com"
    assert body["customer_note"] == "Leave at the door"
    assert body["charges"][0]["total"] == "4.95"


def test_a_credit_for_an_invoice_the_pos_never_booked_is_rejected(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    with pytest.raises(PosRejected, match="INV-999999"):
        pos.write_credit(credit(order(7), "INV-999999"))
    assert pos.documents() == []


def test_concurrent_writers_of_the_same_order_book_it_once(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    document = order(8)
    start = threading.Barrier(4)
    receipts = []

    def write() -> None:
        start.wait()
        receipts.append(pos.write_order(document))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.pos_ref for r in receipts}) == 1
    assert sum(not r.already_existed for r in receipts) == 1
    assert len(pos.documents()) == 1


def test_stock_moves_explain_every_on_hand_figure(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=20, seed_styles=1)
    sku = a_stocked_sku(pos)
    pos.simulate_step(random.Random(2), 80, now=NOW)
    pos.set_on_hand(sku, "store-2", 9)
    document = order(1, (line(sku, 3), line("UNKNOWN", 1, known=False)))
    receipt = pos.write_order(document)
    pos.write_credit(credit(document, receipt.pos_ref, quantity=1))
    with sqlite3.connect(pos.settings.path) as conn:
        mismatched = conn.execute(
            "SELECT s.sku, s.location, s.on_hand, COALESCE(SUM(m.delta), 0) FROM stock s"
            " LEFT JOIN stock_moves m ON m.sku = s.sku AND m.location = s.location"
            " GROUP BY s.sku, s.location HAVING s.on_hand <> COALESCE(SUM(m.delta), 0)"
        ).fetchall()
        reasons = {row[0] for row in conn.execute("SELECT DISTINCT reason FROM stock_moves")}
    assert mismatched == []
    assert {"seed", "sale", "adjustment", "web_invoice", "credit"} <= reasons


# -- customers ---------------------------------------------------------------------


def test_a_returning_customer_gets_the_new_address_on_the_same_record(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    ref = pos.upsert_customer(customer("ann@example.com", city="Leeds"))
    assert pos.upsert_customer(customer("ANN@example.com", city="York")) == ref
    with sqlite3.connect(pos.settings.path) as conn:
        billing = conn.execute("SELECT billing FROM customers WHERE ref = ?", (ref,)).fetchone()[0]
    assert json.loads(billing)["city"] == "York"
    assert pos.customer_email(ref) == "ann@example.com"


def test_guests_without_email_book_on_the_shared_web_guest(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    assert pos.upsert_customer(guest()) == "WEB-GUEST"
    assert pos.write_order(order(9, buyer=guest())).customer_ref == "WEB-GUEST"
    assert pos.customer_email("WEB-GUEST") == ""


# -- faults and settings ------------------------------------------------------------


def test_fail_next_makes_exactly_the_next_calls_fail(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    pos.fail_next(2)
    with pytest.raises(PosUnavailable):
        pos.write_order(order(1))
    with pytest.raises(PosUnavailable):
        pos.find_document("main:1")
    assert pos.find_document("main:1") is None  # nothing was written by the failed call
    assert not pos.write_order(order(1)).already_existed
    pos.fail_next(1, PosRejected)
    with pytest.raises(PosRejected):
        list(pos.read_items())


def test_an_unavailable_pos_fails_every_call_until_it_is_back(tmp_path: Path) -> None:
    pos = make_pos(tmp_path)
    pos.unavailable = True
    with pytest.raises(PosUnavailable):
        pos.known_skus(["x"])
    with pytest.raises(PosUnavailable):
        pos.upsert_customer(customer())
    pos.unavailable = False
    assert pos.known_skus(["x"]) == set()


def test_the_offline_marker_file_takes_the_pos_down_from_outside_but_the_till_sells_on(
    tmp_path: Path,
) -> None:
    pos = make_pos(tmp_path)
    pos.offline_marker.touch()
    with pytest.raises(PosUnavailable, match="unavailable"):
        list(pos.read_items())
    with pytest.raises(PosUnavailable):
        pos.write_order(order(1))
    assert pos.simulate_step(random.Random(3), 5)  # the shop itself keeps trading
    pos.offline_marker.unlink()
    assert list(pos.read_items())


def test_a_locked_database_is_reported_as_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pos = make_pos(tmp_path)
    monkeypatch.setattr(demo_schema, "BUSY_TIMEOUT_MS", 0)  # fail at once instead of waiting
    blocker = sqlite3.connect(pos.settings.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(PosUnavailable, match=r"busy|locked"):
            pos.write_order(order(1))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert pos.find_document("main:1") is None


def test_the_web_location_must_be_one_of_the_locations() -> None:
    with pytest.raises(ValidationError, match="web_location 'online'"):
        DemoPosSettings(web_location="online")
    assert DemoPosSettings().effective_web_location == "store-1"
    assert DemoPosSettings(web_location="warehouse").effective_web_location == "warehouse"


@pytest.mark.parametrize(
    "selection",
    [Selection("flag"), Selection("webstore", WEBSTORE), Selection("all")],
    ids=["flag", "webstore", "all"],
)
def test_the_demo_catalogue_passes_validation_before_and_after_store_life(
    tmp_path: Path, selection: Selection
) -> None:
    pos = make_pos(tmp_path, seed_items=400, seed_styles=10)
    before = validate_feed(pos.read_items(), selection=selection)
    rng = random.Random(4)
    for _ in range(5):
        pos.simulate_step(rng, 100, now=NOW)
    after = validate_feed(pos.read_items(), selection=selection)
    assert before.quarantined == []
    assert after.quarantined == []
    if selection.mode != "all":
        assert 0 < sum(item.selected for item in after.items) < len(after.items)


def test_store_life_leaves_a_mistyped_price_for_the_sync_to_quarantine(tmp_path: Path) -> None:
    pos = make_pos(tmp_path, seed_items=3, seed_styles=0)
    with sqlite3.connect(pos.settings.path) as conn:
        conn.execute("UPDATE items SET price = 'twelve', sale_price = NULL")
        conn.execute("UPDATE items SET price = '-4.00' WHERE rowid = 1")

    mistyped = {str(i.sku): i.regular_price for i in pos.read_items()}

    rng = random.Random(3)
    events = [e for _ in range(40) for e in pos.simulate_step(rng, 10, now=NOW)]  # no error

    repriced = {e.sku for e in events if e.kind in ("price_change", "promo_start")}
    assert not repriced & set(mistyped)  # new items the shop adds meanwhile may be repriced
    after = {str(i.sku): i.regular_price for i in pos.read_items()}
    assert {sku: after[sku] for sku in mistyped} == mistyped
