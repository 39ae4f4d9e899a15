"""`SqlConnector`: any POS/ERP whose items, stock and documents sit in a SQL database.

It implements `ports.PosConnector` (reads through `sql.reader`, writes
through `sql.writer`) and `ports.IncrementalReader`, so the products engine
can keep a read position between runs and read only what changed.

Example::

    pos = SqlConnector(SqlSettings.model_validate(config))
    items = list(pos.read_items())                       # a full snapshot
    changes = list(pos.read_items_since(position))       # then pos.last_read.position
    receipt = pos.write_order(document)                  # a second call: already_existed
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sqlalchemy import bindparam, text

from storebridge.connectors.sql.database import connect_engine, translated
from storebridge.connectors.sql.reader import ReadPosition, SqlReader
from storebridge.connectors.sql.settings import SqlSettings
from storebridge.connectors.sql.values import Converter
from storebridge.connectors.sql.writer import SqlWriter
from storebridge.domain.model import CreditDocument, CustomerDoc, OrderDocument, RawItem, sku_key
from storebridge.ports import ReadOutcome, WriteReceipt

__all__ = ["SqlConnector"]

_CHUNK = 500


class SqlConnector:
    """The SQL database connector (see the module docstring)."""

    name = "sql"
    updates_customers = True

    def __init__(self, settings: SqlSettings) -> None:
        self.settings = settings
        self.engine = connect_engine(settings)
        self.converter = Converter(settings.timezone, settings.bytes_encoding)
        self.reader = SqlReader(self.engine, settings, self.converter)
        self.writer = SqlWriter(self.engine, settings)

    def close(self) -> None:
        self.engine.dispose()

    # -- read side ---------------------------------------------------------------------

    def read_items(self) -> Iterator[RawItem]:
        """A full snapshot: every row of the items query with its on-hand per location."""
        return self.reader.read(None, datetime.now(UTC))

    def read_items_since(self, position: str | None) -> Iterator[RawItem]:
        """The changes since `position` (a full read when none, or when one is due)."""
        return self.reader.read(ReadPosition.decode(position), datetime.now(UTC))

    @property
    def last_read(self) -> ReadOutcome | None:
        """What the last exhausted read was, and the position to store after it."""
        last = self.reader.last
        return None if last is None else ReadOutcome(last.complete, last.position.encode())

    @property
    def float_columns(self) -> frozenset[str]:
        """Columns that arrived as binary floats (converted, but better CAST in the query)."""
        return frozenset(self.converter.float_columns)

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        wanted = list(skus)
        keys = sorted({sku_key(s) for s in wanted if sku_key(s)})
        found: set[str] = set()
        statement = text(
            f"SELECT q.sku FROM ({self.settings.queries.items}) q WHERE LOWER(TRIM(q.sku)) IN :keys"
        ).bindparams(bindparam("keys", expanding=True))
        with translated("queries.items"), self.engine.connect() as conn:
            for start in range(0, len(keys), _CHUNK):
                rows = conn.execute(statement, {"keys": keys[start : start + _CHUNK]})
                found.update(sku_key(str(sku)) for (sku,) in rows)
        return {s for s in wanted if sku_key(s) in found}

    # -- write side ----------------------------------------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        return self.writer.find_document(idempotency_key)

    def upsert_customer(self, customer: CustomerDoc) -> str:
        return self.writer.upsert_customer(customer)

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        return self.writer.write_order(document)

    def write_credit(self, document: CreditDocument) -> str:
        return self.writer.write_credit(document)

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        return self.writer.applied(list(idempotency_keys))
