"""Helpers of the order tests: the sandbox + demo POS + database "shop", wired like the CLI.

`Shop` joins an in-process WooCommerce sandbox (httpx.ASGITransport, no
socket), a migrated SQLite database and the real demo POS (seeded with the
items each test names) through `bootstrap.build_services`.  Shoppers and the
merchant act on the sandbox directly (its control-plane methods), the till on
the demo POS, and StoreBridge through its real engines.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.catalogue import CatalogueItem, insert_items
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.demo.schema import connect, transaction
from storebridge.persistence.tables import Credit, Export, Order, OrderLine
from storebridge.retry import RetryPolicy
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    Sandbox,
    SandboxConfig,
    create_sandbox_app,
)
from storebridge.sandbox.clock import Clock
from storebridge.settings import Settings, parse_settings
from storebridge.sync.catalogue.products import ProductRun, sync_products
from storebridge.sync.export.engine import export_orders
from storebridge.sync.orders.allocation import AllocationCycle, ledger_refresher, refresh_and_push
from storebridge.sync.report import RunReport
from storebridge.woocommerce import WooClient, WooConnection

STORE = "main"
SHOP = "https://shop.test"
API = f"{SHOP}/wp-json/wc/v3"
LOCATIONS = ("store-1", "store-2", "warehouse")
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
#: ``export_orders_since`` for tests that put orders in the ledger before its first refresh
#: (golden captures, a sandbox on a manual clock) and expect them exported.
EARLY_GO_LIVE = "2000-01-01T00:00:00Z"


async def no_sleep(_seconds: float) -> None:
    """Retries in tests never wait."""


def golden_order(name: str) -> dict[str, Any]:
    """The response body of a golden capture (e.g. "065" -> 065-order-get.json)."""
    path = next(GOLDEN.glob(f"{name}-*.json"))
    body: dict[str, Any] = json.loads(path.read_text())["response"]["body"]
    return body


def shop_settings(
    db_url: str, tmp_path: Path, *, incremental: bool = True, **store: Any
) -> Settings:
    """A one-store configuration ("main") over the demo POS at tmp_path/demo.sqlite3.

    `incremental`: products runs read only the POS rows changed since the last
    one (the demo POS's default) or, when False, every row.
    """
    table: dict[str, Any] = {
        "woocommerce": {
            "url": SHOP,
            "consumer_key": DEMO_CONSUMER_KEY,
            "consumer_secret": DEMO_CONSUMER_SECRET,
            "max_retries": 2,
        },
        "connector": {
            "type": "demo",
            "path": str(tmp_path / "demo.sqlite3"),
            "seed_items": 0,
            "seed_styles": 0,
            "locations": list(LOCATIONS),
            "incremental": incremental,
        },
        "selection": "flag",
    }
    table.update(store)
    return parse_settings(
        {"storage": {"url": db_url}, "web": {"secret_key": "s" * 40}, "stores": {STORE: table}}
    )


def add_items(pos: DemoPos, stock: Mapping[str, Mapping[str, int]], price: str = "10.00") -> None:
    """Put items on the demo POS's shelves: SKU -> on-hand per location, web-flagged."""
    items = [
        CatalogueItem(
            sku=sku,
            name=f"Item {sku}",
            category="Home",
            description=f"Item {sku}",
            short_description=f"Item {sku}",
            price=Decimal(price),
            weight=Decimal("0.5"),
            stock=dict(by_location),
            web=True,
        )
        for sku, by_location in stock.items()
    ]
    with connect(pos.settings.path) as conn, transaction(conn):
        insert_items(conn, items, datetime.now(UTC))


class Shop:
    """Sandbox + database + demo POS, wired by `build_services`."""

    def __init__(self, sandbox: Sandbox, app: FastAPI, services: Services) -> None:
        self.sandbox = sandbox
        self.app = app
        self.services = services

    @property
    def pos(self) -> DemoPos:
        connector = self.services.store(STORE).connector
        assert isinstance(connector, DemoPos)
        return connector

    # -- StoreBridge -------------------------------------------------------------------

    async def sync_products(self) -> ProductRun:
        """A products run (reads the POS, records the snapshot), refreshing the ledger first."""
        run = await sync_products(
            self.services, STORE, refresh_ledger=ledger_refresher(self.services, STORE)
        )
        assert run.report.error is None, run.report.error
        return run

    async def refresh(self) -> AllocationCycle:
        """One allocation cycle: ledger refresh, release, stock push."""
        return await refresh_and_push(self.services, STORE)

    async def export(self, **options: Any) -> RunReport:
        report = await export_orders(self.services, STORE, **options)
        assert report.error is None, report.error
        return report

    # -- shoppers and the merchant -------------------------------------------------------

    def place(
        self,
        lines: Sequence[tuple[str, int]],
        *,
        status: str = "processing",
        email: str = "shopper@example.com",
        **extra: Any,
    ) -> dict[str, Any]:
        """A shopper checks out (the sandbox lowers stock as WooCommerce does)."""
        billing = {"first_name": "Sam", "last_name": "Shopper", "email": email}
        payload = {
            "status": status,
            "billing": billing,
            "line_items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            **extra,
        }
        return self.sandbox.place_order(payload)

    def set_status(self, order_id: int, status: str) -> dict[str, Any]:
        """The merchant changes an order's status in the admin."""
        return self.sandbox.orders.set_status(order_id, status)

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST call as the merchant (demo read_write key)."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=API,
            auth=(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET),
        ) as client:
            response = await client.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def woo_stock(self, sku: str) -> int | None:
        doc = self.sandbox.products.by_sku(sku)
        assert doc is not None, f"no product {sku} in the sandbox"
        value = doc.get("stock_quantity")
        return None if value is None else int(value)

    # -- what StoreBridge recorded ----------------------------------------------------------

    def order_row(self, order_id: int) -> Order | None:
        with self.services.sessions() as session:
            return session.scalars(
                select(Order).where(Order.store == STORE, Order.woo_order_id == order_id)
            ).one_or_none()

    def lines(self, order_id: int) -> list[tuple[int, str | None, int]]:
        with self.services.sessions() as session:
            rows = session.scalars(
                select(OrderLine)
                .where(OrderLine.store == STORE, OrderLine.woo_order_id == order_id)
                .order_by(OrderLine.line_id)
            ).all()
            return [(row.line_id, row.sku_key, row.quantity) for row in rows]

    def export_row(self, order_id: int) -> Export | None:
        with self.services.sessions() as session:
            return session.scalars(
                select(Export).where(Export.store == STORE, Export.woo_order_id == order_id)
            ).one_or_none()

    def credits(self, order_id: int) -> list[Credit]:
        with self.services.sessions() as session:
            return list(
                session.scalars(
                    select(Credit)
                    .where(Credit.store == STORE, Credit.woo_order_id == order_id)
                    .order_by(Credit.id)
                ).all()
            )


@contextmanager
def make_shop(
    tmp_path: Path,
    template: Path,
    *,
    stock: Mapping[str, Mapping[str, int]] | None = None,
    clock: Clock | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
    db_url: str | None = None,
    incremental: bool = True,
    **store: Any,
) -> Iterator[Shop]:
    """A fresh shop; `template` is a migrated SQLite file to copy (`_sqlite_template`).

    `db_url` is an already migrated database to use instead (e.g. PostgreSQL);
    `incremental` chooses the demo POS's read mode (`shop_settings`).
    """
    if db_url is None:
        target = tmp_path / "storebridge.sqlite3"
        shutil.copyfile(template, target)
        db_url = f"sqlite:///{target}"
    settings = shop_settings(db_url, tmp_path, incremental=incremental, **store)
    sandbox = Sandbox(
        SandboxConfig(webhook_auto_deliver=False), clock=clock, webhook_transport=webhook_transport
    )
    app = create_sandbox_app(sandbox=sandbox)
    policy = RetryPolicy(max_attempts=3, base=0.01, cap=0.01)

    def woo_factory(_store: str, connection: WooConnection) -> WooClient:
        return WooClient(
            connection, transport=httpx.ASGITransport(app=app), sleep=no_sleep, retry_policy=policy
        )

    services = build_services(settings, woo_factory=woo_factory)
    shop = Shop(sandbox, app, services)
    if stock:
        add_items(shop.pos, stock)
    try:
        yield shop
    finally:
        services.close()
        sandbox.close()
