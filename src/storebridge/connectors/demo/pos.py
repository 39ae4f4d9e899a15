"""The built-in demo POS: a small till system in a SQLite file, seeded with a shop.

`DemoPos` implements `ports.PosConnector` against the schema of
`demo.schema`, `ports.IncrementalReader` (a products run reads only the
items changed since the previous one, by the schema's change sequence, and
everything every `full_read_every_s`) and `ports.PosReserver`
(`demo.reservations`: holds that the till and `read_items` respect).  On
first open of an empty database it seeds a believable
catalogue (`demo.catalogue`); `simulate_step` plays store life against it
(`demo.simulation`); the write side books invoices and credits exactly once
per idempotency key (`demo.documents`, which documents the stock and guest
customer rules).

Every call opens its own SQLite connection, so the connector is safe to call
from `asyncio.to_thread` workers and from several processes at once (WAL).

Two fault knobs serve the export retry tests: `fail_next(n)` makes the next
*n* calls raise (`PosUnavailable` by default) and `unavailable = True` makes
every call raise until it is cleared.  A third works from outside the process
(the soak uses it): while a file named like the database plus
``.unavailable`` exists (`offline_marker`), every connector call raises
`PosUnavailable`; the till's own `simulate_step` carries on.

Example::

    pos = DemoPos(DemoPosSettings(path=Path("var/demo.sqlite3")))
    items = list(pos.read_items())
    receipt = pos.write_order(document)      # a second call returns the same pos_ref
    events = pos.simulate_step(random.Random(1))
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from storebridge.connectors.demo import documents as demo_documents
from storebridge.connectors.demo import reservations as demo_reservations
from storebridge.connectors.demo.catalogue import WEBSTORE, catalogue, insert_items
from storebridge.connectors.demo.schema import connect, ensure_schema, times_by_key, transaction
from storebridge.connectors.demo.simulation import SimEvent, StoreLife
from storebridge.connectors.read_position import ReadPosition, full_read_due
from storebridge.connectors.settings import DemoPosSettings
from storebridge.domain.model import (
    CreditDocument,
    CustomerDoc,
    OrderDocument,
    RawItem,
    SourceRef,
    money,
    sku_key,
)
from storebridge.errors import ConnectorError, PosUnavailable
from storebridge.ports import ReadOutcome, ReserveReceipt, WriteReceipt

__all__ = ["DemoDocument", "DemoPos"]

_ITEMS_SQL = """
SELECT i.rowid AS rowno, i.*,
       -- what the till may sell: on-hand less the units reservations hold there
       (SELECT json_group_object(
                   s.location,
                   CASE WHEN s.on_hand <= 0 THEN s.on_hand
                        ELSE max(s.on_hand - (SELECT COALESCE(SUM(h.quantity), 0)
                                              FROM reservation_lines h
                                              JOIN reservations r
                                                ON r.idempotency_key = h.idempotency_key
                                              WHERE r.state = 'held' AND h.sku = s.sku
                                                AND h.location = s.location), 0) END)
        FROM stock s WHERE s.sku = i.sku)
           AS stock_json,
       (SELECT json_group_object(w.webstore, w.price) FROM webstore_prices w WHERE w.sku = i.sku)
           AS web_json
FROM items i
{where}
ORDER BY i.rowid
"""
_ALL_ITEMS = _ITEMS_SQL.format(where="")
_CHANGED_ITEMS = _ITEMS_SQL.format(
    where="WHERE i.sku IN (SELECT c.sku FROM item_changes c WHERE c.seq > ?)"
)


@dataclass(frozen=True, slots=True)
class DemoDocument:
    """An invoice or credit as booked in the demo POS (for tests, the demo and the CLI)."""

    ref: str
    kind: str
    idempotency_key: str
    customer_ref: str
    total: Decimal
    original_ref: str | None


def _raw_item(row: sqlite3.Row) -> RawItem:
    return RawItem(
        ref=SourceRef(
            source="demo:items",
            line=row["rowno"],
            raw=f"{row['sku']} {row['name']!r} price={row['price']} "
            f"sale={row['sale_price']} web={row['web']}",
        ),
        sku=row["sku"],
        name=row["name"],
        regular_price=row["price"],
        sale_price=row["sale_price"],
        sale_from=row["sale_from"],
        sale_to=row["sale_to"],
        on_hand=json.loads(row["stock_json"]),
        web_flag=bool(row["web"]),
        webstore_prices=json.loads(row["web_json"]),
        description=row["description"],
        short_description=row["short_description"],
        categories=(row["category"],),
        weight=row["weight"],
        parent_code=row["parent_code"],
        parent_name=row["parent_name"],
        attributes=json.loads(row["attributes"]),
    )


class DemoPos:
    """The demo POS connector (see the module docstring)."""

    name = "demo"
    updates_customers = True

    def __init__(self, settings: DemoPosSettings, *, today: date | None = None) -> None:
        self.settings = settings
        self.unavailable = False
        self._lock = threading.Lock()
        self._faults_left = 0
        self._last_read: ReadOutcome | None = None
        self._fault: type[ConnectorError] = PosUnavailable
        self._rules = demo_documents.StockRules(
            settings.effective_web_location, settings.locations, settings.allow_negative_stock
        )
        with self._connection() as conn:
            ensure_schema(conn)
        self._seed(
            settings.seed_items, settings.seed_styles, settings.random_seed, today, first_open=True
        )

    # -- plumbing --------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.settings.path)
        try:
            yield conn
        except sqlite3.OperationalError as exc:  # locked, disk full, I/O: worth a retry
            raise PosUnavailable(f"demo POS database {self.settings.path}: {exc}") from exc
        finally:
            conn.close()

    @property
    def offline_marker(self) -> Path:
        """The file whose presence takes the POS offline (see the module docstring)."""
        return self.settings.path.with_name(self.settings.path.name + ".unavailable")

    def _check_fault(self, operation: str) -> None:
        with self._lock:
            if self.unavailable or self.offline_marker.exists():
                raise PosUnavailable(f"demo POS is unavailable ({operation}); try again later")
            if self._faults_left > 0:
                self._faults_left -= 1
                raise self._fault(f"demo POS injected fault on {operation}")

    def fail_next(self, n: int, exc: type[ConnectorError] = PosUnavailable) -> None:
        """Make the next `n` connector calls raise `exc` (for retry tests)."""
        with self._lock:
            self._faults_left = n
            self._fault = exc

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""

    # -- catalogue ---------------------------------------------------------------

    def _seed(
        self,
        n_items: int,
        n_styles: int,
        random_seed: int,
        today: date | None,
        *,
        first_open: bool,
    ) -> int:
        now = datetime.now(UTC)
        day = today or now.date()
        with self._connection() as conn, transaction(conn):
            count = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            seeded = conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone()
            if first_open and (count or seeded):
                return 0  # an existing shop is never reseeded behind its owner's back
            if count:
                raise ValueError(
                    f"demo POS {self.settings.path} already holds {count} items; "
                    "delete the file to seed a new catalogue"
                )
            items = catalogue(n_items, n_styles, random_seed, self.settings.locations, day)
            inserted = insert_items(conn, items, now)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_item_seq', ?),"
                " ('seeded', ?)",
                (str(n_items + 1), now.isoformat()),
            )
            return inserted

    def seed(
        self, n_items: int, n_styles: int, random_seed: int, *, today: date | None = None
    ) -> int:
        """Seed an empty database; returns the number of items (variants count one each).

        Deterministic for a given seed and `today` (promotion dates are relative
        to it; the current UTC date by default).  Raises ValueError when the
        database already holds items.
        """
        return self._seed(n_items, n_styles, random_seed, today, first_open=False)

    def read_items(self) -> Iterator[RawItem]:
        """Stream every item (web-flagged or not) with on-hand per location."""
        self._check_fault("read_items")
        with self._connection() as conn:
            for row in conn.execute(_ALL_ITEMS):
                yield _raw_item(row)

    def read_items_since(self, position: str | None) -> Iterator[RawItem]:
        """The items changed since `position` (every item when none, or when a full read is due).

        The highest change number is read *before* the items, in its own
        statement: every change up to it is committed, so the item query
        (a later snapshot) sees it; a change committed in between may come
        twice (now and in the next read), never not at all.
        """
        self._check_fault("read_items")
        now = datetime.now(UTC)
        start = ReadPosition.decode(position)
        full = not self.settings.incremental or full_read_due(
            start, now, self.settings.full_read_every_s
        )
        since = None if start is None or full else start.cursor
        if not isinstance(since, int):
            full, since = True, None
        self._last_read = None
        with self._connection() as conn:
            top = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM item_changes").fetchone()[0])
            rows = (
                conn.execute(_ALL_ITEMS)
                if since is None
                else conn.execute(_CHANGED_ITEMS, (since,))
            )
            for row in rows:
                yield _raw_item(row)
        full_read_at = now if full or start is None else start.full_read_at
        self._last_read = ReadOutcome(full, ReadPosition(top, full_read_at).encode())

    @property
    def last_read(self) -> ReadOutcome | None:
        """What the last exhausted `read_items_since` was, and the position to store after it."""
        return self._last_read

    def simulate_step(
        self, rng: random.Random, events: int = 10, *, now: datetime | None = None
    ) -> list[SimEvent]:
        """Play `events` random shop events in one transaction; returns what happened."""
        life = StoreLife(self.settings.locations, self.settings.allow_negative_stock)
        with self._connection() as conn, transaction(conn):
            return life.step(conn, rng, now or datetime.now(UTC), events)

    # -- write side ----------------------------------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        self._check_fault("find_document")
        with self._connection() as conn:
            row = conn.execute(
                "SELECT ref FROM documents WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return None if row is None else str(row["ref"])

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        self._check_fault("known_skus")
        wanted = list(skus)
        keys = sorted({sku_key(s) for s in wanted})
        found: set[str] = set()
        with self._connection() as conn:
            for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    row[0]
                    for row in conn.execute(
                        f"SELECT sku_key FROM items WHERE sku_key IN ({marks})", chunk
                    )
                )
        return {s for s in wanted if sku_key(s) in found}

    def upsert_customer(self, customer: CustomerDoc) -> str:
        self._check_fault("upsert_customer")
        with self._connection() as conn, transaction(conn):
            return demo_documents.upsert_customer(
                conn, customer, datetime.now(UTC), update=self.updates_customers
            )

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        """Invoice the order once; a reservation under its key ends in the same transaction."""
        self._check_fault("write_order")
        now = datetime.now(UTC)
        with self._connection() as conn, transaction(conn):
            receipt = demo_documents.write_order(
                conn, document, self._rules, now, update_customers=self.updates_customers
            )
            demo_reservations.convert(conn, document.idempotency_key, receipt.pos_ref, now)
            return receipt

    # -- reservations (ports.PosReserver; see demo.reservations) ------------------------

    def reserve(self, document: OrderDocument) -> ReserveReceipt:
        self._check_fault("reserve")
        with self._connection() as conn, transaction(conn):
            return demo_reservations.reserve(conn, document, self._rules, datetime.now(UTC))

    def release(self, idempotency_key: str) -> bool:
        self._check_fault("release")
        with self._connection() as conn, transaction(conn):
            return demo_reservations.release(conn, idempotency_key, datetime.now(UTC))

    def reservations_applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        self._check_fault("reservations_applied")
        with self._connection() as conn:
            return demo_reservations.applied(conn, sorted(set(idempotency_keys)))

    def held(self, sku: str) -> dict[str, int]:
        """Units of `sku` that live reservations hold per location (tests, dashboard)."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT h.location, SUM(h.quantity) AS units FROM reservation_lines h"
                " JOIN reservations r ON r.idempotency_key = h.idempotency_key"
                " JOIN items i ON i.sku = h.sku"
                " WHERE r.state = 'held' AND i.sku_key = ? GROUP BY h.location",
                (sku_key(sku),),
            ).fetchall()
        return {str(row["location"]): int(row["units"]) for row in rows}

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """The demo POS books an order into its stock as it writes it: applied when written."""
        self._check_fault("applied")
        keys = sorted(set(idempotency_keys))
        with self._connection() as conn:
            return times_by_key(
                conn,
                "SELECT idempotency_key, created_at FROM documents"
                " WHERE kind = 'invoice' AND idempotency_key IN ({marks})",
                keys,
            )

    def write_credit(self, document: CreditDocument) -> str:
        self._check_fault("write_credit")
        with self._connection() as conn, transaction(conn):
            return demo_documents.write_credit(conn, document, self._rules, datetime.now(UTC))

    # -- looking inside (demo, dashboard, tests) -------------------------------------

    def on_hand(self, sku: str) -> dict[str, int]:
        """On-hand per location of `sku` (matched case-insensitively); {} when unknown."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT s.location, s.on_hand FROM stock s JOIN items i ON i.sku = s.sku"
                " WHERE i.sku_key = ? ORDER BY s.location",
                (sku_key(sku),),
            ).fetchall()
        return {row["location"]: row["on_hand"] for row in rows}

    def documents(self) -> list[DemoDocument]:
        """Every booked invoice and credit, oldest first."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT ref, kind, idempotency_key, customer_ref, total, original_ref"
                " FROM documents ORDER BY created_at, ref"
            ).fetchall()
        return [
            DemoDocument(
                ref=r["ref"],
                kind=r["kind"],
                idempotency_key=r["idempotency_key"],
                customer_ref=r["customer_ref"],
                total=Decimal(r["total"]),
                original_ref=r["original_ref"],
            )
            for r in rows
        ]

    def customer_email(self, ref: str) -> str | None:
        """The e-mail stored on customer `ref` ("" for the shared guest), None if unknown."""
        with self._connection() as conn:
            row = conn.execute("SELECT email FROM customers WHERE ref = ?", (ref,)).fetchone()
        return None if row is None else str(row["email"])

    def set_price(
        self,
        sku: str,
        price: Decimal | str,
        sale_price: Decimal | str | None = None,
        sale_from: datetime | None = None,
        sale_to: datetime | None = None,
    ) -> None:
        """Change an item's shelf price and promotion, as a back-office user would."""
        with self._connection() as conn, transaction(conn):
            conn.execute(
                "UPDATE items SET price = ?, sale_price = ?, sale_from = ?, sale_to = ?"
                " WHERE sku_key = ?",
                (
                    str(money(price)),
                    None if sale_price is None else str(money(sale_price)),
                    None if sale_from is None else sale_from.isoformat(),
                    None if sale_to is None else sale_to.isoformat(),
                    sku_key(sku),
                ),
            )

    def set_on_hand(self, sku: str, location: str, quantity: int) -> None:
        """Count a location's stock (an `adjustment` move records the difference)."""
        now = datetime.now(UTC).isoformat()
        with self._connection() as conn, transaction(conn):
            item = conn.execute("SELECT sku FROM items WHERE sku_key = ?", (sku_key(sku),))
            row = item.fetchone()
            if row is None:
                raise KeyError(f"the demo POS has no item {sku!r}")
            old = conn.execute(
                "SELECT on_hand FROM stock WHERE sku = ? AND location = ?", (row["sku"], location)
            ).fetchone()
            before = old["on_hand"] if old else 0
            conn.execute(
                "INSERT INTO stock (sku, location, on_hand) VALUES (?, ?, ?)"
                " ON CONFLICT (sku, location) DO UPDATE SET on_hand = excluded.on_hand",
                (row["sku"], location, quantity),
            )
            conn.execute(
                "INSERT INTO stock_moves (sku, location, delta, reason, at)"
                " VALUES (?, ?, ?, 'adjustment', ?)",
                (row["sku"], location, quantity - before, now),
            )

    def set_web(self, sku: str, selected: bool) -> None:
        """Flag or unflag an item for the web (the `flag` selection mode reads it)."""
        with self._connection() as conn, transaction(conn):
            conn.execute(
                "UPDATE items SET web = ? WHERE sku_key = ?", (int(selected), sku_key(sku))
            )
            # The web store's assortment follows the flag, as the simulation's does.
            if selected:
                conn.execute(
                    "INSERT OR IGNORE INTO webstore_prices (sku, webstore, price)"
                    " SELECT sku, ?, price FROM items WHERE sku_key = ?",
                    (WEBSTORE, sku_key(sku)),
                )
            else:
                conn.execute(
                    "DELETE FROM webstore_prices WHERE sku IN"
                    " (SELECT sku FROM items WHERE sku_key = ?)",
                    (sku_key(sku),),
                )
