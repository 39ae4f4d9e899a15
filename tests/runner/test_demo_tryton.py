"""`storebridge demo --pos tryton`: the living demo over a real trytond it starts and seeds.

The first run on a machine builds the demo database (3-4 minutes on a busy machine;
cached under the temp folder, see connectors/tryton/server.py); the demo
itself then starts trytond on a copy of it in its folder.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from tests.runner.process_support import Process

from storebridge.connectors.demo.catalogue import CatalogueItem, catalogue
from storebridge.connectors.demo.settings import DEMO_ITEMS, DEMO_STYLES
from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.demo_shop import LOCATIONS, RANDOM_SEED

#: Seconds the first run may take to build and seed the demo database before the dashboard.
BUILD_TIMEOUT_S = 900


def tryton_processes(parent: int) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(parent).children(recursive=True)
        if any("trytond" in part for part in child.cmdline())
    ]


def sandbox_products(folder: Path) -> list[sqlite3.Row]:
    """The products and variations the demo's sandbox shop holds (read once it stopped)."""
    connection = sqlite3.connect(folder / "sandbox.sqlite3")
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute("SELECT kind, type, status, sku FROM products").fetchall()
    finally:
        connection.close()


def web_catalogue() -> list[CatalogueItem]:
    """What the demo seeded into Tryton for the web (the build day's catalogue)."""
    today = datetime.now(UTC).date()
    return [
        item
        for item in catalogue(DEMO_ITEMS, DEMO_STYLES, RANDOM_SEED, LOCATIONS, today)
        if item.web
    ]


def test_the_demo_runs_on_a_real_tryton_and_stops_it(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    process = Process(
        ["demo", "--dir", str(folder), "--port", "0", "--pos", "tryton", "--duration", "60"],
        cwd=tmp_path,
    )
    servers: list[psutil.Process] = []
    try:
        url = process.wait_for(r"dashboard:\s+(http://\S+?)/?$", timeout=BUILD_TIMEOUT_S)[1]
        servers = tryton_processes(process.popen.pid)
        (trytond,) = servers
        process.wait_for(r"job products ok \(.*created \d+", timeout=120)

        assert httpx.get(f"{url}/login", timeout=10).status_code == 200
        process.wait_for(r"in store: till sale #\d+", timeout=60)
        status = process.popen.wait(timeout=120)  # --duration ends it
        still_running = [
            server.pid
            for server in servers
            if server.is_running() and server.status() != psutil.STATUS_ZOMBIE
        ]
    finally:
        process.kill()
        for server in servers:  # a failed test must not leave a trytond behind
            if server.is_running():
                server.kill()

    assert status == 0, process.output
    assert "Traceback" not in process.output
    assert "demo stopped" in process.output
    assert still_running == [], f"trytond {trytond.pid} outlived the demo"
    config = tomllib.loads((folder / "storebridge.toml").read_text(encoding="utf-8"))
    store = config["stores"]["main"]
    assert store["connector"]["type"] == "tryton"
    assert (store["selection"], store["webstore"]) == ("webstore", seed.WEB_SHOP)
    # the seeded catalogue reached the shop as drafts, a matrix style as a variable product
    products = sandbox_products(folder)
    web = web_catalogue()
    styles = {item.parent_code for item in web if item.parent_code}
    assert styles
    assert {p["sku"] for p in products if p["type"] == "variable"} == styles
    variations = {p["sku"] for p in products if p["kind"] == "variation"}
    assert variations == {item.sku for item in web if item.parent_code}
    simple = {p["sku"] for p in products if p["kind"] == "product" and p["type"] == "simple"}
    assert simple == {item.sku for item in web if not item.parent_code}
    assert sum(1 for p in products if p["kind"] == "product" and p["status"] == "draft") > 20


def test_make_demo_imports_nothing_of_tryton_beyond_the_connector() -> None:
    probe = (
        "import sys, storebridge.cli.app, storebridge.cli.demo, storebridge.runner.demo, "
        "storebridge.runner.demo_life\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('trytond', 'proteus') "
        "or m.startswith(('storebridge.connectors.tryton.server', "
        "'storebridge.connectors.tryton.seed', 'storebridge.connectors.tryton.catalogue', "
        "'storebridge.connectors.tryton.demo_shop', 'storebridge.connectors.tryton.simulation'))))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "[]", answer.stdout
