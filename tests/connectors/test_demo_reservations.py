"""The demo POS's reservations: held units are not for the till, and end as the one invoice."""

from __future__ import annotations

import random
from pathlib import Path

from connector_samples import demo_settings, line, order

from storebridge.connectors.demo.pos import DemoPos
from storebridge.ports import PosReserver

KEY = "main:1001"


def shop_with(tmp_path: Path, units: int) -> tuple[DemoPos, str, str]:
    """A demo POS, one of its simple items with `units` at the web location and none elsewhere."""
    settings = demo_settings(tmp_path)
    pos = DemoPos(settings)
    sku = next(str(r.sku) for r in pos.read_items() if r.parent_code is None)
    for location in settings.locations:
        pos.set_on_hand(sku, location, 0)
    web = settings.effective_web_location
    pos.set_on_hand(sku, web, units)
    return pos, sku, web


def read_figure(pos: DemoPos, sku: str, location: str) -> int:
    item = next(i for i in pos.read_items() if i.sku == sku)
    return int(str(item.on_hand[location]))


def test_held_units_leave_the_read_figure_not_the_shelf(tmp_path: Path) -> None:
    pos, sku, web = shop_with(tmp_path, 5)
    assert isinstance(pos, PosReserver)

    receipt = pos.reserve(order(1001, (line(sku, 2),)))

    assert receipt.applied and not receipt.already_existed
    assert pos.on_hand(sku)[web] == 5
    assert pos.held(sku) == {web: 2}
    assert read_figure(pos, sku, web) == 3
    assert set(pos.reservations_applied([KEY, "main:9"])) == {KEY}
    again = pos.reserve(order(1001, (line(sku, 2),)))
    assert again.already_existed and again.pos_ref == receipt.pos_ref
    assert pos.held(sku) == {web: 2}


def test_the_invoice_under_the_key_ends_the_hold_and_takes_the_units_once(tmp_path: Path) -> None:
    pos, sku, web = shop_with(tmp_path, 5)
    pos.reserve(order(1001, (line(sku, 2),)))

    pos.write_order(order(1001, (line(sku, 2),)))

    assert pos.held(sku) == {}
    assert pos.on_hand(sku)[web] == 3
    assert read_figure(pos, sku, web) == 3  # the same 3 as while reserved: nothing counted twice
    assert pos.release(KEY) is False  # invoiced: nothing left to release
    assert len(pos.documents()) == 1


def test_a_release_gives_the_units_back_and_a_later_reserve_holds_again(tmp_path: Path) -> None:
    pos, sku, web = shop_with(tmp_path, 5)
    first = pos.reserve(order(1001, (line(sku, 4),)))

    assert pos.release(KEY) is True
    assert pos.release(KEY) is False
    assert read_figure(pos, sku, web) == 5
    assert pos.reservations_applied([KEY]) == {}

    renewed = pos.reserve(order(1001, (line(sku, 1),)))
    assert renewed.pos_ref == first.pos_ref and not renewed.already_existed
    assert pos.held(sku) == {web: 1}


def test_the_till_never_sells_a_held_unit(tmp_path: Path) -> None:
    pos, sku, web = shop_with(tmp_path, 3)
    pos.reserve(order(1001, (line(sku, 3),)))  # every unit of the item is taken by the web

    rng = random.Random(3)
    for _ in range(200):
        pos.simulate_step(rng, events=20)

    assert pos.on_hand(sku).get(web, 0) >= 3  # receipts may add units; sales never took held ones
    assert read_figure(pos, sku, web) == pos.on_hand(sku)[web] - 3


def test_a_hold_never_exceeds_the_shelf(tmp_path: Path) -> None:
    pos, sku, web = shop_with(tmp_path, 1)

    pos.reserve(order(1001, (line(sku, 3),)))

    assert pos.held(sku) == {web: 1}
    assert read_figure(pos, sku, web) == 0
