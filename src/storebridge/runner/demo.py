"""The one-command demo's world: a folder holding a config, a sandbox shop and a demo POS.

`prepare_demo` builds (or reopens) everything `storebridge demo` needs in a
folder (``.demo/`` by default):

* a WooCommerce sandbox served from a background thread on a free local port,
  its state kept in ``sandbox.sqlite3`` so a restarted demo continues the
  same shop; a fresh shop already sells a few of the POS's items, which the
  first products run adopts instead of duplicating;
* ``storebridge.toml`` pointing at it, with the demo POS (seeded on first
  use) -- or, with ``pos="sql"``, the SQL connector on the sample POS schema
  in ``sql-pos.sqlite3`` (created and seeded on first use), or, with
  ``pos="tryton"``, a real trytond started on a free loopback port over the
  demo catalogue (``tryton/``, connectors/tryton/demo_shop.py) --, short job
  intervals, and secrets generated once and kept;
* StoreBridge's SQLite database, migrated; the ``demo`` dashboard login with a
  fresh random password each start.

`register_webhooks` subscribes the runner to the shop's order webhooks once
the runner answers (WooCommerce pings a webhook's URL when it is created), as
`storebridge webhooks install` does: a restarted demo re-points them.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import tomli_w
from sqlalchemy import create_engine

from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.settings import DEMO_ITEMS, DEMO_STYLES
from storebridge.connectors.sql.sample import create_schema, mapping, seed
from storebridge.persistence.db import upgrade
from storebridge.persistence.repositories import users
from storebridge.ports import PosReader
from storebridge.runner.demo_life import CUSTOMERS, InStoreLife
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    SandboxConfig,
    SandboxServer,
)
from storebridge.settings import Settings, load_settings
from storebridge.sync.setup.webhooks import install_webhooks
from storebridge.web.security import hash_password

if TYPE_CHECKING:  # the Tryton shop is imported only when the demo runs on Tryton
    from storebridge.connectors.tryton.demo_shop import TrytonDemoShop

__all__ = [
    "DEMO_STORE",
    "DEMO_USER",
    "DemoPosKind",
    "DemoWorld",
    "prepare_demo",
    "register_webhooks",
]

#: Which POS the demo runs: the built-in demo POS, the SQL connector on the sample schema,
#: or a real Tryton.
DemoPosKind = Literal["demo", "sql", "tryton"]
DEMO_STORE = "main"
DEMO_USER = "demo"
#: Job intervals of the demo, in seconds: short, so the dashboard moves.
DEMO_INTERVALS = {"products": 15, "orders": 10, "export": 10, "reconcile": 60}
#: Items of the POS a fresh sandbox already sells (adopted by the first run).
PRE_EXISTING = 5


@dataclass
class DemoWorld:
    """Everything the demo started; `close()` stops it."""

    folder: Path
    settings: Settings
    services: Services
    sandbox: SandboxServer
    password: str
    #: The trytond of `pos="tryton"`, stopped by `close()`.
    tryton: TrytonDemoShop | None = None

    @property
    def config_path(self) -> Path:
        return self.folder / "storebridge.toml"

    def in_store_life(self) -> InStoreLife | None:
        """Store life inside the POS when it is not the demo POS (which plays its own)."""
        if self.tryton is None:
            return None
        return self.tryton.store_life()

    def close(self) -> None:
        """Release the database and stop the sandbox (and trytond)."""
        self.services.close()
        self.sandbox.stop()
        if self.tryton is not None:
            self.tryton.stop()


def _secrets(config: Path) -> tuple[str, str]:
    """The dashboard key and webhook secret of an earlier run, else new ones."""
    if config.exists():
        data = tomllib.loads(config.read_text(encoding="utf-8"))
        key = data.get("web", {}).get("secret_key")
        hook = data.get("stores", {}).get(DEMO_STORE, {}).get("webhook_secret")
        if isinstance(key, str) and isinstance(hook, str):
            return key, hook
    # Alphanumeric on purpose: WooCommerce decodes HTML entities in webhook secrets.
    return secrets.token_hex(32), secrets.token_hex(24)


def _connector_table(
    folder: Path, pos: DemoPosKind, tryton: TrytonDemoShop | None = None
) -> dict[str, Any]:
    if pos == "tryton":
        assert tryton is not None, "the Tryton demo shop must run before its config is written"
        return tryton.connector_table()
    if pos == "sql":
        database = folder / "sql-pos.sqlite3"
        url = f"sqlite:///{database}"
        if not database.exists():
            engine = create_engine(url)
            try:
                create_schema(engine)
                seed(
                    engine,
                    n_items=DEMO_ITEMS,
                    n_styles=DEMO_STYLES,
                    locations=("store-1", "store-2", "warehouse"),
                )
            finally:
                engine.dispose()
        return {**mapping("sqlite"), "url": url}
    return {
        "type": "demo",
        "path": str(folder / "demo-pos.sqlite3"),
        "seed_items": DEMO_ITEMS,
        "seed_styles": DEMO_STYLES,
    }


def _selection(pos: DemoPosKind) -> dict[str, str]:
    if pos == "tryton":  # Tryton's web shop lists the products for the web
        from storebridge.connectors.tryton.seed import WEB_SHOP

        return {"selection": "webstore", "webstore": WEB_SHOP}
    return {"selection": "flag"}


def _write_config(
    folder: Path,
    sandbox_url: str,
    host: str,
    port: int,
    pos: DemoPosKind = "demo",
    tryton: TrytonDemoShop | None = None,
) -> Path:
    path = folder / "storebridge.toml"
    secret_key, webhook_secret = _secrets(path)
    config: dict[str, Any] = {
        "storage": {"url": f"sqlite:///{folder / 'storebridge.sqlite3'}"},
        "web": {
            "host": host,
            "port": port,
            "secret_key": secret_key,
            "public_url": f"http://{host}:{port}",
        },
        "runner": {"intervals": DEMO_INTERVALS},
        "stores": {
            DEMO_STORE: {
                **_selection(pos),
                "safety_stock": 1,
                "webhook_secret": webhook_secret,
                "woocommerce": {
                    "url": sandbox_url,
                    "consumer_key": DEMO_CONSUMER_KEY,
                    "consumer_secret": DEMO_CONSUMER_SECRET,
                    "max_retries": 3,
                },
                "connector": _connector_table(folder, pos, tryton),
            }
        },
    }
    path.write_text(
        "# Written by `storebridge demo`; rewritten on every start.\n" + tomli_w.dumps(config),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


async def _seed_shop(services: Services, pos: PosReader) -> int:
    """Put a few POS items in a new shop, as if it sold them before StoreBridge."""
    webstore = services.store(DEMO_STORE).settings.webstore
    picked = [
        item
        for item in pos.read_items()
        if not item.parent_code
        and (item.web_flag if webstore is None else webstore in item.webstore_prices)
    ][:PRE_EXISTING]
    async with services.store(DEMO_STORE).woo() as woo:
        if await woo.request_json("GET", "/products", params={"per_page": 1}):
            return 0  # the shop of an earlier demo run
        results = await woo.create_products_safely(
            [
                {
                    "name": item.name or item.sku,
                    "sku": item.sku,
                    "status": "publish",
                    # Not the POS's figures: the first products run corrects them.
                    "regular_price": str(Decimal(str(item.regular_price or "9.99")) + 1),
                    "manage_stock": True,
                    "stock_quantity": 99,
                }
                for item in picked
            ]
        )
    return sum(1 for result in results if result.resource_id is not None)


def prepare_demo(
    folder: Path, *, host: str, port: int, fresh: bool = False, pos: DemoPosKind = "demo"
) -> DemoWorld:
    """Build or reopen the demo world in `folder` (see the module docstring)."""
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxServer(
        SandboxConfig(db_path=str(folder / "sandbox.sqlite3"), webhook_delay_seconds=0.5)
    )
    sandbox.start()
    tryton = None
    try:
        if pos == "tryton":
            from storebridge.connectors.tryton.demo_shop import TrytonDemoShop

            tryton = TrytonDemoShop(folder / "tryton", customers=CUSTOMERS)
            tryton.start()
        config = _write_config(folder, sandbox.base_url, host, port, pos, tryton)
        settings = load_settings(config, environ={})
        services = build_services(settings)
        upgrade(services.engine)
        asyncio.run(_seed_shop(services, services.store(DEMO_STORE).connector))
        password = secrets.token_urlsafe(9)
        hashed = hash_password(password)  # argon2 stays outside the write transaction
        with services.sessions.begin() as session:
            if users.get_user(session, username=DEMO_USER) is None:
                users.add_user(session, username=DEMO_USER, password_hash=hashed)
            else:
                users.set_password_hash(session, username=DEMO_USER, password_hash=hashed)
    except BaseException:
        sandbox.stop()
        if tryton is not None:
            tryton.stop()
        raise
    return DemoWorld(folder, settings, services, sandbox, password, tryton)


async def register_webhooks(world: DemoWorld, receiver_url: str) -> int:
    """Point the shop's order webhooks at `receiver_url` (`storebridge webhooks install`)."""
    changes = await install_webhooks(world.services, DEMO_STORE, receiver_url)
    return sum(1 for sub in changes.after if sub.ok)
