"""kill -9 at every step of an export, then a restart: exactly one document, nothing lost.

A child process runs the real export engine from a configuration file (its
own services, its own connector, the same SQLite ledger) and SIGKILLs itself
at one step of exporting a completed order:

* ``after_customer``: the customer was upserted in the POS, the order not yet;
* ``after_write``: the POS wrote the invoice, StoreBridge had not recorded it;
* ``after_record``: the local "exported" record was committed.

The parent then does what a restarted StoreBridge does (run the export
again) and checks that the POS holds exactly one document for the order, one
customer for its e-mail, and that the ledger records that very document.
Both the demo POS and the file feed outbox are checked.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import select
from tests.orders.orders_helpers import EARLY_GO_LIVE, golden_order

from storebridge.bootstrap import Services, build_services
from storebridge.persistence.tables import Export
from storebridge.settings import load_settings
from storebridge.sync.export.engine import export_orders
from storebridge.sync.orders.ledger import record_order

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

STORE = "main"
EMAIL = "buyer@golden.example"
KEY = f"{STORE}:742"

CHILD = """
import asyncio, os, signal, sys
from pathlib import Path
from storebridge.bootstrap import build_services
from storebridge.settings import load_settings
import storebridge.sync.export.engine as export

config, point = Path(sys.argv[1]), sys.argv[2]
services = build_services(load_settings(config))
connector = services.store("main").connector

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "after_customer":
    upsert = connector.upsert_customer
    def upsert_then_die(customer):
        upsert(customer)
        die()
    connector.upsert_customer = upsert_then_die
elif point == "after_write":
    write = connector.write_order
    def write_then_die(document):
        write(document)
        die()
    connector.write_order = write_then_die
elif point == "after_record":
    save = export._Exporter._save
    def save_then_die(self, candidate, record, **extra):
        save(self, candidate, record, **extra)  # commits its own transaction
        if record.state.value == "exported":
            die()
    export._Exporter._save = save_then_die
asyncio.run(export.export_orders(services, "main"))
print("the export finished without being killed", flush=True)
"""


def connector_table(kind: str, folder: Path) -> dict[str, Any]:
    if kind == "demo":
        return {"type": "demo", "path": str(folder / "demo.sqlite3"), "seed_items": 0,
                "seed_styles": 0}  # fmt: skip
    feed = folder / "feed.csv"
    feed.write_text("sku,name,price,quantity\nGLD-STK,Golden Stocked,10.00,5\n", encoding="utf-8")
    return {"type": "file_feed", "path": str(feed), "outbox": str(folder / "outbox")}


def install(kind: str, folder: Path, template: Path) -> Path:
    database = folder / "storebridge.sqlite3"
    shutil.copyfile(template, database)
    config = folder / "storebridge.toml"
    store = {
        "woocommerce": {"url": "https://shop.invalid", "consumer_key": "ck_" + "0" * 40,
                        "consumer_secret": "cs_" + "0" * 40},
        "connector": connector_table(kind, folder),
        "export_orders_since": EARLY_GO_LIVE,  # the golden order predates any ledger refresh
    }  # fmt: skip
    config.write_text(
        tomli_w.dumps(
            {
                "storage": {"url": f"sqlite:///{database}"},
                "web": {"secret_key": "k" * 40},
                "stores": {STORE: store},
            }
        )
    )
    services = build_services(load_settings(config))
    try:
        with services.sessions.begin() as session:
            record_order(session, store=STORE, raw=golden_order("065"))  # completed
    finally:
        services.close()
    return config


def documents(kind: str, folder: Path) -> list[str]:
    """References of the POS documents written under the order's key."""
    if kind == "demo":
        with sqlite3.connect(folder / "demo.sqlite3") as conn:
            rows = conn.execute(
                "SELECT ref FROM documents WHERE idempotency_key = ?", (KEY,)
            ).fetchall()
        return [str(row[0]) for row in rows]
    outbox = folder / "outbox"
    found = [*outbox.glob("*.json"), *(outbox / "sent").glob("*.json")]
    return [json.loads(path.read_text())["pos_ref"] for path in found if "742" in path.name]


def customers(kind: str, folder: Path) -> int:
    """How many POS customers carry the order's e-mail."""
    if kind == "demo":
        with sqlite3.connect(folder / "demo.sqlite3") as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM customers WHERE email_key = ?", (EMAIL,)
            ).fetchone()
        return int(row[0])
    files = (folder / "outbox" / "customers").glob("*.json")
    return sum(1 for path in files if json.loads(path.read_text()).get("email") == EMAIL)


def export_row(services: Services) -> Export:
    with services.sessions() as session:
        return session.scalars(select(Export).where(Export.woo_order_id == 742)).one()


@pytest.mark.parametrize("kind", ["demo", "file_feed"])
@pytest.mark.parametrize("point", ["after_customer", "after_write", "after_record"])
def test_a_kill_at_any_step_of_an_export_ends_with_exactly_one_document(
    kind: str, point: str, tmp_path: Path, _sqlite_template: Path
) -> None:
    config = install(kind, tmp_path, _sqlite_template)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(config), point],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    written_before_restart = documents(kind, tmp_path)
    assert len(written_before_restart) == (0 if point == "after_customer" else 1)
    services = build_services(load_settings(config))
    try:
        report = asyncio.run(export_orders(services, STORE))
        assert report.error is None, report.error
        row = export_row(services)
    finally:
        services.close()
    refs = documents(kind, tmp_path)
    assert len(refs) == 1
    assert (row.state, row.pos_ref) == ("exported", refs[0])
    assert customers(kind, tmp_path) == 1
    expected_new = 1 if point == "after_customer" else 0
    assert report.counts.get("exported", 0) == (0 if point == "after_record" else 1)
    assert report.counts.get("already_in_pos", 0) == (1 if point == "after_write" else 0)
    assert expected_new + len(written_before_restart) == 1
