"""kill -9 of the real `storebridge` process at each step, then the same command again at once.

`storebridge sync products` and `storebridge orders export` run as their own
process (the installed console script) against a sandbox served over HTTP,
the file feed and the demo POS.  A ``sitecustomize`` module on that
process's PYTHONPATH (tests/e2e/cli_kill.py) wraps the step named by
STOREBRIDGE_TEST_KILL_AT so that the process SIGKILLs itself right after it:
a real kill of the real command, with no test hook inside StoreBridge.  The
same command then runs again at once.  It must run (the lock of a dead process blocks nothing) and leave the
end state exactly-once: every SKU one WooCommerce product, linked; every
order one POS document and one customer, recorded as exported.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.e2e.cli_kill import (  # noqa: F401  (the *_fixture names: pytest finds them here)
    STORE,
    console_script_fixture,
    export_row,
    in_process,
    install,
    killed,
    said,
    sandbox_server_fixture,
    shop_fixture,
    storebridge,
)
from tests.orders.orders_helpers import LOCATIONS, add_items

from storebridge.bootstrap import build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.persistence.tables import ProductLink
from storebridge.sandbox import SandboxServer
from storebridge.settings import load_settings
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.orders.allocation import refresh_and_push

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

EMAIL = "crash@example.com"


def file_feed(folder: Path, rows: str) -> dict[str, Any]:
    feed = folder / "items.csv"
    feed.write_text(f"sku,name,price,quantity\n{rows}", encoding="utf-8")
    return {"type": "file_feed", "path": str(feed), "outbox": str(folder / "outbox")}


def linked(folder: Path) -> dict[str, int]:
    """SKU key -> WooCommerce id, as StoreBridge's link table says."""
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        with services.sessions() as session:
            links = session.scalars(select(ProductLink).where(ProductLink.store == STORE)).all()
            return {link.sku_key: link.woo_id for link in links if link.woo_id is not None}
    finally:
        services.close()


def woo_products(shop: SandboxServer) -> list[tuple[str, int]]:
    """(SKU, id) of every product WooCommerce holds, duplicates included."""
    rows = shop.sandbox.db.all("SELECT sku, id FROM products WHERE kind = 'product'")
    return sorted((str(row["sku"]), int(row["id"])) for row in rows)


@pytest.mark.parametrize("step", ["after_read", "after_create", "after_record", "after_update"])
def test_a_products_sync_killed_at_any_step_runs_again_at_once_and_duplicates_nothing(
    step: str, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    install(
        tmp_path, _sqlite_template, shop, file_feed(tmp_path, "A-1,Shirt,12.50,3\nB-2,Hat,4.00,1\n")
    )
    if step == "after_update":
        assert in_process(tmp_path, sync_products).report.outcome == "ok"
        file_feed(tmp_path, "A-1,Shirt,15.00,3\nB-2,Hat,4.00,1\n")  # a new price to push

    crashed = storebridge(tmp_path, "sync", "products", kill_at=f"products.{step}")
    assert killed(crashed), said(crashed)
    again = storebridge(tmp_path, "sync", "products")

    assert again.returncode == 0, said(again)
    products = woo_products(shop)
    assert [sku for sku, _ in products] == ["A-1", "B-2"]
    assert linked(tmp_path) == {sku.lower(): woo_id for sku, woo_id in products}
    assert shop.sandbox.products.by_sku("A-1")["regular_price"] == (  # type: ignore[index]
        "15.00" if step == "after_update" else "12.50"
    )
    writes = shop.sandbox.counters.snapshot()["writes"]
    assert in_process(tmp_path, sync_products).report.outcome == "ok"
    assert shop.sandbox.counters.snapshot()["writes"] == writes  # nothing was left to redo


def connector_for(kind: str, folder: Path) -> dict[str, Any]:
    if kind == "file_feed":
        return file_feed(folder, "A-1,Shirt,12.50,5\n")
    return {"type": "demo", "path": str(folder / "demo.sqlite3"), "seed_items": 0,
            "seed_styles": 0, "locations": list(LOCATIONS)}  # fmt: skip


def documents(kind: str, folder: Path, order_id: int) -> list[str]:
    """References of the POS documents written for the order."""
    if kind == "demo":
        with sqlite3.connect(folder / "demo.sqlite3") as conn:
            rows = conn.execute(
                "SELECT ref FROM documents WHERE idempotency_key = ?", (f"{STORE}:{order_id}",)
            ).fetchall()
        return [str(row[0]) for row in rows]
    outbox = folder / "outbox"
    written = [
        json.loads(p.read_text()) for p in [*outbox.glob("*.json"), *outbox.glob("sent/*.json")]
    ]
    return [doc["pos_ref"] for doc in written if doc["order"]["woo_order_id"] == order_id]


def customers(kind: str, folder: Path) -> int:
    """How many POS customers carry the buyer's e-mail."""
    if kind == "demo":
        with sqlite3.connect(folder / "demo.sqlite3") as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM customers WHERE email_key = ?", (EMAIL,)
            ).fetchone()
        return int(row[0])
    files = (folder / "outbox" / "customers").glob("*.json")
    return sum(1 for path in files if json.loads(path.read_text()).get("email") == EMAIL)


def completed_order(folder: Path, shop: SandboxServer, kind: str) -> int:
    """A shopper's order for A-1, completed and in StoreBridge's ledger, not yet exported."""
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        if kind == "demo":
            pos = services.store(STORE).connector
            assert isinstance(pos, DemoPos)
            add_items(pos, {"A-1": {"store-1": 5}})
        assert asyncio.run(sync_products(services, STORE)).report.outcome == "ok"
        order = shop.sandbox.place_order(
            {"status": "processing", "billing": {"email": EMAIL},
             "line_items": [{"sku": "A-1", "quantity": 1}]}
        )  # fmt: skip
        shop.sandbox.orders.set_status(order["id"], "completed")
        asyncio.run(refresh_and_push(services, STORE))
    finally:
        services.close()
    return int(order["id"])


@pytest.mark.parametrize("kind", ["demo", "file_feed"])
@pytest.mark.parametrize("step", ["after_customer", "after_write", "after_record"])
def test_an_orders_export_killed_at_any_step_runs_again_at_once_and_writes_one_document(
    kind: str, step: str, tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    install(tmp_path, _sqlite_template, shop, connector_for(kind, tmp_path))
    order_id = completed_order(tmp_path, shop, kind)

    crashed = storebridge(tmp_path, "orders", "export", kill_at=f"export.{step}")
    assert killed(crashed), said(crashed)
    written_before = documents(kind, tmp_path, order_id)
    assert len(written_before) == (0 if step == "after_customer" else 1)
    again = storebridge(tmp_path, "orders", "export")

    assert again.returncode == 0, said(again)
    refs = documents(kind, tmp_path, order_id)
    assert len(refs) == 1
    assert refs[:1] == written_before or not written_before
    row = export_row(tmp_path, order_id)
    assert (row.state, row.pos_ref) == ("exported", refs[0])
    assert customers(kind, tmp_path) == 1
