"""SQLite state for the sandbox: one connection, one lock, one schema.

Every resource is a JSON document plus the indexed columns its queries need
(SKU key, status, dates, parent, e-mail...), so a lookup or a page of a
100,000-product catalogue is an index seek, never a scan of documents.

`Database.transaction()` nests: the outermost call is a real transaction,
inner calls are savepoints, so one failing item of a batch rolls back alone.
Callbacks registered with `after_commit` (webhook events) run only once the
outermost transaction commits, and are dropped with a rolled-back savepoint.
The connection is shared by the event loop and the webhook worker thread, so
every use goes through the re-entrant lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    parent_id INTEGER NOT NULL DEFAULT 0,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    sku TEXT NOT NULL DEFAULT '',
    sku_key TEXT,
    name TEXT NOT NULL DEFAULT '',
    slug TEXT NOT NULL DEFAULT '',
    menu_order INTEGER NOT NULL DEFAULT 0,
    price_num REAL,
    total_sales INTEGER NOT NULL DEFAULT 0,
    date_created_gmt TEXT NOT NULL,
    date_modified_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS products_sku_key ON products(sku_key);
CREATE INDEX IF NOT EXISTS products_created ON products(kind, date_created_gmt, id);
CREATE INDEX IF NOT EXISTS products_modified ON products(kind, date_modified_gmt, id);
CREATE INDEX IF NOT EXISTS products_status ON products(kind, status);
CREATE INDEX IF NOT EXISTS products_type ON products(kind, type);
CREATE INDEX IF NOT EXISTS products_parent ON products(parent_id, menu_order, id);
CREATE INDEX IF NOT EXISTS products_slug ON products(slug);
CREATE INDEX IF NOT EXISTS products_name ON products(kind, name);

CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    customer_id INTEGER NOT NULL DEFAULT 0,
    date_created_gmt TEXT NOT NULL,
    date_modified_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_created ON orders(date_created_gmt, id);
CREATE INDEX IF NOT EXISTS orders_modified ON orders(date_modified_gmt, id);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS orders_customer ON orders(customer_id);

CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    date_created_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_order ON refunds(order_id);

CREATE TABLE IF NOT EXISTS order_notes (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    date_created_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS order_notes_order ON order_notes(order_id, date_created_gmt);

CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY,
    email_key TEXT NOT NULL UNIQUE,
    username_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    date_created_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    topic TEXT NOT NULL,
    date_created_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_topic ON webhooks(topic, status);

CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY,
    taxonomy TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS terms_slug ON terms(taxonomy, slug);

CREATE TABLE IF NOT EXISTS coupons (
    id INTEGER PRIMARY KEY,
    code_key TEXT NOT NULL UNIQUE,
    date_created_gmt TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS options (name TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS tax_rates (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS oauth_nonces (
    consumer_key TEXT NOT NULL,
    nonce TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (consumer_key, nonce)
);
"""

# First value of each id sequence. Products, orders, refunds and coupons share
# WordPress' posts sequence, as they do for real (golden 741 product, 742 order).
SEQUENCE_STARTS = {
    "post": 100,
    "term": 16,  # 15 is "Uncategorized"
    "user": 2,  # 1 is the admin who owns the API keys
    "webhook": 1,
    "order_item": 1,
    "meta": 1,
    "comment": 1,
    "tax_rate": 1,
}

UNCATEGORIZED_ID = 15

Row = sqlite3.Row


class Database:
    """The sandbox's SQLite connection, its lock and its transactions."""

    def __init__(self, path: str = ":memory:") -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._pending: list[list[Callable[[], None]]] = []
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.executescript(SCHEMA)
        with self.transaction():
            self._seed_defaults()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction, or a savepoint when one is already open."""
        with self._lock:
            level = self._depth
            if level == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            else:
                self._conn.execute(f"SAVEPOINT sp{level}")
            self._depth += 1
            self._pending.append([])
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                self._pending.pop()
                if level == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO sp{level}")
                    self._conn.execute(f"RELEASE sp{level}")
                raise
            self._depth -= 1
            callbacks = self._pending.pop()
            if level == 0:
                self._conn.execute("COMMIT")
            else:
                self._conn.execute(f"RELEASE sp{level}")
                self._pending[-1].extend(callbacks)
                return
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the outermost transaction has committed."""
        with self._lock:
            if not self._pending:
                callback()
                return
            self._pending[-1].append(callback)

    def next_ids(self, name: str, count: int = 1) -> int:
        """Reserve `count` consecutive ids of a sequence; returns the first."""
        with self.transaction() as conn:
            row = conn.execute(
                "UPDATE sequences SET next_value = next_value + ? WHERE name = ? "
                "RETURNING next_value",
                (count, name),
            ).fetchone()
        return int(row[0]) - count

    def next_id(self, name: str) -> int:
        """Reserve one id of a sequence."""
        return self.next_ids(name, 1)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        """Fetch one row."""
        with self.transaction() as conn:
            row: Row | None = conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        """Fetch all rows."""
        with self.transaction() as conn:
            return list(conn.execute(sql, params).fetchall())

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; returns the number of changed rows."""
        with self.transaction() as conn:
            return conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for many rows (used by seeding)."""
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def reset(self) -> None:
        """Forget every resource; ids start again."""
        with self.transaction() as conn:
            for table in (
                "products",
                "orders",
                "refunds",
                "order_notes",
                "customers",
                "webhooks",
                "terms",
                "coupons",
                "oauth_nonces",
                "options",
                "tax_rates",
                "sequences",
            ):
                conn.execute(f"DELETE FROM {table}")
            self._seed_defaults()

    def _seed_defaults(self) -> None:
        conn = self._conn
        for name, start in SEQUENCE_STARTS.items():
            conn.execute(
                "INSERT OR IGNORE INTO sequences(name, next_value) VALUES (?, ?)", (name, start)
            )
        doc = {"parent": 0, "description": "", "display": "default", "menu_order": 0}
        conn.execute(
            "INSERT OR IGNORE INTO terms(id, taxonomy, name, slug, doc) VALUES (?, ?, ?, ?, ?)",
            (UNCATEGORIZED_ID, "product_cat", "Uncategorized", "uncategorized", dumps(doc)),
        )


def dumps(doc: Any) -> str:
    """Serialise a document for a `doc` column."""
    return json.dumps(doc, separators=(",", ":"))


def loads(text: str) -> Any:
    """Read a `doc` column."""
    return json.loads(text)
