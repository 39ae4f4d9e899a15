"""Configuration models of the built-in connectors (the `[stores.X.connector]` table).

Each connector package owns its settings model; every model carries a `type`
literal so the store config can hold a discriminated union of them, and the
registry maps the same literal to the connector class.
"""

from __future__ import annotations

from storebridge.connectors.demo.settings import DemoPosSettings
from storebridge.connectors.file_feed.settings import ColumnMapping, FileFeedSettings
from storebridge.connectors.sql.settings import SqlSettings
from storebridge.connectors.tryton.settings import TrytonSettings

__all__ = [
    "ColumnMapping",
    "ConnectorSettings",
    "DemoPosSettings",
    "FileFeedSettings",
    "SqlSettings",
    "TrytonSettings",
]

ConnectorSettings = DemoPosSettings | FileFeedSettings | SqlSettings | TrytonSettings
