"""Helpers of the product-sync tests: a fake POS, and a sandbox + database "world".

`World` joins an in-process WooCommerce sandbox (httpx.ASGITransport, no
socket), a migrated SQLite database and a `FakePos` through the real
composition root, so tests drive the engine exactly as the CLI does.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from storebridge.bootstrap import Services, build_services
from storebridge.domain.model import (
    CreditDocument,
    CustomerDoc,
    OrderDocument,
    RawItem,
    Scalar,
    SourceRef,
)
from storebridge.persistence.tables import ProductLink
from storebridge.ports import WriteReceipt
from storebridge.retry import RetryPolicy
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    Sandbox,
    SandboxConfig,
    create_sandbox_app,
)
from storebridge.sandbox.clock import Clock
from storebridge.sandbox.db import loads
from storebridge.settings import Settings, parse_settings
from storebridge.sync.catalogue.products import ProductRun, sync_products
from storebridge.woocommerce import WooClient, WooConnection

STORE = "main"
#: The requests of an idle run: the link check's one listing of changed products.
IDLE = {"GET /products": 1}
SHOP = "https://shop.test"
API = f"{SHOP}/wp-json/wc/v3"


async def no_sleep(_seconds: float) -> None:
    """Retries in tests never wait."""


def raw(
    sku: Scalar,
    price: Scalar = "10.00",
    stock: Scalar = 5,
    *,
    line: int = 1,
    source: str = "fake:items",
    **fields: Any,
) -> RawItem:
    """A POS row selected for the web (flag set), with on-hand at one location."""
    values: dict[str, Any] = {
        "name": f"Item {sku}",
        "regular_price": price,
        "on_hand": {"shop": stock},
        "web_flag": True,
    }
    values.update(fields)
    return RawItem(ref=SourceRef(source, line, f"{sku},{price}"), sku=sku, **values)


class FakePos:
    """A POS connector whose catalogue the test edits in place (read side only)."""

    name = "fake"
    updates_customers = False

    def __init__(self, rows: Iterable[RawItem] = ()) -> None:
        self.rows: dict[str, RawItem] = {}
        self.reads = 0
        for row in rows:
            self.put(row)

    def put(self, row: RawItem) -> None:
        """Add or replace the row of this SKU."""
        self.rows[str(row.sku)] = row

    def change(self, sku: str, **fields: Any) -> None:
        """Edit some fields of one row."""
        self.rows[sku] = replace(self.rows[sku], **fields)

    def remove(self, sku: str) -> None:
        del self.rows[sku]

    def read_items(self) -> Iterator[RawItem]:
        self.reads += 1
        yield from list(self.rows.values())

    def find_document(self, idempotency_key: str) -> str | None:
        return None

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        return set(skus)

    def upsert_customer(self, customer: CustomerDoc) -> str:
        raise AssertionError("the product sync never writes customers")

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        raise AssertionError("the product sync never writes orders")

    def write_credit(self, document: CreditDocument) -> str:
        raise AssertionError("the product sync never writes credits")

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        raise AssertionError("the product sync never asks about written documents")

    def close(self) -> None:
        """Nothing to release."""


def store_settings(db_url: str, tmp_path: Path, *, url: str = SHOP, **store: Any) -> Settings:
    """A one-store configuration ("main") over `db_url`, flag selection by default."""
    table: dict[str, Any] = {
        "woocommerce": {
            "url": url,
            "consumer_key": DEMO_CONSUMER_KEY,
            "consumer_secret": DEMO_CONSUMER_SECRET,
            "max_retries": 2,
        },
        "connector": {"type": "demo", "path": str(tmp_path / "demo.sqlite3"), "seed_items": 0},
        "selection": "flag",
    }
    table.update(store)
    return parse_settings(
        {"storage": {"url": db_url}, "web": {"secret_key": "s" * 40}, "stores": {STORE: table}}
    )


class World:
    """Sandbox + database + fake POS, wired by `build_services`."""

    def __init__(self, sandbox: Sandbox, app: FastAPI, pos: FakePos, services: Services) -> None:
        self.sandbox = sandbox
        self.app = app
        self.pos = pos
        self.services = services

    async def sync(self, **options: Any) -> ProductRun:
        return await sync_products(self.services, STORE, **options)

    async def settled(self) -> dict[str, int]:
        """The requests of a run once earlier runs' own writes have been read back.

        The link check reads whatever changed in WooCommerce since it last
        looked, StoreBridge's own writes included: the run after a writing run
        reads them back once (and must write nothing); the next one is idle.
        """
        echo = await self.sync()
        assert echo.report.writes == 0, echo.report.requests
        return (await self.sync()).report.requests

    # -- WooCommerce as the merchant sees it ------------------------------------------

    def docs(self) -> list[dict[str, Any]]:
        """Every stored product and variation (trash included), as the sandbox keeps them."""
        rows = self.sandbox.db.all("SELECT doc FROM products ORDER BY id")
        return [loads(row["doc"]) for row in rows]

    def by_sku(self, sku: str) -> dict[str, Any]:
        """The one stored product or variation with this SKU (fails if 0 or several)."""
        found = [d for d in self.docs() if str(d.get("sku", "")).casefold() == sku.casefold()]
        assert len(found) == 1, f"expected one product with SKU {sku!r}, found {len(found)}"
        return found[0]

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

    def writes(self) -> int:
        """Write requests the sandbox received so far."""
        counts: Mapping[str, Any] = self.sandbox.counters.snapshot()
        return int(counts["writes"])

    def links(self) -> dict[str, ProductLink]:
        with self.services.sessions() as session:
            rows = session.scalars(select(ProductLink).where(ProductLink.store == STORE))
            return {row.sku_key: row for row in rows}


def money(doc: Mapping[str, Any], field: str) -> Decimal | None:
    value = doc.get(field, "")
    return Decimal(value) if value not in ("", None) else None


@contextmanager
def make_world(
    tmp_path: Path,
    template: Path,
    *,
    rows: Iterable[RawItem] = (),
    sandbox_config: SandboxConfig | None = None,
    retry: RetryPolicy | None = None,
    real_connector: bool = False,
    db_url: str | None = None,
    clock: Clock | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
    **store: Any,
) -> Iterator[World]:
    """A fresh world; `template` is a migrated SQLite file to copy (`_sqlite_template`).

    `db_url` uses an already migrated database instead (e.g. PostgreSQL).

    With `real_connector`, the store's configured connector is used instead of
    `World.pos` (pass its table as ``connector={...}``). `webhook_transport`
    receives the sandbox's webhook deliveries.
    """
    if db_url is None:
        target = tmp_path / "storebridge.sqlite3"
        shutil.copyfile(template, target)
        db_url = f"sqlite:///{target}"
    settings = store_settings(db_url, tmp_path, **store)
    sandbox = Sandbox(
        sandbox_config or SandboxConfig(webhook_auto_deliver=False),
        clock=clock,
        webhook_transport=webhook_transport,
    )
    app = create_sandbox_app(sandbox=sandbox)
    pos = FakePos(rows)
    policy = retry or RetryPolicy(max_attempts=3, base=0.01, cap=0.01)

    def woo_factory(_store: str, connection: WooConnection) -> WooClient:
        return WooClient(
            connection,
            transport=httpx.ASGITransport(app=app),
            sleep=no_sleep,
            retry_policy=policy,
        )

    services = build_services(
        settings,
        woo_factory=woo_factory,
        connector_factory=None if real_connector else (lambda _name, _settings: pos),
    )
    try:
        yield World(sandbox, app, pos, services)
    finally:
        services.close()
        sandbox.close()
