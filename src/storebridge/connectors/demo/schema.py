"""The demo POS's SQLite database: its tables and how a connection is opened.

The demo POS stands in for a real till system, so its schema has what one
has: an item master (with web flag, web-store prices, promotion dates and
matrix styles), on-hand per location, customers, documents (invoices and
credits, each under a UNIQUE idempotency key) with their lines, and stock
moves that say *why* an on-hand figure changed, and reservations holding web
orders' units (`demo.reservations`).

Every write to an item, its stock or its web-store prices stamps the item
with the next number of one change sequence (``item_changes``, kept by
triggers, so no writer can forget it): writers are serialised, so a later
commit always carries a higher number, and a reader that remembers the
highest number it saw reads exactly the items changed since (`DemoPos`'s
incremental reads).

Money is stored as TEXT holding a two-decimal string (``"19.99"``) so that it
round-trips through `Decimal` without float error; quantities are INTEGER.

Every connection runs in autocommit mode (``isolation_level=None``): writers
open their transaction explicitly with ``BEGIN IMMEDIATE``, which takes the
write lock up front so a check-then-insert (idempotency key lookup, document
numbering) cannot interleave with another writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from storebridge.errors import PosUnavailable

__all__ = ["SCHEMA", "connect", "ensure_schema", "transaction"]

#: How long a writer waits for another writer's lock before the call fails as unavailable.
BUSY_TIMEOUT_MS = 5_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    sku               TEXT PRIMARY KEY,
    sku_key           TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    category          TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    short_description TEXT NOT NULL DEFAULT '',
    price             TEXT NOT NULL,
    sale_price        TEXT,
    sale_from         TEXT,
    sale_to           TEXT,
    web               INTEGER NOT NULL DEFAULT 0,
    weight            TEXT,
    parent_code       TEXT,
    parent_name       TEXT,
    attributes        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS ix_items_parent ON items (parent_code);
CREATE TABLE IF NOT EXISTS webstore_prices (
    sku      TEXT NOT NULL REFERENCES items (sku) ON DELETE CASCADE,
    webstore TEXT NOT NULL,
    price    TEXT NOT NULL,
    PRIMARY KEY (sku, webstore)
);
CREATE TABLE IF NOT EXISTS stock (
    sku      TEXT NOT NULL REFERENCES items (sku) ON DELETE CASCADE,
    location TEXT NOT NULL,
    on_hand  INTEGER NOT NULL,
    PRIMARY KEY (sku, location)
);
CREATE TABLE IF NOT EXISTS customers (
    ref        TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    email_key  TEXT UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name  TEXT NOT NULL DEFAULT '',
    company    TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    billing    TEXT NOT NULL DEFAULT '{}',
    shipping   TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    ref             TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('invoice', 'credit')),
    seq             INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    customer_ref    TEXT NOT NULL REFERENCES customers (ref),
    original_ref    TEXT REFERENCES documents (ref),
    total           TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (kind, seq)
);
CREATE TABLE IF NOT EXISTS document_lines (
    document_ref TEXT NOT NULL REFERENCES documents (ref),
    line_no      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('item', 'non_inventory', 'shipping', 'fee')),
    sku          TEXT,
    name         TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    unit_price   TEXT NOT NULL,
    total        TEXT NOT NULL,
    tax          TEXT NOT NULL,
    gross        TEXT NOT NULL DEFAULT '',
    tax_rate     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (document_ref, line_no)
);
CREATE TABLE IF NOT EXISTS stock_moves (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sku          TEXT NOT NULL,
    location     TEXT NOT NULL,
    delta        INTEGER NOT NULL,
    reason       TEXT NOT NULL CHECK (
                     reason IN ('seed', 'sale', 'receipt', 'web_invoice', 'credit', 'adjustment')
                 ),
    document_ref TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_stock_moves_sku ON stock_moves (sku);
CREATE TABLE IF NOT EXISTS reservations (
    idempotency_key TEXT PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('held', 'converted', 'released')),
    invoice_ref     TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reservation_lines (
    idempotency_key TEXT NOT NULL REFERENCES reservations (idempotency_key),
    sku             TEXT NOT NULL,
    location        TEXT NOT NULL,
    quantity        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_reservation_lines_sku ON reservation_lines (sku, location);
CREATE TABLE IF NOT EXISTS item_changes (
    sku TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_item_changes_seq ON item_changes (seq);
-- A reservation held, released or converted changes what `read_items` offers for
-- its SKUs (on-hand less what is held), so it stamps them too.
CREATE TRIGGER IF NOT EXISTS tr_reservations_update_changes AFTER UPDATE OF state ON reservations
BEGIN
    INSERT INTO item_changes (sku, seq)
    SELECT DISTINCT sku, (SELECT COALESCE(MAX(seq), 0) + 1 FROM item_changes)
    FROM reservation_lines WHERE idempotency_key = NEW.idempotency_key
    ON CONFLICT (sku) DO UPDATE SET seq = excluded.seq;
END;
""" + "".join(
    f"""CREATE TRIGGER IF NOT EXISTS tr_{table}_{event.lower()}_changes AFTER {event} ON {table}
BEGIN
    INSERT INTO item_changes (sku, seq)
    VALUES ({row}.sku, (SELECT COALESCE(MAX(seq), 0) + 1 FROM item_changes))
    ON CONFLICT (sku) DO UPDATE SET seq = excluded.seq;
END;
"""
    for table in ("items", "stock", "webstore_prices", "reservation_lines")
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
)


def connect(path: Path) -> sqlite3.Connection:
    """Open the database in WAL mode (the file is created if missing; see `ensure_schema`).

    Connections are opened per call and closed after it, so a connector may be
    called from any worker thread (engines use `asyncio.to_thread`); a
    streaming read may even be resumed from another thread, hence
    `check_same_thread=False` (each connection is still used by one caller).

    `synchronous=FULL` makes a committed invoice survive a power cut, not only
    a process crash: StoreBridge records "exported" right after the commit, so
    a lost commit would be a lost order.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.OperationalError as exc:
        raise PosUnavailable(f"demo POS database {path} cannot be opened: {exc}") from exc
    return conn


#: Columns added after the first release: (table, column, definition) for older files.
ADDED_COLUMNS = (
    ("document_lines", "gross", "TEXT NOT NULL DEFAULT ''"),
    ("document_lines", "tax_rate", "TEXT NOT NULL DEFAULT ''"),
)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables that do not exist yet and add newer columns (idempotent).

    A database written by an older version gets the money-breakdown columns
    with an empty value on its existing lines (their gross was never booked).
    """
    try:
        conn.executescript(SCHEMA)
        for table, column, definition in ADDED_COLUMNS:
            present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    except sqlite3.OperationalError as exc:
        raise PosUnavailable(f"demo POS schema cannot be created: {exc}") from exc


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one ``BEGIN IMMEDIATE`` transaction: all of it commits, or none.

    A lock held too long by another writer surfaces as `PosUnavailable`
    (retry later), never as a half-written document.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise PosUnavailable(f"demo POS database is busy: {exc}") from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        conn.execute("ROLLBACK")
        raise PosUnavailable(f"demo POS commit failed: {exc}") from exc


def times_by_key(conn: sqlite3.Connection, query: str, keys: Sequence[str]) -> dict[str, datetime]:
    """`query`'s (idempotency key, ISO time) rows for `keys`, 500 keys a statement.

    `query` selects the two columns and holds ``{marks}`` where the key list goes.
    """
    found: dict[str, datetime] = {}
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        rows = conn.execute(query.format(marks=",".join("?" for _ in chunk)), chunk)
        for key, at in rows:
            found[str(key)] = datetime.fromisoformat(at)
    return found
