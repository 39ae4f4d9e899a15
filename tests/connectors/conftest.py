"""Fixtures of the connector tests: every connector, built from its settings by the registry."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.registry import build_connector
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.ports import PosConnector

HERE = Path(__file__).parent


def _load_samples() -> None:
    # pytest imports test modules with --import-mode=importlib, so this folder is
    # not on sys.path: register the shared samples module by name once.
    if "connector_samples" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "connector_samples", HERE / "connector_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["connector_samples"] = module
    spec.loader.exec_module(module)


_load_samples()

from connector_samples import (  # noqa: E402
    FEED_SKUS,
    prepare_sql_pos,
    settings_for,
    sql_documents_under,
)

#: SQL connector kinds -> the fixture (tests/conftest.py) giving a fresh empty database.
SQL_KINDS = {"sql-postgres": "postgres_url", "sql-mariadb": "mariadb_url"}
CONNECTOR_KINDS = [
    "demo",
    "file_feed",
    pytest.param("sql-postgres", marks=pytest.mark.postgres),
    pytest.param("sql-mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(params=CONNECTOR_KINDS)
def kind(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    name = str(request.param)
    if name in SQL_KINDS:  # a sample POS database of its own, dropped after the test
        prepare_sql_pos(request.getfixturevalue(SQL_KINDS[name]), tmp_path)
    return name


@pytest.fixture
def connector(kind: str, tmp_path: Path) -> Iterator[PosConnector]:
    built = build_connector(settings_for(kind, tmp_path))
    yield built
    built.close()


@pytest.fixture
def known_sku(connector: PosConnector) -> str:
    """A SKU the connector's POS knows and holds stock of."""
    if isinstance(connector, FileFeed):
        return FEED_SKUS[0]
    return next(str(r.sku) for r in connector.read_items() if r.on_hand and r.parent_code is None)


def documents_under(connector: PosConnector, key: str) -> int:
    """How many documents the POS holds under idempotency key `key` (orders and credits)."""
    if isinstance(connector, DemoPos):
        return sum(1 for d in connector.documents() if d.idempotency_key == key)
    if isinstance(connector, SqlConnector):
        return sql_documents_under(connector, key)
    assert isinstance(connector, FileFeed)
    outbox = connector.settings.outbox
    name = key.replace(":", "__")
    folders = [outbox, outbox / "sent", outbox / "credits", outbox / "credits" / "sent"]
    return sum(1 for folder in folders for _ in folder.glob(f"{name}.json"))


@pytest.fixture
def count_documents() -> Callable[[PosConnector, str], int]:
    return documents_under
