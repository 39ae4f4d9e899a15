"""The connection to the POS/ERP database and what its errors mean.

`connect_engine` builds a SQLAlchemy engine from the settings (the password
never appears in an error).  `translated` turns driver errors into
StoreBridge's decisions, naming the configured query at fault:

* the server is unreachable, a deadlock, a lock timeout → `PosUnavailable`
  (retry later);
* the SQL is wrong (syntax, unknown table or column, no permission) →
  `ConfigError` naming the query, since no retry can fix it.

`columns_of` runs a query wrapped as ``SELECT * FROM (<query>) q WHERE 1 = 0``
to learn its column names without reading rows, so a missing column is
reported before anything is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from storebridge.connectors.sql.settings import SqlSettings
from storebridge.errors import ConfigError, PosUnavailable

__all__ = ["columns_of", "connect_engine", "is_transient", "require_columns", "translated"]


def connect_engine(settings: SqlSettings) -> Engine:
    """An engine on the POS database (connections are opened lazily)."""
    url = settings.engine_url()
    options: dict[str, object] = {"pool_pre_ping": True}
    if url.get_backend_name() != "sqlite":
        options["pool_size"] = 2
    try:
        return create_engine(url, **options)
    except (ImportError, SQLAlchemyError) as exc:
        raise ConfigError(
            f"the SQL connector cannot use dialect {url.drivername!r}: "
            f"{exc.__class__.__name__}; install its driver or fix the url"
        ) from None


def _first_line(exc: BaseException) -> str:
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return str(original).strip().splitlines()[0] if str(original).strip() else repr(original)


# MySQL/MariaDB error numbers worth a retry: too many connections, shutdown, lock wait
# timeout, deadlock, and the client's "cannot connect" / "server has gone away" family.
_MYSQL_TRANSIENT = frozenset({1040, 1053, 1205, 1213, 2002, 2003, 2006, 2013, 2055})
# SQLSTATE classes worth a retry: connection, transaction rollback (deadlock,
# serialization), insufficient resources, operator intervention, system error.
_SQLSTATE_TRANSIENT = frozenset({"08", "40", "53", "57", "58"})


def is_transient(exc: DBAPIError) -> bool:
    """Whether a retry may succeed (the server, not the SQL, is the problem)."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in _SQLSTATE_TRANSIENT or sqlstate == "55P03"
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL and friends: (errno, message)
        return args[0] in _MYSQL_TRANSIENT
    message = str(orig).lower()
    if "locked" in message or "unable to open" in message or "disk i/o" in message:
        return True  # SQLite's transient failures
    return (
        isinstance(exc, OperationalError) and "no such" not in message and "syntax" not in message
    )


@contextmanager
def translated(query: str) -> Iterator[None]:
    """Re-raise driver errors raised inside as PosUnavailable or ConfigError (see above).

    Args:
        query: the configured query's name, e.g. ``queries.items``.
    """
    try:
        yield
    except IntegrityError:
        raise  # a key conflict: the writer decides what it means
    except DBAPIError as exc:
        if is_transient(exc):
            raise PosUnavailable(f"POS database: {query}: {_first_line(exc)}") from exc
        raise ConfigError(
            f"{query} failed in the POS database: {_first_line(exc)}; fix the SQL of {query}"
        ) from exc


def columns_of(conn: Connection, name: str, sql: str, params: Mapping[str, object]) -> list[str]:
    """The column names `sql` returns (lower-case), without reading a row."""
    with translated(name):
        result = conn.execute(text(f"SELECT * FROM ({sql}) sb_probe WHERE 1 = 0"), dict(params))
        keys = [str(k).lower() for k in result.keys()]  # noqa: SIM118 - column names, not rows
        result.close()
    return keys


def require_columns(name: str, found: list[str], required: tuple[str, ...]) -> None:
    """Raise ConfigError naming `name` and the first required column it lacks."""
    missing = [c for c in required if c not in found]
    if missing:
        raise ConfigError(
            f"{name} returns no column {missing[0]!r}"
            + (f" (nor {', '.join(map(repr, missing[1:]))})" if missing[1:] else "")
            + f"; it returns {', '.join(found) or 'nothing'}; alias a column AS {missing[0]}"
        )
