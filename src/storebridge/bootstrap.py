"""The composition root: `build_services(settings)` wires StoreBridge together once.

Entry points (CLI commands, the runner, the dashboard) load `Settings` and
call `build_services`; everything inward receives the resulting `Services`
and never reads configuration, builds engines or opens clients itself.

What a `Services` holds:

* ``engine`` and ``sessions``: StoreBridge's own database (SQLAlchemy 2);
  repositories never commit, so callers open a unit of work with
  ``with services.sessions.begin() as session: ...``;
* ``stores``: one `StoreServices` per ``[stores.<name>]`` table, holding that
  store's `StoreSettings`, its POS/ERP connector (built on first use, because
  opening the demo POS seeds a database) and a WooCommerce client factory.

A WooCommerce client owns a connection pool, so each job opens its own and
closes it when done::

    services = build_services(load_settings())
    store = services.store("main")
    async with store.woo() as woo:
        ...
    services.close()

Tests inject seams instead of patching: ``woo_factory`` builds clients over
``httpx.ASGITransport(app=sandbox_app)``, ``connector_factory`` returns a fake
connector, and ``engine`` reuses an already migrated database.  Nothing
happens at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings
from storebridge.errors import ConfigError
from storebridge.persistence.db import create_engine_for, session_factory
from storebridge.ports import PosConnector
from storebridge.settings import Settings, StoreSettings
from storebridge.woocommerce import WooClient, WooConnection

__all__ = [
    "ConnectorFactory",
    "Services",
    "StoreServices",
    "WooFactory",
    "build_services",
    "default_woo_factory",
]

#: Builds a WooCommerce client for (store name, connection settings).
WooFactory = Callable[[str, WooConnection], WooClient]
#: Builds a POS/ERP connector for (store name, connector settings).
ConnectorFactory = Callable[[str, ConnectorSettings], PosConnector]


def default_woo_factory(_store: str, connection: WooConnection) -> WooClient:
    """A real client over the network, with the connection's retry and concurrency limits."""
    return WooClient(connection)


def _default_connector_factory(_store: str, settings: ConnectorSettings) -> PosConnector:
    return build_connector(settings)


@dataclass
class StoreServices:
    """Everything one store's jobs need: its settings, its connector, its WooCommerce client."""

    name: str
    settings: StoreSettings
    woo_factory: WooFactory = field(default=default_woo_factory, repr=False)
    connector_factory: ConnectorFactory = field(default=_default_connector_factory, repr=False)
    _connector: PosConnector | None = field(default=None, init=False, repr=False)

    @property
    def connector(self) -> PosConnector:
        """The store's POS/ERP connector, built on first use and then reused."""
        if self._connector is None:
            self._connector = self.connector_factory(self.name, self.settings.connector)
        return self._connector

    def woo(self) -> WooClient:
        """A new WooCommerce client; use it as ``async with store.woo() as woo:``."""
        return self.woo_factory(self.name, self.settings.woocommerce)

    def close(self) -> None:
        """Release the connector, if it was built."""
        if self._connector is not None:
            self._connector.close()
            self._connector = None


@dataclass
class Services:
    """The wired application: database access and the per-store services."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    stores: Mapping[str, StoreServices]

    def store(self, name: str) -> StoreServices:
        """The services of store `name`.

        Raises:
            ConfigError: no such store; the message lists the known ones.
        """
        try:
            return self.stores[name]
        except KeyError:
            known = ", ".join(sorted(self.stores))
            raise ConfigError(
                f"no store named {name!r} in the configuration; known stores: {known}"
            ) from None

    def store_names(self, name: str | None = None) -> list[str]:
        """`[name]` after checking it exists, or every store (sorted) when `name` is None."""
        if name is None:
            return sorted(self.stores)
        return [self.store(name).name]

    def close(self) -> None:
        """Close every built connector and dispose of the engine's pool."""
        for store in self.stores.values():
            store.close()
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    woo_factory: WooFactory | None = None,
    connector_factory: ConnectorFactory | None = None,
) -> Services:
    """Wire StoreBridge from `settings`; no network or POS I/O happens here.

    Args:
        settings: the loaded configuration.
        engine: an engine to use instead of one built from ``settings.storage``
            (the caller then still owns it; `Services.close` disposes it).
        woo_factory: builds WooCommerce clients (tests pass one over the sandbox).
        connector_factory: builds POS/ERP connectors (tests pass fakes).
    """
    db = engine if engine is not None else create_engine_for(settings.storage.sqlalchemy_url)
    stores = {
        name: StoreServices(
            name,
            store,
            woo_factory=woo_factory or default_woo_factory,
            connector_factory=connector_factory or _default_connector_factory,
        )
        for name, store in settings.stores.items()
    }
    return Services(settings, db, session_factory(db), stores)
