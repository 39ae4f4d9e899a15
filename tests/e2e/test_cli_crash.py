"""kill -9 of the real `storebridge` process at each step, then the same command again at once.

`storebridge sync products` and `storebridge orders export` run as their own
process (the installed console script) against a sandbox served over HTTP,
the file feed and the demo POS.  A ``sitecustomize`` module on that
process's PYTHONPATH wraps the step named by STOREBRIDGE_TEST_KILL_AT so that
the process SIGKILLs itself right after it: a real kill of the real command,
with no test hook inside StoreBridge.  The same command then runs again at
once.  It must run (the lock of a dead process blocks nothing) and leave the
end state exactly-once: every SKU one WooCommerce product, linked; every
order one POS document and one customer, recorded as exported.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import tomli_w
from sqlalchemy import select
from tests.orders.orders_helpers import EARLY_GO_LIVE, LOCATIONS, add_items

from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.persistence.tables import Export, ProductLink
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    SandboxConfig,
    SandboxServer,
)
from storebridge.settings import load_settings
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.orders.allocation import refresh_and_push

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

STORE = "main"
EMAIL = "crash@example.com"
STOREBRIDGE = Path(sys.executable).with_name("storebridge")
T = TypeVar("T")

# Imported by the child's interpreter at start-up (it is first on its PYTHONPATH).
KILL_HOOK = '''
import asyncio, functools, os, signal

def _die():
    os.kill(os.getpid(), signal.SIGKILL)

def _after(owner, name, when=lambda *args, **kwargs: True):
    """Let owner.name run, then die if when(*args) says this call is the step."""
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):
        async def wrapped(*args, **kwargs):
            result = await original(*args, **kwargs)
            if when(*args, **kwargs):
                _die()
            return result
    else:
        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            if when(*args, **kwargs):
                _die()
            return result
    setattr(owner, name, functools.wraps(original)(wrapped))

point = os.environ.get("STOREBRIDGE_TEST_KILL_AT")
if point == "products.after_read":  # the POS read is recorded, nothing written yet
    from storebridge.sync.catalogue.products import _ProductSync
    _after(_ProductSync, "_record_read")
elif point == "products.after_create":  # WooCommerce created the drafts; no link recorded
    from storebridge.woocommerce.client import WooClient
    _after(WooClient, "create_products_safely")
elif point == "products.after_record":  # the created products' links are committed
    from storebridge.sync.catalogue.recorder import DbRecorder
    _after(DbRecorder, "confirmed", lambda self, writes: bool(writes))
elif point == "products.after_update":  # WooCommerce took a price update; not recorded
    from storebridge.woocommerce.client import WooClient
    _after(WooClient, "batch", lambda self, path, **kw: bool(kw.get("update")))
elif point in ("export.after_customer", "export.after_write"):
    from storebridge.connectors.demo.pos import DemoPos
    from storebridge.connectors.file_feed.feed import FileFeed
    for connector in (DemoPos, FileFeed):
        _after(connector, "upsert_customer" if point.endswith("customer") else "write_order")
elif point == "export.after_record":  # the "exported" record is committed
    from storebridge.sync.export.engine import _Exporter
    _after(
        _Exporter, "_save",
        lambda self, candidate, record, **extra: record.state.value == "exported",
    )
elif point:
    raise SystemExit(f"unknown kill point {point!r}")
'''


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(webhook_auto_deliver=False)) as running:
        yield running


@pytest.fixture
def shop(server: SandboxServer) -> SandboxServer:
    server.sandbox.reset()
    return server


@pytest.fixture(autouse=True)
def _needs_the_console_script() -> None:
    if not STOREBRIDGE.exists():
        pytest.skip(f"the storebridge console script is not installed at {STOREBRIDGE}")


def storebridge(
    folder: Path, *args: str, kill_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `storebridge` command on `folder`'s configuration, as its own process."""
    hooks = folder / "kill_hook"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(KILL_HOOK, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": "200"}
    env.pop("STOREBRIDGE_TEST_KILL_AT", None)
    if kill_at is not None:
        env["STOREBRIDGE_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [str(STOREBRIDGE), *args, "--config", str(folder / "storebridge.toml")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


def killed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == -signal.SIGKILL


def said(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def install(folder: Path, template: Path, shop: SandboxServer, connector: dict[str, Any]) -> None:
    shutil.copyfile(template, folder / "state.sqlite3")
    store = {
        "selection": "all",
        "woocommerce": {"url": shop.base_url, "consumer_key": DEMO_CONSUMER_KEY,
                        "consumer_secret": DEMO_CONSUMER_SECRET, "max_retries": 1},
        "connector": connector,
        "export_orders_since": EARLY_GO_LIVE,
    }  # fmt: skip
    (folder / "storebridge.toml").write_text(
        tomli_w.dumps(
            {
                "storage": {"url": f"sqlite:///{folder / 'state.sqlite3'}"},
                "web": {"secret_key": "k" * 40},
                "stores": {STORE: store},
            }
        ),
        encoding="utf-8",
    )


def file_feed(folder: Path, rows: str) -> dict[str, Any]:
    feed = folder / "items.csv"
    feed.write_text(f"sku,name,price,quantity\n{rows}", encoding="utf-8")
    return {"type": "file_feed", "path": str(feed), "outbox": str(folder / "outbox")}


def in_process(folder: Path, engine: Callable[[Services, str], Coroutine[Any, Any, T]]) -> T:
    """Run an engine for the store in this process (set-up and checks, not what is killed)."""
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        return asyncio.run(engine(services, STORE))
    finally:
        services.close()


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


def export_row(folder: Path, order_id: int) -> Export:
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        with services.sessions() as session:
            return session.scalars(select(Export).where(Export.woo_order_id == order_id)).one()
    finally:
        services.close()


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
