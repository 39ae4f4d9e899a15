"""The SQL connector's read side: items with on-hand per location, full or changes only.

One statement reads items and stock together, so the two are one consistent
snapshot and nothing is held in memory but the rows of one item::

    SELECT i.*, s.location, s.on_hand FROM
      (SELECT q.*, ROW_NUMBER() OVER () AS sb_row FROM (<items>) q) i
      LEFT JOIN (<on_hand>) s ON s.sku = i.sku
    ORDER BY i.sb_row

``sb_row`` numbers the item rows (it is the `SourceRef` line), so two rows
with the same SKU stay two rows and validation quarantines the duplicate.

Incremental reads (``changed_items`` + ``changed_on_hand`` configured).  The
cursor is the greatest ``cursor_value`` seen (an updated-at timestamp or a
row version).  A read from cursor *c* asks both changed queries for rows with
``cursor_value >= c - overlap`` (a closed start: rows at *c* come again, so
late commits in the same instant are seen; for timestamps the overlap also
covers transactions that commit after a read with an earlier updated_at),
then reads the *whole* row and *all* locations of every changed SKU through
the same join, filtered ``WHERE q.sku IN (...)``.  Only the changed queries
(one statement, one snapshot) move the cursor: the refetch is a later
snapshot, and its newer values would skip changes committed in between.  An item whose stock moved in
one location is therefore published with its full on-hand.  A full read
still runs every `full_read_every_s` (and when there is no cursor): deleted
rows never show up as changes.

`ReadPosition` is what the engine stores between runs (as text, `encode`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, TextClause, bindparam, text

from storebridge.connectors.read_position import ReadPosition, full_read_due
from storebridge.connectors.sql.database import columns_of, require_columns, translated
from storebridge.connectors.sql.settings import (
    ITEM_COLUMNS,
    REQUIRED_ITEM_COLUMNS,
    SqlSettings,
)
from storebridge.connectors.sql.values import Converter
from storebridge.domain.model import RawItem, Scalar, SourceRef
from storebridge.errors import ConfigError

__all__ = ["ReadPosition", "ReadResult", "SqlReader"]

_CHUNK = 500  # SKUs per `IN (...)`: far below every driver's bound-parameter limit
_STREAM = {"stream_results": True, "yield_per": 2_000}


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What the last read was: a full snapshot or changes, and the position after it."""

    complete: bool
    position: ReadPosition
    items: int


class _Highest:
    """The greatest cursor value seen; values of different types are a config error."""

    def __init__(self, start: object) -> None:
        self.value = start

    def see(self, value: object, query: str) -> None:
        if value is None:
            return
        try:
            if self.value is None or value > self.value:  # type: ignore[operator]
                self.value = value
        except TypeError:
            raise ConfigError(
                f"{query}: cursor_value {value!r} cannot be compared with {self.value!r}; "
                "every query must return the same kind of cursor (all timestamps with or "
                "without time zone, or all row versions)"
            ) from None


class SqlReader:
    """Reads items and on-hand through the configured queries (see the module docstring)."""

    def __init__(self, engine: Engine, settings: SqlSettings, converter: Converter) -> None:
        self.engine = engine
        self.settings = settings
        self.queries = settings.queries
        self.convert = converter
        self._checked = False
        self._stock_cursor = False
        self.last: ReadResult | None = None

    # -- the columns each query must return --------------------------------------------

    def check(self, conn: Connection) -> None:
        """Refuse queries lacking a column (ConfigError naming the query and the column)."""
        if self._checked:
            return
        q = self.queries
        incremental = q.incremental
        items = columns_of(conn, "queries.items", q.items, {})
        required = (*REQUIRED_ITEM_COLUMNS, *q.attributes.values())
        require_columns("queries.items", items, tuple(c.lower() for c in required))
        if incremental:
            require_columns("queries.items", items, ("cursor_value",))
        known = {*ITEM_COLUMNS, *(c.lower() for c in q.attributes.values())}
        unknown = [c for c in items if c not in known]
        if unknown:
            raise ConfigError(
                f"queries.items returns column {unknown[0]!r}, which is no feed field; "
                f"name columns after {', '.join(ITEM_COLUMNS)}, map attribute columns in "
                "queries.attributes, or drop it from the SELECT"
            )
        stock = columns_of(conn, "queries.on_hand", q.on_hand, {})
        require_columns("queries.on_hand", stock, ("sku", "location", "on_hand"))
        self._stock_cursor = "cursor_value" in stock
        if incremental:
            require_columns("queries.on_hand", stock, ("cursor_value",))
            for name, sql in (
                ("queries.changed_items", q.changed_items),
                ("queries.changed_on_hand", q.changed_on_hand),
            ):
                assert sql is not None
                found = columns_of(conn, name, sql, {"since": None})
                require_columns(name, found, ("sku", "cursor_value"))
        self._checked = True

    # -- reading ---------------------------------------------------------------------------

    def _join(self, filtered: bool) -> TextClause:
        q = self.queries
        stock_cursor = ", s.cursor_value AS sb_stock_cursor" if self._stock_cursor else ""
        where = " WHERE q.sku IN :skus" if filtered else ""
        statement = text(
            f"SELECT i.*, s.location AS sb_location, s.on_hand AS sb_on_hand{stock_cursor} "
            f"FROM (SELECT q.*, ROW_NUMBER() OVER () AS sb_row FROM ({q.items}) q{where}) i "
            f"LEFT JOIN ({q.on_hand}) s ON s.sku = i.sku ORDER BY i.sb_row"
        )
        return statement.bindparams(bindparam("skus", expanding=True)) if filtered else statement

    def _items(
        self,
        conn: Connection,
        skus: Sequence[object] | None,
        highest: _Highest,
        offset: int = 0,
    ) -> Iterator[RawItem]:
        """Rows of the join (all, or those of `skus`) grouped into RawItems.

        `offset` is added to each row number, so the chunks of one delta read
        keep distinct source lines.
        """
        statement = self._join(skus is not None)
        params = {"skus": list(skus)} if skus is not None else {}
        with translated("queries.items / queries.on_hand"):
            result = conn.execution_options(**_STREAM).execute(statement, params)
            try:
                index = {str(k).lower(): i for i, k in enumerate(result.keys())}
                current: Row[Any] | None = None
                stock: dict[str, Scalar] = {}
                for row in result:
                    if current is not None and row[index["sb_row"]] != current[index["sb_row"]]:
                        yield self._raw(current, index, stock, highest, offset)
                        stock = {}
                    current = row
                    location = row[index["sb_location"]]
                    if location is not None:
                        stock[str(location)] = self.convert.scalar(
                            row[index["sb_on_hand"]], "on_hand"
                        )
                        if "sb_stock_cursor" in index:
                            highest.see(
                                self.convert.cursor(row[index["sb_stock_cursor"]]),
                                "queries.on_hand",
                            )
                if current is not None:
                    yield self._raw(current, index, stock, highest, offset)
            finally:
                result.close()

    def _raw(
        self,
        row: Row[Any],
        index: dict[str, int],
        stock: dict[str, Scalar],
        highest: _Highest,
        offset: int,
    ) -> RawItem:
        def get(column: str) -> Scalar:
            i = index.get(column)
            return None if i is None else self.convert.scalar(row[i], column)

        if "cursor_value" in index:
            highest.see(self.convert.cursor(row[index["cursor_value"]]), "queries.items")
        q = self.queries
        sku = get("sku")
        shown = [
            f"{column}={value}"
            for column in ITEM_COLUMNS
            if column != "cursor_value" and (value := get(column)) is not None
        ]
        webstore_prices: dict[str, Scalar] = {}
        stores = get("webstore")
        if stores is not None:
            price = get("webstore_price") if "webstore_price" in index else get("price")
            names = (n.strip() for n in str(stores).split(q.category_separator))
            webstore_prices = dict.fromkeys((n for n in names if n), price)
        categories = get("categories")
        attributes = {name: get(column.lower()) for name, column in q.attributes.items()}
        return RawItem(
            ref=SourceRef("sql:items", offset + int(row[index["sb_row"]]), " ".join(shown)[:500]),
            sku=sku,
            name=get("name"),
            regular_price=get("price"),
            sale_price=get("sale_price"),
            sale_from=get("sale_from"),
            sale_to=get("sale_to"),
            on_hand=stock,
            web_flag=get("web_flag"),
            webstore_prices=webstore_prices,
            description=get("description"),
            short_description=get("short_description"),
            categories=tuple(
                part.strip()
                for part in str(categories or "").split(q.category_separator)
                if part.strip()
            ),
            weight=get("weight"),
            parent_code=get("parent_code"),
            parent_name=get("parent_name"),
            attributes={k: v for k, v in attributes.items() if v is not None},
        )

    def _changed_skus(self, conn: Connection, since: object, highest: _Highest) -> list[object]:
        """SKUs whose item row or stock changed at or after `since`, in first-seen order.

        Both changed queries run as one statement (one snapshot): with two, a
        change committed between them below the second one's newest cursor
        value would fall behind the cursor unseen.
        """
        q = self.queries
        name = "queries.changed_items / queries.changed_on_hand"
        found: dict[object, None] = {}
        with translated(name):
            result = conn.execute(
                text(
                    f"SELECT sb_a.sku, sb_a.cursor_value FROM ({q.changed_items}) sb_a "
                    f"UNION ALL SELECT sb_b.sku, sb_b.cursor_value FROM ({q.changed_on_hand}) sb_b"
                ),
                {"since": since},
            )
            for sku, cursor_value in result:
                highest.see(self.convert.cursor(cursor_value), name)
                if sku is not None:
                    found.setdefault(sku, None)
        return list(found)

    def read(self, position: ReadPosition | None, now: datetime) -> Iterator[RawItem]:
        """Everything, or what changed since `position`; `last` describes it once exhausted."""
        settings = self.settings
        full_due = not self.queries.incremental or full_read_due(
            position, now, settings.full_read_every_s
        )
        self.last = None
        with translated("url (connecting)"):
            conn = self.engine.connect()
        with conn:
            self.check(conn)
            count = 0
            if full_due:
                highest = _Highest(None)
                for item in self._items(conn, None, highest):
                    count += 1
                    yield item
                self.last = ReadResult(True, ReadPosition(highest.value, now), count)
                return
            assert position is not None
            highest = _Highest(position.cursor)
            since = position.cursor
            if isinstance(since, datetime):
                since -= timedelta(seconds=settings.cursor_overlap_s)
            changed = self._changed_skus(conn, since, highest)
            # The refetch is a later snapshot: its cursor values must not move the cursor
            # past changes the changed queries did not see.
            refetched = _Highest(None)
            for start in range(0, len(changed), _CHUNK):
                chunk = changed[start : start + _CHUNK]
                for item in self._items(conn, chunk, refetched, offset=count):
                    count += 1
                    yield item
            self.last = ReadResult(False, ReadPosition(highest.value, position.full_read_at), count)
