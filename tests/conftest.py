"""Shared fixtures: throw-away databases on SQLite, PostgreSQL and MariaDB.

- `sqlite_url`: a SQLite file in the test's tmp_path.
- `postgres_url`: a fresh, empty PostgreSQL database per test on
  127.0.0.1:5432 (user postgres, trust auth), dropped afterwards.
- `mariadb_url`: the same on MariaDB at 127.0.0.1:3306 (root, no password).
- `db_backend`: parametrised over "sqlite" and "postgres" (marked `postgres`);
  `db_url` is an empty database on it, `migrated_db_url` a fresh database
  already migrated to head (copied from a template migrated once per session,
  which is much faster than migrating per test), and `migrated_engine` /
  `migrated_session_factory` are built on `migrated_db_url`.

When a server does not answer, its tests are skipped, unless
STOREBRIDGE_REQUIRE_SERVICES=1 (set by CI), where they fail.  Tests using
`postgres_url` or `mariadb_url` are marked `postgres` / `mariadb`
automatically, so `pytest -m "not postgres"` deselects them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pymysql
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.db import create_engine_for, session_factory, upgrade

REQUIRE_SERVICES_ENV = "STOREBRIDGE_REQUIRE_SERVICES"
POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
MARIADB_HOST, MARIADB_PORT = "127.0.0.1", 3306


def _unreachable(server: str, where: str, error: BaseException) -> NoReturn:
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(
            f"{server} not reachable at {where} but {REQUIRE_SERVICES_ENV}=1: "
            f"{error.__class__.__name__}: {error}"
        )
    pytest.skip(
        f"{server} not reachable at {where}: start it or set "
        f"{REQUIRE_SERVICES_ENV}=1 in CI"
    )


def _unique_name() -> str:
    return f"sb_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "postgres_url" in names:
            item.add_marker(pytest.mark.postgres)
        if "mariadb_url" in names:
            item.add_marker(pytest.mark.mariadb)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file (not yet created) inside the test's tmp_path."""
    return f"sqlite:///{tmp_path / 'storebridge.sqlite3'}"


@pytest.fixture(scope="session")
def _postgres_admin() -> Iterator[psycopg.Connection[Any] | BaseException]:
    """One autocommit connection to the `test` database, or the error that prevented it."""
    try:
        connection = psycopg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user="postgres",
            dbname="test",
            connect_timeout=3,
            autocommit=True,
        )
    except psycopg.Error as exc:
        yield exc
        return
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def postgres_url(_postgres_admin: psycopg.Connection[Any] | BaseException) -> Iterator[str]:
    """A fresh empty PostgreSQL database for this test (psycopg 3 URL), dropped after it."""
    if isinstance(_postgres_admin, BaseException):
        _unreachable("PostgreSQL", f"{POSTGRES_HOST}:{POSTGRES_PORT}", _postgres_admin)
    name = _unique_name()
    _postgres_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        # FORCE: a pooled connection a test forgot to dispose must not leak the database.
        _postgres_admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def _mariadb_admin() -> Iterator[pymysql.connections.Connection[Any] | BaseException]:
    try:
        connection = pymysql.connect(
            host=MARIADB_HOST,
            port=MARIADB_PORT,
            user="root",
            password="",
            database="test",
            connect_timeout=3,
            autocommit=True,
        )
    except pymysql.Error as exc:
        yield exc
        return
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def mariadb_url(
    _mariadb_admin: pymysql.connections.Connection[Any] | BaseException,
) -> Iterator[str]:
    """A fresh empty MariaDB database for this test (PyMySQL URL), dropped after it."""
    if isinstance(_mariadb_admin, BaseException):
        _unreachable("MariaDB", f"{MARIADB_HOST}:{MARIADB_PORT}", _mariadb_admin)
    name = _unique_name()
    _mariadb_admin.ping(reconnect=True)
    with _mariadb_admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"
    finally:
        _mariadb_admin.ping(reconnect=True)
        with _mariadb_admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which storage backend a `db_url` / `migrated_*` test runs on: "sqlite" or "postgres"."""
    backend: str = request.param
    return backend


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest) -> str:
    """An empty StoreBridge storage database: SQLite, then PostgreSQL."""
    url: str = request.getfixturevalue("sqlite_url" if db_backend == "sqlite" else "postgres_url")
    return url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, copied by `migrated_db_url`."""
    path = tmp_path_factory.mktemp("template") / "storebridge.sqlite3"
    upgrade(f"sqlite:///{path}")  # disposes its engine: the WAL is checkpointed into the file
    return path


@pytest.fixture(scope="session")
def _postgres_template(
    _postgres_admin: psycopg.Connection[Any] | BaseException,
) -> Iterator[str]:
    """A PostgreSQL database migrated to head once per session, cloned per test."""
    if isinstance(_postgres_admin, BaseException):
        _unreachable("PostgreSQL", f"{POSTGRES_HOST}:{POSTGRES_PORT}", _postgres_admin)
    name = _unique_name().replace("sb_test_", "sb_template_")
    _postgres_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        upgrade(f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}")
        yield name
    finally:
        _postgres_admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def migrated_db_url(
    db_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh database already migrated to head (a copy of a per-session template)."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "migrated.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("_postgres_template")
    admin: psycopg.Connection[Any] = request.getfixturevalue("_postgres_admin")
    name = _unique_name()
    admin.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template_name)
        )
    )
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def migrated_engine(migrated_db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to head (SQLite, then PostgreSQL)."""
    engine = create_engine_for(migrated_db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def migrated_session_factory(migrated_engine: Engine) -> sessionmaker[Session]:
    """Sessions on a fresh migrated database (SQLite, then PostgreSQL, via `db_backend`)."""
    return session_factory(migrated_engine)
