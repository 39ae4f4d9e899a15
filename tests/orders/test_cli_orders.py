"""`storebridge orders ...` against a sandbox served over HTTP and the demo POS."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import select
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import LOCATIONS, STORE, add_items, golden_order
from typer.testing import CliRunner

from storebridge.bootstrap import Services, build_services
from storebridge.cli.app import app
from storebridge.connectors.demo import DemoPos
from storebridge.persistence.tables import Export
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET, SandboxServer
from storebridge.settings import load_settings
from storebridge.sync.export import export_orders
from storebridge.sync.ledger import record_order
from storebridge.sync.products import sync_products

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass
class Installed:
    config: Path
    server: SandboxServer
    services: Services

    @property
    def pos(self) -> DemoPos:
        connector = self.services.store(STORE).connector
        assert isinstance(connector, DemoPos)
        return connector

    def run(self, *args: str) -> Any:
        return CliRunner().invoke(app, ["orders", *args, "--config", str(self.config)])

    def export_row(self, order_id: int) -> Export:
        with self.services.sessions() as session:
            return session.scalars(select(Export).where(Export.woo_order_id == order_id)).one()


@pytest.fixture
def installed(tmp_path: Path, _sqlite_template: Path) -> Iterator[Installed]:
    database = tmp_path / "storebridge.sqlite3"
    shutil.copyfile(_sqlite_template, database)
    with SandboxServer() as server:
        config = tmp_path / "storebridge.toml"
        store = {
            "woocommerce": {"url": server.base_url, "consumer_key": DEMO_CONSUMER_KEY,
                            "consumer_secret": DEMO_CONSUMER_SECRET},
            "connector": {"type": "demo", "path": str(tmp_path / "demo.sqlite3"),
                          "seed_items": 0, "seed_styles": 0, "locations": list(LOCATIONS)},
            "export_max_attempts": 2,
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
            yield Installed(config, server, services)
        finally:
            services.close()


def test_refresh_export_and_list_walk_an_order_to_the_pos(installed: Installed) -> None:
    add_items(installed.pos, STOCK)
    asyncio.run(sync_products(installed.services, STORE))
    sandbox = installed.server.sandbox
    order = sandbox.place_order(
        {"status": "processing", "billing": {"email": "cli@example.com"},
         "line_items": [{"sku": "MUG-1", "quantity": 2}]}
    )  # fmt: skip
    refreshed = installed.run("refresh")
    assert refreshed.exit_code == 0, refreshed.output
    assert "Order ledger refresh" in refreshed.output
    assert sandbox.products.by_sku("MUG-1")["stock_quantity"] == 8
    sandbox.orders.set_status(order["id"], "completed")
    assert installed.run("refresh").exit_code == 0
    exported = installed.run("export")
    assert exported.exit_code == 0, exported.output
    assert installed.export_row(order["id"]).state == "exported"
    listed = installed.run("list", "--status", "exported")
    assert listed.exit_code == 0, listed.output
    assert str(order["id"]) in listed.output
    assert installed.export_row(order["id"]).pos_ref in listed.output
    assert "no orders in state failed" in installed.run("list", "--status", "failed").output


def test_a_parked_order_is_listed_retried_by_command_and_exported(
    installed: Installed,
) -> None:
    with installed.services.sessions.begin() as session:
        record_order(session, store=STORE, raw=golden_order("065"))
    installed.pos.unavailable = True
    asyncio.run(export_orders(installed.services, STORE, now=T0))
    asyncio.run(export_orders(installed.services, STORE, now=T0 + timedelta(days=1)))
    assert installed.export_row(742).next_retry_at is None  # parked after 2 attempts
    listed = installed.run("list", "--status", "parked")
    assert "742" in listed.output and "unavailable" in listed.output
    retried = installed.run("retry", "742")  # the CLI's own POS is available
    assert retried.exit_code == 0, retried.output
    assert "exported as INV-" in retried.output
    assert installed.export_row(742).state == "exported"
    again = installed.run("retry", "742")
    assert again.exit_code == 1
    assert "nothing to retry" in again.output


def test_skip_takes_a_reason_and_refuses_an_unknown_order(installed: Installed) -> None:
    with installed.services.sessions.begin() as session:
        record_order(session, store=STORE, raw=golden_order("059"))
    installed.run("refresh")  # the sandbox has no orders: nothing changes
    seen = CliRunner().invoke(app, ["orders", "export", "--config", str(installed.config)])
    assert seen.exit_code == 0, seen.output
    skipped = installed.run("skip", "742", "--reason", "paid at the counter")
    assert skipped.exit_code == 0, skipped.output
    row = installed.export_row(742)
    assert (row.state, row.skip_reason) == ("skipped", "paid at the counter")
    unknown = installed.run("skip", "9", "--reason", "x")
    assert unknown.exit_code == 1
    assert "not in the export ledger" in unknown.output
    bad = installed.run("list", "--status", "lost")
    assert bad.exit_code == 2
