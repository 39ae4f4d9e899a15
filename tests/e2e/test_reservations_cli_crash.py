"""kill -9 of the real `storebridge` command at each reservation step, then the same command again.

A store with ``reservations = true`` over the demo POS: `storebridge orders
refresh` reserves an allocating order in the POS, releases a cancelled one
and notes the conversion the export made; `storebridge orders export` turns
the hold into the invoice.  Each step is killed right after the POS call
(before StoreBridge records it) and right after the record, by the
`cli_kill.KILL_HOOK` of the child process, and the same command runs again
at once.  The end state must be exactly-once: one hold (or none) in the POS,
one invoice, StoreBridge's record saying the same, and WooCommerce's stock
counting the units once.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from tests.e2e.cli_kill import (  # noqa: F401  (the *_fixture names: pytest finds them here)
    STORE,
    console_script_fixture,
    crash_then_again,
    export_row,
    in_process,
    install,
    killed,
    recorded,
    said,
    sandbox_server_fixture,
    shop_fixture,
    storebridge,
)
from tests.e2e.test_cli_crash import connector_for, documents
from tests.orders.orders_helpers import add_items

from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.sandbox import SandboxServer
from storebridge.settings import load_settings
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.export.engine import export_orders
from storebridge.sync.orders.allocation import refresh_and_push

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

ON_SHELF = 5
ORDERED = 2


def reserving_store(folder: Path, template: Path, shop: SandboxServer) -> int:
    """A demo POS store with reservations; a shopper's processing order for 2 of A-1's 5."""
    install(folder, template, shop, connector_for("demo", folder), reservations=True)
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        pos = services.store(STORE).connector
        assert isinstance(pos, DemoPos)
        add_items(pos, {"A-1": {"store-1": ON_SHELF}})
    finally:
        services.close()
    assert in_process(folder, sync_products).report.outcome == "ok"
    order = shop.sandbox.place_order(
        {"status": "processing", "billing": {"email": "hold@example.com"},
         "line_items": [{"sku": "A-1", "quantity": ORDERED}]}
    )  # fmt: skip
    return int(order["id"])


def holds(folder: Path, order_id: int) -> list[tuple[str, str]]:
    """(reference, state) of the demo POS's reservations under the order's key."""
    with sqlite3.connect(folder / "demo.sqlite3") as conn:
        rows = conn.execute(
            "SELECT ref, state FROM reservations WHERE idempotency_key = ?",
            (f"{STORE}:{order_id}",),
        ).fetchall()
    return [(str(ref), str(state)) for ref, state in rows]


def held_units(folder: Path) -> dict[str, int]:
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        pos = services.store(STORE).connector
        assert isinstance(pos, DemoPos)
        return pos.held("A-1")
    finally:
        services.close()


def woo_stock_after_a_pos_read(folder: Path, shop: SandboxServer) -> int:
    """WooCommerce's A-1 stock once a products run has read the POS (holds and all)."""
    assert in_process(folder, sync_products).report.outcome == "ok"
    product = shop.sandbox.products.by_sku("A-1")
    assert product is not None
    return int(product["stock_quantity"])


@pytest.mark.parametrize("step", ["after_call", "after_record"])
def test_a_reservation_killed_at_any_step_holds_the_units_once(
    step: str, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    order_id = reserving_store(tmp_path, _sqlite_template, shop)

    crashed = storebridge(tmp_path, "orders", "refresh", kill_at=f"reserve.{step}")
    assert killed(crashed), said(crashed)
    assert holds(tmp_path, order_id) == [("RES-000001", "held")]  # the POS holds them
    # The intent was committed before the POS call: a release would ask the POS too.
    assert recorded(tmp_path, order_id) == (
        ("reserving", None) if step == "after_call" else ("reserved", "RES-000001")
    )
    again = storebridge(tmp_path, "orders", "refresh")

    assert again.returncode == 0, said(again)
    assert holds(tmp_path, order_id) == [("RES-000001", "held")]  # found again, not a second
    assert held_units(tmp_path) == {"store-1": ORDERED}
    assert recorded(tmp_path, order_id) == ("reserved", "RES-000001")
    # Held by the POS and not by StoreBridge as well: 5 on the shelf - 2 held.
    assert woo_stock_after_a_pos_read(tmp_path, shop) == ON_SHELF - ORDERED


def test_a_reservation_killed_after_the_pos_held_it_is_released_if_the_order_ends_meanwhile(
    tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    order_id = reserving_store(tmp_path, _sqlite_template, shop)
    crashed = storebridge(tmp_path, "orders", "refresh", kill_at="reserve.after_call")
    assert killed(crashed), said(crashed)
    shop.sandbox.orders.set_status(order_id, "cancelled")  # before anyone restarts it

    again = storebridge(tmp_path, "orders", "refresh")

    assert again.returncode == 0, said(again)
    assert holds(tmp_path, order_id) == [("RES-000001", "released")]  # not held forever
    assert held_units(tmp_path) == {}
    assert recorded(tmp_path, order_id) == ("released", None)
    assert woo_stock_after_a_pos_read(tmp_path, shop) == ON_SHELF


@pytest.mark.parametrize("step", ["after_call", "after_record"])
def test_a_release_killed_at_any_step_gives_the_units_back_once(
    step: str, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    order_id = reserving_store(tmp_path, _sqlite_template, shop)
    in_process(tmp_path, refresh_and_push)
    assert recorded(tmp_path, order_id) == ("reserved", "RES-000001")
    shop.sandbox.orders.set_status(order_id, "cancelled")

    crashed = storebridge(tmp_path, "orders", "refresh", kill_at=f"release.{step}")
    assert killed(crashed), said(crashed)
    assert holds(tmp_path, order_id) == [("RES-000001", "released")]
    # The intent was committed before the POS call: StoreBridge no longer counts on the hold.
    assert recorded(tmp_path, order_id) == (
        ("releasing" if step == "after_call" else "released"),
        "RES-000001",
    )
    again = storebridge(tmp_path, "orders", "refresh")

    assert again.returncode == 0, said(again)
    assert holds(tmp_path, order_id) == [("RES-000001", "released")]
    assert held_units(tmp_path) == {}
    assert recorded(tmp_path, order_id) == ("released", "RES-000001")
    assert woo_stock_after_a_pos_read(tmp_path, shop) == ON_SHELF
    assert in_process(tmp_path, export_orders).counts.get("exported", 0) == 0
    assert documents("demo", tmp_path, order_id) == []


async def _refresh_then_export(services: Services, store: str) -> None:
    await refresh_and_push(services, store)
    report = await export_orders(services, store)
    assert report.counts.get("exported") == 1, report


@pytest.mark.parametrize(
    ("command", "step"),
    [(("orders", "export"), "export.after_write"), (("orders", "refresh"), "convert.after_record")],
)
def test_a_conversion_killed_at_any_step_leaves_the_hold_as_the_one_invoice(
    command: tuple[str, str],
    step: str,
    tmp_path: Path,
    shop: SandboxServer,
    _sqlite_template: Path,
) -> None:
    order_id = reserving_store(tmp_path, _sqlite_template, shop)
    in_process(tmp_path, refresh_and_push)
    shop.sandbox.orders.set_status(order_id, "completed")
    if command == ("orders", "export"):
        in_process(tmp_path, refresh_and_push)  # the ledger sees the completion
    else:
        in_process(tmp_path, _refresh_then_export)  # the refresh after it notes the conversion

    crash_then_again(tmp_path, *command, kill_at=step)
    if command == ("orders", "export"):
        assert storebridge(tmp_path, "orders", "refresh").returncode == 0

    (invoice,) = documents("demo", tmp_path, order_id)
    assert holds(tmp_path, order_id) == [("RES-000001", "converted")]
    assert held_units(tmp_path) == {}
    assert recorded(tmp_path, order_id) == ("converted", "RES-000001")
    row = export_row(tmp_path, order_id)
    assert (row.state, row.pos_ref) == ("exported", invoice)
    assert woo_stock_after_a_pos_read(tmp_path, shop) == ON_SHELF - ORDERED  # sold once
