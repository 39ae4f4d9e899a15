"""Column types that keep StoreBridge's datetimes timezone-aware on every backend.

PostgreSQL stores ``timestamptz`` and returns aware values, but SQLite (and
MariaDB) have no time zone: they hand back naive datetimes.  `UTCDateTime`
normalises on the way in (refusing naive values, which would be ambiguous)
and re-attaches UTC on the way out, so callers always get aware UTC datetimes
and cursor comparisons never mix naive and aware values.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["BigId", "UTCDateTime", "utcnow"]

#: Surrogate keys: BIGINT on PostgreSQL, INTEGER on SQLite, where only an
#: "INTEGER PRIMARY KEY" column is an auto-incrementing rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that only accepts and only returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name != "postgresql":
            # Without a time zone type, store UTC wall-clock time (sortable as text on SQLite).
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
