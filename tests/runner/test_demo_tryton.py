"""`storebridge demo --pos tryton`: the living demo over a real trytond it starts and seeds.

The first run on a machine builds the demo database (about two minutes here;
cached under the temp folder, see connectors/tryton/server.py); the demo
itself then starts trytond on a copy of it in its folder.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import psutil
from tests.runner.process_support import Process

from storebridge.connectors.tryton import seed
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET

#: Seconds the first run may take to build and seed the demo database before the dashboard.
BUILD_TIMEOUT_S = 900


def tryton_processes(parent: int) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(parent).children(recursive=True)
        if any("trytond" in part for part in child.cmdline())
    ]


def woo_products(api_url: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for page in range(1, 10):
        answer = httpx.get(
            f"{api_url}/products",
            params={"per_page": 100, "page": page},
            auth=(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET),
            timeout=30,
        )
        answer.raise_for_status()
        found.extend(answer.json())
        if len(answer.json()) < 100:
            return found
    return found


def test_the_demo_runs_on_a_real_tryton_and_stops_it(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    process = Process(
        ["demo", "--dir", str(folder), "--port", "0", "--pos", "tryton", "--duration", "60"],
        cwd=tmp_path,
    )
    try:
        url = process.wait_for(r"dashboard:\s+(http://\S+?)/?$", timeout=BUILD_TIMEOUT_S)[1]
        api_url = process.wait_for(r"shop:\s+(http://\S+) \(WooCommerce")[1]
        (trytond,) = tryton_processes(process.popen.pid)
        process.wait_for(r"job products ok \(.*created \d+", timeout=120)

        assert httpx.get(f"{url}/login", timeout=10).status_code == 200
        products = woo_products(api_url)
        process.wait_for(r"in store: till sale #\d+", timeout=60)
        status = process.popen.wait(timeout=120)  # --duration ends it
    finally:
        process.kill()

    assert status == 0, process.output
    assert "Traceback" not in process.output
    assert "demo stopped" in process.output
    assert not trytond.is_running() or trytond.status() == psutil.STATUS_ZOMBIE
    config = tomllib.loads((folder / "storebridge.toml").read_text(encoding="utf-8"))
    store = config["stores"]["main"]
    assert store["connector"]["type"] == "tryton"
    assert (store["selection"], store["webstore"]) == ("webstore", seed.WEB_SHOP)
    # the seeded catalogue reached the shop as drafts, a matrix style as a variable product
    variable = [p for p in products if p["type"] == "variable"]
    assert variable, products
    assert all(str(p["sku"]).startswith("STY-") for p in variable)
    assert {p["status"] for p in products} <= {"draft", "publish"}
    assert sum(1 for p in products if p["status"] == "draft") > 20


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
