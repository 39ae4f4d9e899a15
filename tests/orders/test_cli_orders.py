"""`storebridge orders ...` against a sandbox served over HTTP and the demo POS."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import select
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import (
    EARLY_GO_LIVE,
    LOCATIONS,
    STORE,
    add_items,
    golden_order,
)
from typer.testing import CliRunner

from storebridge.bootstrap import Services, build_services
from storebridge.cli.app import app
from storebridge.connectors.demo.pos import DemoPos
from storebridge.persistence.repositories.locks import job_lock
from storebridge.persistence.tables import Export
from storebridge.persistence.tables import Order as OrderRow
from storebridge.runner.jobs import default_jobs
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    ManualClock,
    Sandbox,
    SandboxServer,
)
from storebridge.settings import load_settings
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.export.engine import export_orders
from storebridge.sync.orders.ledger import record_order

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


@contextmanager
def install(
    tmp_path: Path, template: Path, clock: ManualClock | None = None, **settings: Any
) -> Iterator[Installed]:
    """A configuration file, a migrated database and a sandbox served over HTTP."""
    database = tmp_path / "storebridge.sqlite3"
    shutil.copyfile(template, database)
    with SandboxServer(sandbox=Sandbox(clock=clock)) as server:
        config = tmp_path / "storebridge.toml"
        store = {
            "woocommerce": {"url": server.base_url, "consumer_key": DEMO_CONSUMER_KEY,
                            "consumer_secret": DEMO_CONSUMER_SECRET},
            "connector": {"type": "demo", "path": str(tmp_path / "demo.sqlite3"),
                          "seed_items": 0, "seed_styles": 0, "locations": list(LOCATIONS)},
            "export_max_attempts": 2,
            **settings,
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


@pytest.fixture
def installed(tmp_path: Path, _sqlite_template: Path) -> Iterator[Installed]:
    """An installation exporting every order, even those created before its first refresh."""
    with install(tmp_path, _sqlite_template, export_orders_since=EARLY_GO_LIVE) as built:
        yield built


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


def test_refresh_reports_the_busy_catalog_lock_instead_of_pushing_stock(
    installed: Installed,
) -> None:
    add_items(installed.pos, STOCK)
    asyncio.run(sync_products(installed.services, STORE))
    installed.server.sandbox.place_order(
        {"status": "processing", "line_items": [{"sku": "MUG-1", "quantity": 2}]}
    )
    products = default_jobs()["products"]  # the runner's products sync, running right now
    with job_lock(
        installed.services.sessions,
        store=STORE,
        job=products.lock_name,
        holder="runner:elsewhere:1",
    ) as taken:
        assert taken
        busy = installed.run("refresh")
        exported = installed.run("export")  # the export keeps its own lock
    assert busy.exit_code == 1, busy.output
    assert "working on the catalogue of store 'main'" in busy.output
    assert "Order ledger refresh" not in busy.output
    with installed.services.sessions() as session:
        assert session.scalars(select(OrderRow)).all() == []  # the ledger was not touched
    assert exported.exit_code == 0, exported.output
    refreshed = installed.run("refresh")
    assert refreshed.exit_code == 0, refreshed.output
    with installed.services.sessions() as session:
        assert len(session.scalars(select(OrderRow)).all()) == 1


def test_a_fresh_installation_exports_only_orders_placed_after_its_first_refresh(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    clock = ManualClock(datetime.now(UTC) - timedelta(days=30))
    with install(tmp_path, _sqlite_template, clock=clock) as fresh:
        add_items(fresh.pos, STOCK)
        asyncio.run(sync_products(fresh.services, STORE))
        sandbox = fresh.server.sandbox
        old = sandbox.place_order(
            {"status": "completed", "line_items": [{"sku": "MUG-1", "quantity": 1}]}
        )
        clock.set(datetime.now(UTC) + timedelta(minutes=1))
        assert fresh.run("refresh").exit_code == 0
        new = sandbox.place_order(
            {"status": "completed", "line_items": [{"sku": "CAP-2", "quantity": 1}]}
        )
        assert fresh.run("refresh").exit_code == 0
        exported = fresh.run("export")
        assert exported.exit_code == 0, exported.output
        assert "1 order(s) created before go-live skipped" in exported.output
        assert fresh.export_row(new["id"]).state == "exported"
        row = fresh.export_row(old["id"])
        assert row.state == "skipped" and row.pos_ref is None
        assert row.skip_reason is not None and row.skip_reason.startswith("created before go-live")
        listed = fresh.run("list", "--status", "skipped")
        assert str(old["id"]) in listed.output and "created before go-live" in listed.output
        retried = fresh.run("retry", str(old["id"]))  # the merchant wants this one exported
        assert retried.exit_code == 0, retried.output
        assert "exported as INV-" in retried.output
        assert fresh.export_row(old["id"]).state == "exported"


def test_refresh_with_woocommerce_unreachable_says_what_to_do_without_a_traceback(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    database = tmp_path / "storebridge.sqlite3"
    shutil.copyfile(_sqlite_template, database)
    config = tmp_path / "storebridge.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "storage": {"url": f"sqlite:///{database}"},
                "web": {"secret_key": "k" * 40},
                "stores": {
                    STORE: {
                        # Port 9 (discard) is closed here: the connection is refused at once.
                        "woocommerce": {"url": "http://127.0.0.1:9", "max_retries": 0,
                                        "consumer_key": DEMO_CONSUMER_KEY,
                                        "consumer_secret": DEMO_CONSUMER_SECRET},
                        "connector": {"type": "demo", "path": str(tmp_path / "demo.sqlite3"),
                                      "seed_items": 0, "seed_styles": 0},
                    }
                },
            }
        )
    )  # fmt: skip

    result = CliRunner().invoke(app, ["orders", "refresh", "--config", str(config)])

    assert result.exit_code == 1
    assert "cannot reach WooCommerce" in result.output
    assert f"[stores.{STORE}.woocommerce]" in result.output
    assert "Traceback" not in result.output
    assert DEMO_CONSUMER_SECRET not in result.output
