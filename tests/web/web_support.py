"""Helpers of the dashboard tests: a wired app over a migrated database, a seeded shop.

`WebWorld` joins an in-process WooCommerce sandbox (httpx.ASGITransport), a
migrated SQLite database and the dashboard app, and `seed_shop` writes a small
but complete picture into the database: links with pushed values and stock
history, an open order holding units, exports in several states, quarantined
rows and runs.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.orm import Session
from tests.runner.runner_support import runner_settings

from storebridge.alerts.ledger import owed, record_delivered, record_failed
from storebridge.bootstrap import Services, build_services
from storebridge.domain.model import Quarantined, SourceRef
from storebridge.persistence.repositories import links, quarantine, runs, users
from storebridge.persistence.tables import Export, Order, OrderLine, StockHistory
from storebridge.persistence.types import utcnow
from storebridge.runner.triggers import JobTrigger
from storebridge.sandbox import Sandbox, SandboxConfig, create_sandbox_app
from storebridge.web import create_web_app
from storebridge.web.routes.webhooks import WebhookIngest
from storebridge.web.security import hash_password
from storebridge.web.throttle import LoginThrottle
from storebridge.woocommerce import WooClient, WooConnection

USER = "ada"
PASSWORD = "correct horse battery"
VIEWER = "vic"
WEBHOOK_SECRET = "whsec-test-0123456789"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token embedded in a page's forms."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@dataclass
class WebWorld:
    """The dashboard app over a migrated database and an in-process sandbox."""

    services: Services
    sandbox: Sandbox
    sandbox_app: FastAPI
    app: FastAPI
    client: httpx.AsyncClient

    async def login(self, username: str = USER, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/login")
        return await self.client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_of(page.text),
                "next": "/",
            },
        )

    async def csrf(self, path: str = "/") -> str:
        """The CSRF token as a logged-in page carries it."""
        return csrf_of((await self.client.get(path)).text)


@cache
def password_hash() -> str:
    """The argon2 hash of `PASSWORD`, computed once (argon2 is slow on purpose)."""
    return hash_password(PASSWORD)


def _copy(template: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


@asynccontextmanager
async def web_world(
    tmp_path: Path,
    template: Path,
    *,
    ingest: WebhookIngest | None = None,
    webhook_secret: str | None = WEBHOOK_SECRET,
    throttle: LoginThrottle | None = None,
    trigger: JobTrigger | None = None,
) -> AsyncIterator[WebWorld]:
    """A fresh world with one user; `template` is a migrated SQLite file to copy."""
    target = tmp_path / "storebridge.sqlite3"
    _copy(template, target)
    settings = runner_settings(
        f"sqlite:///{target}", tmp_path, ("main", "outlet"), secret=webhook_secret, safety_stock=1
    )
    sandbox = Sandbox(SandboxConfig(webhook_auto_deliver=False, assume_https=True))
    sandbox_app = create_sandbox_app(sandbox=sandbox)

    def woo_factory(_store: str, connection: WooConnection) -> WooClient:
        return WooClient(connection, transport=httpx.ASGITransport(app=sandbox_app))

    services = build_services(settings, woo_factory=woo_factory)
    with services.sessions.begin() as session:
        users.add_user(session, username=USER, password_hash=password_hash())
        users.add_user(session, username=VIEWER, password_hash=password_hash(), role="viewer")
    app = create_web_app(services, ingest=ingest, throttle=throttle, trigger=trigger)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    try:
        yield WebWorld(services, sandbox, sandbox_app, app, client)
    finally:
        await client.aclose()
        services.close()
        sandbox.close()


def deliver_alerts(
    session: Session, *, store: str, now: datetime, failing: dict[str, str] | None = None
) -> None:
    """Send what `store`'s alerts are owed, as the alerts job would, to one target.

    The notices of the kinds in `failing` fail with the error given; the others arrive.
    """
    for notice in owed(session, store=store, now=now):
        error = (failing or {}).get(notice.notice.kind)
        if error is None:
            record_delivered(session, owed_notice=notice, target="t", targets=["t"], now=now)
        else:
            record_failed(session, owed_notice=notice, error=error, now=now)


@dataclass(frozen=True)
class Seeded:
    """What `seed_shop` wrote, for the assertions."""

    sku: str
    failed_order: int
    eligible_order: int


def seed_shop(services: Services, store: str = "main") -> Seeded:
    """Links, stock history, an open order, exports, quarantine and runs for `store`."""
    now = utcnow()
    with services.sessions.begin() as session:
        for index, sku in enumerate(["MUG-BLUE", "MUG-RED", "TEE-M"], start=1):
            links.upsert_link(
                session, store=store, sku=sku, woo_id=100 + index, kind="simple", origin="created"
            )
            links.mark_pushed(
                session,
                store=store,
                sku=sku,
                prices=links.PushedPrices(Decimal("12.50")),
                stock=7,
                now=now,
            )
        links.record_on_hand(session, store=store, sku="MUG-BLUE", on_hand=10, now=now)
        links.mark_broken(session, store=store, sku="TEE-M", problem="SKU edited in WooCommerce")
        session.add_all(
            [
                StockHistory(
                    store=store, sku_key="mug-blue", on_hand=9, allocated=0, safety=1,
                    available=8, pushed=True, reason="products run", at=now - timedelta(minutes=1),
                ),
                StockHistory(
                    store=store, sku_key="mug-blue", on_hand=10, allocated=2, safety=1,
                    available=7, pushed=True, reason="order 501 placed", at=now,
                ),
            ]
        )  # fmt: skip
        for order_id, status, state in [
            (501, "processing", "seen"),
            (502, "completed", "failed"),
            (503, "completed", "eligible"),
            (504, "completed", "exported"),
        ]:
            session.add(
                Order(
                    store=store, woo_order_id=order_id, number=str(order_id), status=status,
                    date_created_gmt=now, date_modified_gmt=now, customer_email="a@b.test",
                    total=Decimal("25.00"), currency="EUR", payload=json.dumps({"id": order_id}),
                    first_seen=now,
                )
            )  # fmt: skip
            session.flush()
            if order_id == 501:
                session.add(
                    OrderLine(
                        store=store, woo_order_id=501, line_id=1, sku_key="mug-blue",
                        quantity=2, product_id=101, variation_id=0,
                    )
                )  # fmt: skip
            export = Export(store=store, woo_order_id=order_id, state=state, flags=[])
            if state == "failed":
                export.attempts = 8
                export.last_error = "PosUnavailable: the till is offline"
            if state == "exported":
                export.pos_ref = "INV-9"
                export.exported_at = now
            session.add(export)
        quarantine.record(
            session,
            store=store,
            row=Quarantined(
                SourceRef("demo:items", 42, "BAD-1 'Broken mug' price=-3"),
                "BAD-1",
                "negative_price",
                "price -3 is negative; fix the price in the POS",
            ),
        )
        run = runs.start_run(session, store=store, job="products", now=now)
        runs.finish_run(
            session,
            run_id=run.id,
            outcome="ok",
            counts={"updated": 3, "api_requests": 20, "api_errors": 1},
            requests={"POST /products/batch": 1},
            now=now,
        )
        failed = runs.start_run(session, store=store, job="export", now=now)
        runs.finish_run(
            session,
            run_id=failed.id,
            outcome="failed",
            error="the POS/ERP is unavailable (till offline); the next run tries again",
            now=now,
        )
    return Seeded("MUG-BLUE", failed_order=502, eligible_order=503)


def json_body(response: httpx.Response) -> Any:
    return response.json()
