"""Fixtures of the connector tests: every connector, built from its settings by the registry.

The Tryton connector runs against a real trytond (connectors/tryton/server.py): the
database is built once per machine and lock-file hash, one server serves the
test session (trytond takes ~20 s to load its modules), and every test that
uses it starts from a fresh copy of the built database, restored into the
served file with SQLite's backup API while the server is idle.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.tryton import seed as tryton_seed
from storebridge.connectors.tryton import server as tryton_server
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.ports import PosConnector

HERE = Path(__file__).parent


def _load(name: str) -> None:
    # pytest imports test modules with --import-mode=importlib, so this folder is
    # not on sys.path: register the shared helper modules by name once.
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("connector_samples")

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
    "tryton",
    pytest.param("sql-postgres", marks=pytest.mark.postgres),
    pytest.param("sql-mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(scope="session")
def tryton_session_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tryton_server.TrytonServer]:
    built = tryton_server.built_database(tryton_seed.ADMIN_PASSWORD)
    with tryton_server.TrytonServer(built, tmp_path_factory.mktemp("trytond")) as server:
        server.pristine = built
        yield server


@pytest.fixture
def tryton(tryton_session_server: tryton_server.TrytonServer) -> tryton_server.TrytonServer:
    """The session's trytond, its database reset to the freshly built copy."""
    tryton_session_server.reset()
    return tryton_session_server


@pytest.fixture(params=CONNECTOR_KINDS)
def kind(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    name = str(request.param)
    if name in SQL_KINDS:  # a sample POS database of its own, dropped after the test
        prepare_sql_pos(request.getfixturevalue(SQL_KINDS[name]), tmp_path)
    return name


@pytest.fixture
def connector_settings(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> ConnectorSettings:
    url = request.getfixturevalue("tryton").url if kind == "tryton" else None
    return settings_for(kind, tmp_path, url)


@pytest.fixture
def connector(connector_settings: ConnectorSettings) -> Iterator[PosConnector]:
    built = build_connector(connector_settings)
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
    if isinstance(connector, TrytonConnector):
        return int(connector.rpc.call("sale.sale", "search_count", [("web_id", "=", key)]))
    assert isinstance(connector, FileFeed)
    outbox = connector.settings.outbox
    name = key.replace(":", "__")
    folders = [outbox, outbox / "sent", outbox / "credits", outbox / "credits" / "sent"]
    return sum(1 for folder in folders for _ in folder.glob(f"{name}.json"))


@pytest.fixture
def count_documents() -> Callable[[PosConnector, str], int]:
    return documents_under
