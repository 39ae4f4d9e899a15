"""kill -9 of the real `storebridge` command at each reservation and ship-from-POS step, on Tryton.

The store reads a real trytond (the `tryton` fixture) and a sandbox
WooCommerce served over HTTP; `storebridge orders refresh` and `storebridge
orders export` run as their own processes, SIGKILLed right after a named
step by `tests/e2e/cli_kill.py`'s hook, and the same command runs again at
once.  Covered, each with a kill at every engine step:

* reservation → completion → one sale (the reservation *is* the sale);
* reservation → cancellation → released (the units back, the key free);
* ship-from-POS: a clerk ships the sale in Tryton → StoreBridge records it,
  adds the tracking note, completes the WooCommerce order with the tracking
  meta → WooCommerce completed once, with one note, and no second sale.

(The connector's own RPC steps are killed in test_crash.py.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from connector_samples import settings_json, tryton_settings
from tests.connectors.test_tryton_reservations import (
    connect,
    sales_under,
    ship_in_tryton,
    warehouse_figure,
)
from tests.e2e.cli_kill import (  # noqa: F401  (the *_fixture names: pytest finds them here)
    STORE,
    console_script_fixture,
    crash_then_again,
    customer_notes,
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

from storebridge.bootstrap import Services
from storebridge.connectors.tryton import seed as tryton_seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.sandbox import SandboxServer
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.export.engine import export_orders
from storebridge.sync.orders.allocation import refresh_and_push
from storebridge.sync.orders.ship_from_pos import TRACKING_META, tracking_note

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

SKU = "MUG-01"
ORDERED = 2
TRACKING = "TRACK-KILL-9"


def tryton_store(
    folder: Path, template: Path, shop: SandboxServer, tryton: Any, **options: Any
) -> int:
    """A reserving store over the test Tryton; a processing web order for 2 mugs."""
    connector = json.loads(settings_json(tryton_settings(tryton.url, on_hand="available")))
    install(
        folder,
        template,
        shop,
        connector,
        selection="webstore",
        webstore=tryton_seed.WEB_SHOP,
        reservations=True,
        **options,
    )
    assert in_process(folder, sync_products).report.outcome == "ok"
    order = shop.sandbox.place_order(
        {"status": "processing", "billing": {"email": "tryton-kill@example.com"},
         "line_items": [{"sku": SKU, "quantity": ORDERED}]}
    )  # fmt: skip
    return int(order["id"])


def sale_of(pos: TrytonConnector, key: str) -> dict[str, Any]:
    (sale,) = pos.rpc.call(
        "sale.sale",
        "search_read",
        [("web_id", "=", key)],
        0,
        None,
        None,
        ["number", "state", "shipment_state"],
    )
    return dict(sale)


async def _export(services: Services, store: str) -> None:
    report = await export_orders(services, store)
    assert report.error is None, report.error


#: kill point -> the stage (command) it belongs to: reserve, export, note the conversion.
COMPLETION_STEPS = {
    "reserve.after_call": "reserve",
    "reserve.after_record": "reserve",
    "export.after_write": "export",
    "export.after_record": "export",
    "convert.after_record": "convert",
}


@pytest.mark.parametrize("step", list(COMPLETION_STEPS))
def test_reservation_then_completion_killed_at_any_step_ends_as_one_tryton_sale(
    step: str, tryton: Any, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    pos = connect(tryton)
    start = warehouse_figure(pos, SKU)
    order_id = tryton_store(tmp_path, _sqlite_template, shop, tryton)
    key = f"{STORE}:{order_id}"
    stage = COMPLETION_STEPS[step]

    def run(this: str, command: str, engine: Any) -> None:
        if stage == this:
            crash_then_again(tmp_path, "orders", command, kill_at=step)
        else:
            in_process(tmp_path, engine)

    run("reserve", "refresh", refresh_and_push)
    reserved = sale_of(pos, key)
    assert reserved["state"] == "processing"
    assert warehouse_figure(pos, SKU) == start - ORDERED  # Tryton holds the units once
    shop.sandbox.orders.set_status(order_id, "completed")
    in_process(tmp_path, refresh_and_push)  # the ledger sees the completion
    run("export", "export", _export)
    run("convert", "refresh", refresh_and_push)

    assert sales_under(pos, key) == 1
    sale = sale_of(pos, key)
    assert sale["number"] == reserved["number"]  # the reservation became the sale
    assert sale["shipment_state"] == "sent"
    assert warehouse_figure(pos, SKU) == start - ORDERED  # moved once, not twice
    assert recorded(tmp_path, order_id) == ("converted", reserved["number"])
    row = export_row(tmp_path, order_id)
    assert (row.state, row.pos_ref) == ("exported", reserved["number"])
    pos.close()


@pytest.mark.parametrize("step", ["release.after_call", "release.after_record"])
def test_reservation_then_cancellation_killed_at_any_step_is_released_once(
    step: str, tryton: Any, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    pos = connect(tryton)
    start = warehouse_figure(pos, SKU)
    order_id = tryton_store(tmp_path, _sqlite_template, shop, tryton)
    key = f"{STORE}:{order_id}"
    in_process(tmp_path, refresh_and_push)
    number = sale_of(pos, key)["number"]
    shop.sandbox.orders.set_status(order_id, "cancelled")

    crash_then_again(tmp_path, "orders", "refresh", kill_at=step)

    assert sales_under(pos, key) == 0  # the key is free for the order, should it come back
    released = pos.rpc.call(
        "sale.sale", "search_read", [("number", "=", number)], 0, None, None, ["web_id", "state"]
    )
    assert [(s["web_id"], s["state"]) for s in released] == [
        (f"{key}:released:{released[0]['id']}", "done")
    ]
    assert warehouse_figure(pos, SKU) == start  # the units are back, once
    assert recorded(tmp_path, order_id) == ("released", number)
    in_process(tmp_path, _export)
    assert sales_under(pos, key) == 0
    pos.close()


@pytest.mark.parametrize("step", ["ship.after_record", "ship.after_note", "ship.after_complete"])
def test_ship_from_pos_killed_at_any_step_completes_woocommerce_once_with_one_note(
    step: str, tryton: Any, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    pos = connect(tryton)
    order_id = tryton_store(tmp_path, _sqlite_template, shop, tryton, ship_from_pos=True)
    key = f"{STORE}:{order_id}"
    in_process(tmp_path, refresh_and_push)
    number = sale_of(pos, key)["number"]
    ship_in_tryton(pos, key, TRACKING)

    crashed = storebridge(tmp_path, "orders", "refresh", kill_at=step)
    assert killed(crashed), said(crashed)
    told = step != "ship.after_record"
    assert customer_notes(shop, order_id) == ([tracking_note(TRACKING)] if told else [])
    assert shop.sandbox.orders.get(order_id)["status"] == (
        "completed" if step == "ship.after_complete" else "processing"
    )
    assert recorded(tmp_path, order_id) == ("shipped", number)
    again = storebridge(tmp_path, "orders", "refresh")

    assert again.returncode == 0, said(again)
    woo = shop.sandbox.orders.get(order_id)
    assert woo["status"] == "completed"
    assert customer_notes(shop, order_id) == [tracking_note(TRACKING)]  # one note, not two
    meta = [(m["key"], m["value"]) for m in woo["meta_data"] if m["key"] == TRACKING_META]
    assert meta == [(TRACKING_META, TRACKING)]
    assert recorded(tmp_path, order_id) == ("converted", number)
    row = export_row(tmp_path, order_id)
    assert (row.state, row.pos_ref) == ("exported", number)
    assert storebridge(tmp_path, "orders", "export").returncode == 0
    assert sales_under(pos, key) == 1  # the POS's own sale, never exported a second time
    assert sale_of(pos, key)["shipment_state"] == "sent"
    pos.close()
