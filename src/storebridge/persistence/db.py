"""Engines, sessions and schema migrations for StoreBridge's own database.

Two backends are supported:

- **SQLite** (the default, one file): the folder is created, and every
  connection turns on WAL (readers never block the writer), foreign keys and a
  busy timeout (a second writer waits instead of failing at once).  pysqlite's
  own transaction handling is switched off in favour of an explicit ``BEGIN``
  so that transactions and SAVEPOINTs behave as on PostgreSQL.  A write
  transaction (`Sessions.begin`) begins ``IMMEDIATE``: it takes the write lock
  before its first read.  A deferred transaction that reads and then writes
  fails at once with "database is locked" when another writer committed in
  between (its snapshot is stale; the busy timeout cannot help), which is what
  made dashboard logins fail while jobs ran.
- **PostgreSQL** through psycopg 3 (``postgresql+psycopg://``; plain
  ``postgresql://`` is read as psycopg too).

The schema is owned by Alembic; the migrations ship inside the package
(`storebridge/persistence/migrations`) and `upgrade` runs them
programmatically, so `storebridge db upgrade` needs no ``alembic.ini``.
Engines are built by the composition root from settings, never at import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from storebridge.persistence.contention import retry_when_busy

__all__ = [
    "MIGRATIONS_DIR",
    "SQLITE_BUSY_TIMEOUT_MS",
    "WRITE_TRANSACTION",
    "Sessions",
    "alembic_config",
    "create_engine_for",
    "current_revision",
    "head_revision",
    "normalise_url",
    "session_factory",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 15_000
#: Execution option of the connections `Sessions.begin` hands out: their transaction writes.
WRITE_TRANSACTION = "storebridge_write_transaction"


def normalise_url(url: str | URL) -> URL:
    """Parse `url`, mapping a driver-less PostgreSQL URL onto psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    options: dict[str, Any] = {"echo": echo}
    if _is_memory(url):
        # One shared connection, or every checkout would see a new empty database.
        options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        assert url.database is not None
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = sa_create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Stop pysqlite from issuing BEGIN itself (it skips it before SELECTs and
        # breaks SAVEPOINT); the "begin" hook below emits it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_TRANSACTION):
            # Nothing has run in the transaction yet, so beginning again is safe.
            retry_when_busy(lambda: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def create_engine_for(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for StoreBridge's database (SQLite file or PostgreSQL).

    Args:
        url: ``sqlite:///path/file.sqlite3`` (its folder is created) or
            ``postgresql+psycopg://user@host:5432/db``.
        echo: log every SQL statement (debugging only).
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    return sa_create_engine(parsed, echo=echo, pool_pre_ping=True)


class Sessions(sessionmaker[Session]):
    """Sessions on StoreBridge's database, in two flavours.

    * ``with sessions() as session:`` reads.  On SQLite its transaction begins
      deferred, so it never waits for a writer (WAL).  Do not write in it.
    * ``with sessions.begin() as session:`` is a write transaction, committed
      at the end of the block (rolled back on an exception).  On SQLite it
      begins ``IMMEDIATE``, waiting (busy timeout, then `retry_when_busy`) for
      the write lock before anything else, so it cannot meet a lock later.
      Keep it short: no network call or password hashing inside.

    On PostgreSQL both are a plain ``BEGIN`` (row locks do the rest).
    Objects stay readable after commit.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(bind=engine, expire_on_commit=False)
        self._writer = engine.execution_options(**{WRITE_TRANSACTION: True})

    def begin(self) -> AbstractContextManager[Session]:
        """A write transaction in a new session (see the class docstring)."""
        return _transaction(self(bind=self._writer))


@contextmanager
def _transaction(session: Session) -> Iterator[Session]:
    with session, session.begin():
        yield session


def session_factory(engine: Engine) -> Sessions:
    """Read sessions and write transactions on `engine` (see `Sessions`)."""
    return Sessions(engine)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations.

    When `connection` is given, the migration environment runs on it (inside
    the caller's transaction) instead of opening its own.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _engine_of(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return create_engine_for(target), True


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database at `target` (a URL or an engine) up to `revision`."""
    engine, owned = _engine_of(target)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: str | URL | Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine, owned = _engine_of(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of StoreBridge."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no Alembic revisions found in {MIGRATIONS_DIR}")
    return head
