"""The Tryton shop of `storebridge demo --pos tryton`: a real trytond, seeded and served.

`demo_database` builds (once per machine and Tryton version: cached, see
`server.built_database`) a database with the shop of `seed.py` (profile
``demo``) and the demo POS's catalogue loaded over JSON-RPC (`catalogue.py`):
the same generator, seed and size as `make demo`'s POS, with the shop floor
(`seed.SHOP_WAREHOUSE`) and the warehouse (`seed.WAREHOUSE`, holding the bulk)
as its two stock locations.  Promotion dates are those of the build day.

The demo's returning customers become parties with their e-mail, so their
web orders land on them.

`TrytonDemoShop` serves a copy of it from the demo folder (kept across
restarts, like the sandbox shop: a second start costs only trytond's start-up),
and writes the connector table of the demo config.  Importing this module
imports no trytond code; starting the shop needs the `tryton` extra.
"""

from __future__ import annotations

import hashlib
import inspect
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storebridge.connectors.demo import catalogue as demo_catalogue
from storebridge.connectors.demo.catalogue import catalogue
from storebridge.connectors.demo.settings import DEMO_ITEMS, DEMO_STYLES, DemoPosSettings
from storebridge.connectors.tryton import catalogue as tryton_catalogue
from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.catalogue import Customer, load_catalogue, load_customers
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.server import DATABASE, TrytonServer, built_database
from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.connectors.tryton.simulation import TrytonStoreLife, TrytonTill

__all__ = ["TrytonDemoShop", "demo_database", "demo_settings"]

#: The demo POS's own seed: the same catalogue, item for item.
RANDOM_SEED: int = DemoPosSettings.model_fields["random_seed"].default
#: The catalogue's generator and loader, by their source: a change to either is a new build.
_GENERATOR = hashlib.sha256(
    (inspect.getsource(demo_catalogue) + inspect.getsource(tryton_catalogue)).encode()
).hexdigest()[:12]
#: The catalogue's stock locations: the shop floor, then the warehouse holding the bulk.
LOCATIONS = (seed.SHOP_WAREHOUSE, seed.WAREHOUSE)


def demo_settings(url: str) -> TrytonSettings:
    """The connector settings of the demo database served at `url`."""
    return TrytonSettings(
        url=url,
        database=DATABASE,
        password=seed.ADMIN_PASSWORD,
        web_shop=seed.WEB_SHOP,
        warehouses=(seed.WAREHOUSE, seed.SHOP_WAREHOUSE),
        price_list=seed.PRICE_LIST,
        shipping_product=seed.SHIPPING_CODE,
        fee_product=seed.FEE_CODE,
        unknown_product=seed.UNKNOWN_CODE,
        timeout=120,
    )


def demo_database(customers: Sequence[Customer] = ()) -> Path:
    """The seeded demo database file (built on first use, then taken from the cache)."""

    def populate(server: TrytonServer) -> None:
        today = datetime.now(UTC).date()
        rpc = TrytonRpc(demo_settings(server.url))
        try:
            load_catalogue(
                rpc,
                catalogue(DEMO_ITEMS, DEMO_STYLES, RANDOM_SEED, LOCATIONS, today),
                web_shop=seed.WEB_SHOP,
                price_list=seed.PRICE_LIST,
                today=today,
            )
            load_customers(rpc, customers)
        finally:
            rpc.close()

    return built_database(
        seed.ADMIN_PASSWORD,
        profile="demo",
        populate=populate,
        key=f"catalogue {DEMO_ITEMS} items {DEMO_STYLES} styles seed {RANDOM_SEED} "
        f"generator {_GENERATOR} customers {sorted(customers)}",
    )


class TrytonDemoShop:
    """A trytond serving the demo database from `folder` (see the module docstring)."""

    def __init__(self, folder: Path, customers: Sequence[Customer] = ()) -> None:
        self.folder = folder
        self.customers = customers
        self.server: TrytonServer | None = None
        self._sessions: list[TrytonRpc] = []

    def start(self) -> TrytonServer:
        """Build or reuse the database and serve it; the folder's copy is kept across starts."""
        self.server = TrytonServer(demo_database(self.customers), self.folder, keep=True)
        try:
            self.server.start()
        except BaseException:
            self.server = None
            raise
        return self.server

    def connector_table(self) -> dict[str, Any]:
        """`[stores.X.connector]` for the served shop."""
        if self.server is None:
            raise RuntimeError("start the Tryton demo shop first")
        settings = demo_settings(self.server.url)
        table = settings.model_dump(mode="json", exclude_defaults=True)
        table["type"] = "tryton"
        table["password"] = settings.password.get_secret_value()
        return table

    def stop(self) -> None:
        for rpc in self._sessions:
            rpc.close()
        self._sessions.clear()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def store_life(self) -> Callable[[random.Random], list[str]]:
        """Till sales, receipts and price changes in the served shop, over a session of its own."""
        if self.server is None:
            raise RuntimeError("start the Tryton demo shop first")
        rpc = TrytonRpc(demo_settings(self.server.url))
        self._sessions.append(rpc)
        life = TrytonStoreLife(
            rpc,
            TrytonTill(rpc, seed.TILL, seed.TILL_PAYMENT),
            shop=seed.SHOP_WAREHOUSE,
            receiving=seed.WAREHOUSE,
        )
        return life.step
