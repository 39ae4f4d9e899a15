"""Store life for the demo POS: what happens in a shop between two syncs.

`StoreLife.step` plays a handful of random events against the demo database:
till sales (on-hand goes down, never below 0 unless the settings allow it),
stock receipts, price changes, promotions starting and ending, items joining
or leaving the web selection, and new items.  It returns what it did, so the
demo can log it and a benchmark can count it.

The caller owns the transaction (`DemoPos.simulate_step` wraps one step in
one), and draws come from the `random.Random` it passes in, so a seeded run
replays the same shop day.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from storebridge.connectors.demo.catalogue import WEBSTORE, charm_price, insert_item, simple_item
from storebridge.connectors.demo.reservations import held_at
from storebridge.domain.model import money

__all__ = ["EventKind", "SimEvent", "StoreLife", "next_item_seq"]

EventKind = Literal[
    "sale", "receipt", "price_change", "promo_start", "promo_end", "web_on", "web_off", "new_item"
]

# How often each event happens, relative to the others: a shop mostly sells.
_WEIGHTS: dict[EventKind, int] = {
    "sale": 45,
    "receipt": 12,
    "price_change": 10,
    "promo_start": 8,
    "promo_end": 6,
    "web_on": 5,
    "web_off": 5,
    "new_item": 4,
}


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One thing that happened in the shop."""

    kind: EventKind
    sku: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.sku}: {self.detail}"


_Action = Callable[[sqlite3.Connection, random.Random, datetime], "SimEvent | None"]


def next_item_seq(conn: sqlite3.Connection) -> int:
    """Reserve the next simple-item number (kept in `meta` so SKUs never repeat)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'next_item_seq'").fetchone()
    seq = int(row["value"]) if row else 1
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('next_item_seq', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(seq + 1),),
    )
    return seq


def _pick(
    conn: sqlite3.Connection, rng: random.Random, table: str, where: str, args: Sequence[object]
) -> sqlite3.Row | None:
    """A random row of `table` matching `where`, found by rowid (no full-table ORDER BY random())."""
    top = conn.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0]
    if top is None:
        return None
    start = rng.randint(1, top)
    for op, order in ((">=", "ASC"), ("<", "DESC")):  # wrap around when nothing lies above
        row: sqlite3.Row | None = conn.execute(
            f"SELECT rowid, * FROM {table} WHERE rowid {op} ? AND ({where})"
            f" ORDER BY rowid {order} LIMIT 1",
            (start, *args),
        ).fetchone()
        if row is not None:
            return row
    return None


@dataclass
class StoreLife:
    """Plays random shop events against an open demo database connection."""

    locations: Sequence[str]
    allow_negative_stock: bool = False

    def step(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime, events: int = 10
    ) -> list[SimEvent]:
        """Play up to `events` random events; returns those that found something to act on."""
        actions: dict[EventKind, _Action] = {
            "sale": self._sale,
            "receipt": self._receipt,
            "price_change": self._price_change,
            "promo_start": self._promo_start,
            "promo_end": self._promo_end,
            "web_on": self._web_on,
            "web_off": self._web_off,
            "new_item": self._new_item,
        }
        done: list[SimEvent] = []
        kinds = list(_WEIGHTS)
        for kind in rng.choices(kinds, weights=[_WEIGHTS[k] for k in kinds], k=events):
            event = actions[kind](conn, rng, now)
            if event is not None:
                done.append(event)
        return done

    # -- stock ---------------------------------------------------------------

    def _move(
        self, conn: sqlite3.Connection, row: sqlite3.Row, delta: int, reason: str, now: datetime
    ) -> None:
        conn.execute(
            "UPDATE stock SET on_hand = on_hand + ? WHERE sku = ? AND location = ?",
            (delta, row["sku"], row["location"]),
        )
        conn.execute(
            "INSERT INTO stock_moves (sku, location, delta, reason, at) VALUES (?, ?, ?, ?, ?)",
            (row["sku"], row["location"], delta, reason, now.isoformat()),
        )

    def _sale(self, conn: sqlite3.Connection, rng: random.Random, now: datetime) -> SimEvent | None:
        # Till sales happen in the shops, not in the back store (the last location).
        shops = list(self.locations[:-1]) or list(self.locations)
        location = rng.choice(shops)
        wanted = rng.choice((1, 1, 1, 2, 3))
        where = "location = ?" if self.allow_negative_stock else "location = ? AND on_hand > 0"
        row = _pick(conn, rng, "stock", where, (location,))
        if row is None:
            return None
        # Units a web order's reservation holds are not for the till (demo.reservations).
        free = row["on_hand"] - held_at(conn, row["sku"], location)
        if not self.allow_negative_stock and free <= 0:
            return None
        sold = wanted if self.allow_negative_stock else min(wanted, free)
        self._move(conn, row, -sold, "sale", now)
        return SimEvent(
            "sale", row["sku"], f"sold {sold} at {location}, on hand {row['on_hand'] - sold}"
        )

    def _receipt(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        location = self.locations[-1] if rng.random() < 0.7 else rng.choice(self.locations)
        row = _pick(conn, rng, "stock", "location = ?", (location,))
        if row is None:
            return None
        received = rng.choice((6, 12, 12, 24, 48))
        self._move(conn, row, received, "receipt", now)
        return SimEvent(
            "receipt",
            row["sku"],
            f"received {received} at {location}, on hand {row['on_hand'] + received}",
        )

    # -- prices and promotions ----------------------------------------------

    def _price_change(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        row = _pick(conn, rng, "items", "1 = 1", ())
        old = None if row is None else _readable_price(row["price"])
        if row is None or old is None:
            return None
        new = charm_price(rng, int(old * Decimal(rng.choice(("0.85", "0.9", "1.1", "1.2")))))
        if new == old:
            new = money(old + 1)
        conn.execute("UPDATE items SET price = ? WHERE sku = ?", (str(new), row["sku"]))
        # A web-store price that followed the shelf price keeps following it.
        conn.execute(
            "UPDATE webstore_prices SET price = ? WHERE sku = ? AND price = ?",
            (str(new), row["sku"], str(old)),
        )
        sale_price = _readable_price(row["sale_price"])
        if sale_price is not None and sale_price >= new:
            self._end_promotion(conn, row["sku"])
        return SimEvent("price_change", row["sku"], f"price {old} -> {new}")

    def _promo_start(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        row = _pick(conn, rng, "items", "sale_price IS NULL", ())
        price = None if row is None else _readable_price(row["price"])
        if row is None or price is None:
            return None
        sale = charm_price(rng, int(price * Decimal(rng.choice(("0.6", "0.7", "0.75", "0.8")))))
        # The promotion applies to the web store's price too: stay under the lowest of them.
        web_prices = conn.execute(
            "SELECT price FROM webstore_prices WHERE sku = ?", (row["sku"],)
        ).fetchall()
        readable = (_readable_price(p["price"]) for p in web_prices)
        floor = min([price, *(p for p in readable if p is not None)])
        if sale >= floor:
            sale = money(floor * Decimal("0.8"))
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=rng.choice((7, 14, 21)))
        conn.execute(
            "UPDATE items SET sale_price = ?, sale_from = ?, sale_to = ? WHERE sku = ?",
            (str(sale), start.isoformat(), end.isoformat(), row["sku"]),
        )
        return SimEvent(
            "promo_start", row["sku"], f"on sale at {sale} (was {price}) until {end.date()}"
        )

    def _end_promotion(self, conn: sqlite3.Connection, sku: str) -> None:
        conn.execute(
            "UPDATE items SET sale_price = NULL, sale_from = NULL, sale_to = NULL WHERE sku = ?",
            (sku,),
        )

    def _promo_end(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        row = _pick(conn, rng, "items", "sale_price IS NOT NULL", ())
        if row is None:
            return None
        self._end_promotion(conn, row["sku"])
        return SimEvent("promo_end", row["sku"], f"back to {row['price']}")

    # -- web selection and new items ----------------------------------------

    def _web_on(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        row = _pick(conn, rng, "items", "web = 0", ())
        if row is None:
            return None
        conn.execute("UPDATE items SET web = 1 WHERE sku = ?", (row["sku"],))
        conn.execute(
            "INSERT OR REPLACE INTO webstore_prices (sku, webstore, price) VALUES (?, ?, ?)",
            (row["sku"], WEBSTORE, row["price"]),
        )
        return SimEvent("web_on", row["sku"], "added to the web selection")

    def _web_off(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        row = _pick(conn, rng, "items", "web = 1", ())
        if row is None:
            return None
        conn.execute("UPDATE items SET web = 0 WHERE sku = ?", (row["sku"],))
        conn.execute("DELETE FROM webstore_prices WHERE sku = ?", (row["sku"],))
        return SimEvent("web_off", row["sku"], "removed from the web selection")

    def _new_item(
        self, conn: sqlite3.Connection, rng: random.Random, now: datetime
    ) -> SimEvent | None:
        item = simple_item(rng, next_item_seq(conn), self.locations, now.date())
        insert_item(conn, item, now)
        flag = "for the web" if item.web else "in store only"
        return SimEvent(
            "new_item", item.sku, f"new {item.category.lower()} item {item.name!r} {flag}"
        )


def _readable_price(value: object) -> Decimal | None:
    """`value` as a price, or None when it is not one (a mistyped row the sync quarantines).

    Store life re-prices only what a shopkeeper could read: a row priced
    "twelve" or below zero stays as it is, for StoreBridge to quarantine.
    """
    if value is None:
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        return None
    return price if price.is_finite() and price >= 0 else None
