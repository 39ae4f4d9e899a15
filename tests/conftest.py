"""Shared fixtures: throw-away databases on SQLite, PostgreSQL and MariaDB.

- `sqlite_url`: a SQLite file in the test's tmp_path.
- `postgres_url`: a fresh, empty PostgreSQL database per test on
  127.0.0.1:5432 (user postgres, trust auth), dropped afterwards.
- `mariadb_url`: the same on MariaDB at 127.0.0.1:3306 (root, no password).
- `db_backend`: parametrised over "sqlite" and "postgres" (marked `postgres`);
  `db_url` is an empty database on it, `migrated_db_url` an empty database
  already migrated to head (SQLite: a copy of a file migrated once per
  session; PostgreSQL: one database per session, emptied before each test,
  because creating a database per test costs about a second), and
  `migrated_engine` / `migrated_session_factory` are built on it.

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

pytest_plugins = ("pytester",)  # tests/persistence/test_persistence_fixtures.py runs inner sessions

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
        f"{server} not reachable at {where}: start it or set {REQUIRE_SERVICES_ENV}=1 in CI"
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


def _mariadb_connect() -> pymysql.connections.Connection[Any]:
    return pymysql.connect(
        host=MARIADB_HOST, port=MARIADB_PORT, user="root", password="", database="test",
        connect_timeout=3, autocommit=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def _mariadb_reachable() -> BaseException | None:
    """None when MariaDB answers, else the error (checked once per session)."""
    try:
        _mariadb_connect().close()
    except pymysql.Error as exc:
        return exc
    return None


@pytest.fixture
def mariadb_url(_mariadb_reachable: BaseException | None) -> Iterator[str]:
    """A fresh empty MariaDB database for this test (PyMySQL URL), dropped after it."""
    if _mariadb_reachable is not None:
        _unreachable("MariaDB", f"{MARIADB_HOST}:{MARIADB_PORT}", _mariadb_reachable)
    name = _unique_name()
    connection = _mariadb_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        connection.close()
    try:
        yield f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"
    finally:
        connection = _mariadb_connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            connection.close()


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


_SHAPE_SQL = """
SELECT 'rel:' || n.nspname || '.' || c.relname || ':' || c.relkind::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
UNION ALL
SELECT 'proc:' || n.nspname || '.' || p.proname
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
UNION ALL
SELECT 'version:' || version_num FROM alembic_version
"""


class _SharedPostgres:
    """One PostgreSQL database migrated to head, reset before each test that uses it.

    Creating and dropping a database costs around a second on a busy machine,
    so `migrated_db_url` reuses this one: before each test, connections left
    by the previous test are terminated, every table is emptied and every
    sequence restarted.  If a
    test changed the schema (or the reset fails), the database is rebuilt.
    """

    def __init__(self, admin: psycopg.Connection[Any]) -> None:
        self.admin = admin
        self.name = ""
        self.shape: list[tuple[Any, ...]] = []
        self.connection: psycopg.Connection[Any] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{self.name}"

    def _connect(self) -> psycopg.Connection[Any]:
        connection = psycopg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", dbname=self.name,
            autocommit=True, connect_timeout=3,
        )  # fmt: skip
        connection.execute("SET lock_timeout = '10s'")
        return connection

    def _build(self) -> None:
        self.drop()
        self.name = _unique_name().replace("sb_test_", "sb_shared_")
        self.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        upgrade(self.url)
        self.connection = self._connect()
        self.shape = sorted(self.connection.execute(_SHAPE_SQL).fetchall())

    def _reset(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        if sorted(connection.execute(_SHAPE_SQL).fetchall()) != self.shape:
            return False
        tables = connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname !~ '^pg_' AND schemaname <> 'information_schema' "
            "AND tablename <> 'alembic_version'"
        ).fetchall()
        sequences = connection.execute(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' "
            "AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
        ).fetchall()
        # DELETE is several times faster than TRUNCATE on tables this small; the
        # replica role skips foreign-key triggers, so the order of tables is free.
        with connection.transaction():
            connection.execute("SET LOCAL session_replication_role = replica")
            for (table,) in tables:
                connection.execute(sql.SQL("DELETE FROM {}").format(sql.SQL(table)))
            for (sequence,) in sequences:
                connection.execute(sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.SQL(sequence)))
        return True

    def fresh_url(self) -> str:
        try:
            reset = bool(self.name) and self._reset()
        except psycopg.Error:
            reset = False
        if not reset:
            self._build()
        return self.url

    def drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.name:
            self.admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            self.name = ""


@pytest.fixture(scope="session")
def _postgres_shared(
    _postgres_admin: psycopg.Connection[Any] | BaseException,
) -> Iterator[_SharedPostgres]:
    if isinstance(_postgres_admin, BaseException):
        _unreachable("PostgreSQL", f"{POSTGRES_HOST}:{POSTGRES_PORT}", _postgres_admin)
    shared = _SharedPostgres(_postgres_admin)
    try:
        yield shared
    finally:
        shared.drop()


@pytest.fixture
def migrated_db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database already migrated to head.

    SQLite: a copy of a file migrated once per session.  PostgreSQL: a
    database migrated once per session and emptied before each test (stop any
    background thread or server using it before the test ends).
    """
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "migrated.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    shared: _SharedPostgres = request.getfixturevalue("_postgres_shared")
    return shared.fresh_url()


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
