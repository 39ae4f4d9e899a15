"""Dialect helpers shared by the repositories (SQLite and PostgreSQL only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storebridge.persistence.tables import Base
from storebridge.persistence.types import utcnow


def insert_for(session: Session, model: type[Base] | Table) -> PgInsert | SqliteInsert:
    """An INSERT supporting ``ON CONFLICT`` for the session's backend."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(model)
    if dialect == "sqlite":
        return sqlite_insert(model)
    raise RuntimeError(f"StoreBridge storage supports SQLite and PostgreSQL, not {dialect}")


def rowcount(
    session: Session, statement: Executable, params: list[dict[str, Any]] | None = None
) -> int:
    """Execute an UPDATE or DELETE (once per `params` entry); how many rows it touched."""
    result = cast(CursorResult[Any], session.execute(statement, params))
    return result.rowcount


def inserted(session: Session, statement: PgInsert | SqliteInsert) -> int:
    """Execute an INSERT (typically ``ON CONFLICT DO NOTHING``); how many rows it added.

    Counted from ``RETURNING`` because the DBAPI rowcount of an INSERT is not
    reliable across drivers (psycopg reports -1 through SQLAlchemy).
    """
    return len(session.execute(statement.returning(statement.table.c.id)).all())


def now_or(now: datetime | None) -> datetime:
    """`now` if given (it must be aware), else the current UTC time."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now
