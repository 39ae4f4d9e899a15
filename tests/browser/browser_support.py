"""A shop with history, served over real HTTP for the browser tests.

`build_shop` runs the shipped jobs against an in-process WooCommerce sandbox
and the demo POS: a first products run (drafts created, a few existing
products adopted), a quarantined POS row, web orders placed and completed,
an allocation cycle, an export whose first attempt fails (the POS was down),
a reconcile and a second products run.  `WebServer` serves the dashboard from
a background thread on a free port (`sandbox.server.AppServer`).  `log_in` and
`screenshot` are the steps every browser test shares.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.runner.runner_support import demo_connector, runner_settings, sandbox_shop

from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.persistence.repositories import users
from storebridge.persistence.tables import ProductLink
from storebridge.runner.clock import SystemClock
from storebridge.runner.jobs import default_jobs
from storebridge.runner.scheduler import Scheduler
from storebridge.sandbox import Sandbox
from storebridge.sandbox.server import AppServer
from storebridge.web.security import hash_password

USER = "grace"
PASSWORD = "a long browser password"
#: A second user, with the `viewer` role (same password).
VIEWER = "vera"
CUSTOMERS = ("ada@example.com", "alan@example.com", "grace@example.com")
#: Where to save the README's screenshots (set STOREBRIDGE_SCREENSHOTS=docs/screenshots).
SCREENSHOTS_ENV = "STOREBRIDGE_SCREENSHOTS"


@dataclass
class Shop:
    services: Services
    sandbox: Sandbox
    sandbox_app: FastAPI
    allocated_sku: str


def _pos(services: Services) -> DemoPos:
    pos = services.store("main").connector
    assert isinstance(pos, DemoPos)
    return pos


async def _history(services: Services, sandbox: Sandbox) -> str:
    scheduler = Scheduler(services, default_jobs(), clock=SystemClock())
    pos = _pos(services)
    web_items = [item for item in pos.read_items() if item.web_flag and not item.parent_code]
    pos.set_on_hand(web_items[-1].sku, "store-1", -4)  # a miscount the sync must refuse
    await scheduler.run_now("main", "products")
    with services.sessions() as session:
        sellable = list(
            session.scalars(
                select(ProductLink.sku)
                .where(
                    ProductLink.kind == "simple",
                    ProductLink.state == "linked",
                    ProductLink.pushed_stock >= 4,
                )
                .order_by(ProductLink.sku_key)
            )
        )
    orders = [
        sandbox.place_order(
            {
                "line_items": [{"sku": sku, "quantity": 2}],
                "status": "processing",
                "set_paid": True,
                "billing": {"email": email, "first_name": email.split("@")[0]},
            }
        )
        for sku, email in zip(sellable, CUSTOMERS, strict=False)
    ]
    for order in orders[1:]:
        sandbox.orders.set_status(order["id"], "completed")
    await scheduler.run_now("main", "orders")
    pos.fail_next(1)  # the till is offline for the first export attempt
    await scheduler.run_now("main", "export")
    await scheduler.run_now("main", "reconcile")
    await scheduler.run_now("main", "products")
    return sellable[0]


def build_shop(tmp_path: Path, template: Path) -> Shop:
    """The shop described in the module docstring, in `tmp_path`."""
    database = tmp_path / "storebridge.sqlite3"
    shutil.copyfile(template, database)
    settings = runner_settings(
        f"sqlite:///{database}",
        tmp_path,
        ("main",),
        safety_stock=1,
        connector=demo_connector(tmp_path, seed_items=30, seed_styles=2),
    )
    woo = sandbox_shop()
    services = build_services(settings, woo_factory=woo.woo_factory)
    with services.sessions.begin() as session:
        password_hash = hash_password(PASSWORD)
        users.add_user(session, username=USER, password_hash=password_hash)
        users.add_user(session, username=VIEWER, password_hash=password_hash, role="viewer")
    # Playwright's sync API keeps an event loop running in this thread: use another one.
    with ThreadPoolExecutor(1) as pool:
        allocated = pool.submit(asyncio.run, _history(services, woo.sandbox)).result()
    return Shop(services, woo.sandbox, woo.app, allocated)


class WebServer(AppServer):
    """An ASGI app (the dashboard) served by uvicorn from a daemon thread on a free port."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app)
        self.url = self.base_url

    def start(self, timeout: float = 30.0) -> None:
        super().start(timeout)


def log_in(page: Page, server: WebServer, user: str = USER) -> None:
    """Open the dashboard, get sent to the login page, log in as `user`."""
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login?next=/")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}/")


def screenshot(page: Page, tmp_path: Path, name: str) -> None:
    """Save the whole page as `name` (in docs/screenshots when `SCREENSHOTS_ENV` says so)."""
    target = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)
    assert (target / name).stat().st_size > 10_000
