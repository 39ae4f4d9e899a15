"""Which connector class serves which `type` of connector settings.

The store config holds a discriminated union of connector settings (each
model has a `type` literal); `build_connector` turns one into a live
connector.  Adding a connector means adding its settings model to the union
and one entry to `_BUILDERS`.

Example::

    connector = build_connector(DemoPosSettings(path=Path("var/demo.sqlite3")))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.errors import ConfigError
from storebridge.ports import PosConnector

__all__ = ["build_connector", "connector_types"]

# type literal -> constructor taking that type's settings model
_BUILDERS: dict[str, Callable[[Any], PosConnector]] = {
    "demo": DemoPos,
    "file_feed": FileFeed,
    "sql": SqlConnector,
    "tryton": TrytonConnector,
}


def connector_types() -> list[str]:
    """The connector `type` values this build knows, sorted."""
    return sorted(_BUILDERS)


def build_connector(settings: ConnectorSettings) -> PosConnector:
    """A live connector for `settings`, chosen by `settings.type`.

    Raises:
        ConfigError: no connector is registered for that type.
    """
    builder = _BUILDERS.get(settings.type)
    if builder is None:
        raise ConfigError(
            f"connector type {settings.type!r} is not known; use one of {connector_types()}"
        )
    return builder(settings)
