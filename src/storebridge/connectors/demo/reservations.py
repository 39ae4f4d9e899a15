"""The demo POS's reservations: web orders' units held on the shelf until the order is sold.

A reservation is a hold, not a sale: nothing leaves the shelf, but the till
(`simulation.StoreLife`) and the connector's `read_items` see each location's
on-hand *less what is held there* (never below 0), so the shop cannot sell a
unit a web order has taken.  Units are held where the invoice would take
them (`documents.StockRules`: the web location first), as far as the shelf
has them.

One row per idempotency key, written inside the caller's ``BEGIN IMMEDIATE``
transaction, so a repeated `reserve` finds the hold and a crash leaves the
whole hold or none:

* ``held``: the units are held (`reserve`);
* ``converted``: the order was invoiced under the same key (`convert`, called
  by `DemoPos.write_order` in the invoice's own transaction): the hold ends
  as the invoice takes the units, so they are never counted twice;
* ``released``: the order was cancelled before export (`release`); a later
  `reserve` under the key holds again.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storebridge.connectors.balance import refuse_unbalanced
from storebridge.connectors.demo.documents import StockRules, pos_sku
from storebridge.connectors.demo.schema import times_by_key
from storebridge.domain.model import OrderDocument
from storebridge.ports import ReserveReceipt

__all__ = ["HELD_SQL", "applied", "convert", "held_at", "release", "reserve"]

#: Units held at (sku, location) by live reservations: bind sku and location.
HELD_SQL = """
SELECT COALESCE(SUM(h.quantity), 0) FROM reservation_lines h
JOIN reservations r ON r.idempotency_key = h.idempotency_key
WHERE r.state = 'held' AND h.sku = ? AND h.location = ?
"""


def held_at(conn: sqlite3.Connection, sku: str, location: str) -> int:
    """Units of `sku` that live reservations hold at `location`."""
    return int(conn.execute(HELD_SQL, (sku, location)).fetchone()[0])


def reserve(
    conn: sqlite3.Connection, document: OrderDocument, rules: StockRules, now: datetime
) -> ReserveReceipt:
    """Hold the order's units once per key; a released hold under the key is renewed."""
    key = document.idempotency_key
    row = conn.execute(
        "SELECT ref, state FROM reservations WHERE idempotency_key = ?", (key,)
    ).fetchone()
    if row is not None and row["state"] != "released":
        return ReserveReceipt(str(row["ref"]), applied=True, already_existed=True)
    refuse_unbalanced(document)
    if row is None:
        seq = conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] + 1
        ref = f"RES-{seq:06d}"
        conn.execute(
            "INSERT INTO reservations (idempotency_key, ref, state, created_at, updated_at)"
            " VALUES (?, ?, 'held', ?, ?)",
            (key, ref, now.isoformat(), now.isoformat()),
        )
    else:
        ref = str(row["ref"])
        conn.execute("DELETE FROM reservation_lines WHERE idempotency_key = ?", (key,))
        conn.execute(
            "UPDATE reservations SET state = 'held', updated_at = ? WHERE idempotency_key = ?",
            (now.isoformat(), key),
        )
    for line in document.lines:
        sku = pos_sku(conn, line.sku)
        if sku is not None and line.quantity > 0:
            _hold(conn, rules, key, sku, line.quantity)
    return ReserveReceipt(ref, applied=True)


def _hold(conn: sqlite3.Connection, rules: StockRules, key: str, sku: str, quantity: int) -> None:
    remaining = quantity
    for location in rules.order:
        if remaining <= 0:
            return
        row = conn.execute(
            "SELECT on_hand FROM stock WHERE sku = ? AND location = ?", (sku, location)
        ).fetchone()
        free = max((row["on_hand"] if row else 0) - held_at(conn, sku, location), 0)
        take = min(remaining, free)
        if take:
            conn.execute(
                "INSERT INTO reservation_lines (idempotency_key, sku, location, quantity)"
                " VALUES (?, ?, ?, ?)",
                (key, sku, location, take),
            )
            remaining -= take
    # Units the shelf does not have are not held: the web order oversold them already, and
    # holding them would only hide the shortfall from the till's count.


def release(conn: sqlite3.Connection, key: str, now: datetime) -> bool:
    """End a live hold; False when the key holds nothing (never reserved, released, invoiced)."""
    done = conn.execute(
        "UPDATE reservations SET state = 'released', updated_at = ?"
        " WHERE idempotency_key = ? AND state = 'held'",
        (now.isoformat(), key),
    )
    return done.rowcount > 0


def convert(conn: sqlite3.Connection, key: str, invoice_ref: str, now: datetime) -> None:
    """The order was invoiced under its key: the hold ends as the invoice takes the units."""
    conn.execute(
        "UPDATE reservations SET state = 'converted', invoice_ref = ?, updated_at = ?"
        " WHERE idempotency_key = ? AND state = 'held'",
        (invoice_ref, now.isoformat(), key),
    )


def applied(conn: sqlite3.Connection, keys: list[str]) -> dict[str, datetime]:
    """When each live or converted hold of these keys was placed: the till saw it at once."""
    return times_by_key(
        conn,
        "SELECT idempotency_key, updated_at FROM reservations"
        " WHERE state IN ('held', 'converted') AND idempotency_key IN ({marks})",
        keys,
    )
