"""What happens to the shop between two runs: price updates, stock counts, web orders.

The changes are set up in bulk, the way a back office imports a new price
list or a stocktake (one transaction on the demo POS, each count logged as
an ``adjustment`` stock move like `DemoPos.set_on_hand` does), because
setting up 5,000 counts one call at a time would cost minutes that the
benchmark does not measure.  Which items change is deterministic: they are
spread evenly over the catalogue.

Web orders are placed through the sandbox's control plane, as shoppers
checking out (WooCommerce lowers its stock at once; StoreBridge learns of
them through the REST API like from a real store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from storebridge.connectors.demo.schema import connect, transaction

__all__ = [
    "ChangeSet",
    "change_prices",
    "count_stock",
    "order_burst",
    "spread",
    "till_sale",
    "web_skus",
]


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The SKUs a bulk change touched."""

    skus: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.skus)


def spread(skus: list[str], count: int, *, offset: int = 0) -> list[str]:
    """`count` SKUs taken evenly across `skus` (every n-th one, starting at `offset`)."""
    if count <= 0 or not skus:
        return []
    step = max(1, len(skus) // count)
    return [skus[(offset + i * step) % len(skus)] for i in range(min(count, len(skus)))]


def _skus(path: Path) -> list[str]:
    conn = connect(path)
    try:
        return [row["sku"] for row in conn.execute("SELECT sku FROM items ORDER BY rowid")]
    finally:
        conn.close()


def change_prices(path: Path, count: int, *, rise: Decimal = Decimal("1.00")) -> ChangeSet:
    """Raise the shelf price of `count` items by `rise` (a sale price stays below it)."""
    chosen = spread(_skus(path), count)
    conn = connect(path)
    try:
        with transaction(conn):
            for sku in chosen:
                (price,) = conn.execute("SELECT price FROM items WHERE sku = ?", (sku,)).fetchone()
                conn.execute(
                    "UPDATE items SET price = ? WHERE sku = ?", (str(Decimal(price) + rise), sku)
                )
    finally:
        conn.close()
    return ChangeSet(tuple(chosen))


def count_stock(path: Path, count: int, *, found: int = 7) -> ChangeSet:
    """A stocktake that finds `found` more units of `count` items in their last location."""
    chosen = spread(_skus(path), count, offset=1)  # not the same items as the price change
    now = datetime.now(UTC).isoformat()
    conn = connect(path)
    try:
        with transaction(conn):
            for sku in chosen:
                location, on_hand = conn.execute(
                    "SELECT location, on_hand FROM stock WHERE sku = ? ORDER BY location DESC",
                    (sku,),
                ).fetchone()
                conn.execute(
                    "UPDATE stock SET on_hand = ? WHERE sku = ? AND location = ?",
                    (on_hand + found, sku, location),
                )
                conn.execute(
                    "INSERT INTO stock_moves (sku, location, delta, reason, at)"
                    " VALUES (?, ?, ?, 'adjustment', ?)",
                    (sku, location, found, now),
                )
    finally:
        conn.close()
    return ChangeSet(tuple(chosen))


def till_sale(path: Path) -> str:
    """One unit of a stocked item sold at the till (as `demo.simulation` books a sale)."""
    conn = connect(path)
    try:
        with transaction(conn):
            sku, location = conn.execute(
                "SELECT sku, location FROM stock WHERE on_hand > 1 ORDER BY rowid LIMIT 1"
            ).fetchone()
            conn.execute(
                "UPDATE stock SET on_hand = on_hand - 1 WHERE sku = ? AND location = ?",
                (sku, location),
            )
            conn.execute(
                "INSERT INTO stock_moves (sku, location, delta, reason, at)"
                " VALUES (?, ?, -1, 'sale', ?)",
                (sku, location, datetime.now(UTC).isoformat()),
            )
    finally:
        conn.close()
    return str(sku)


def web_skus(path: Path, count: int, *, at_least: int) -> list[str]:
    """`count` SKUs holding at least `at_least` units in all, best stocked first."""
    conn = connect(path)
    try:
        rows = conn.execute(
            "SELECT sku, SUM(on_hand) AS units FROM stock GROUP BY sku"
            " HAVING units >= ? ORDER BY units DESC, sku LIMIT ?",
            (at_least, count),
        ).fetchall()
    finally:
        conn.close()
    if len(rows) < count:
        raise ValueError(f"only {len(rows)} items hold {at_least} units; the burst needs {count}")
    return [row["sku"] for row in rows]


def order_burst(skus: list[str], orders: int) -> list[dict[str, Any]]:
    """`orders` one-unit checkouts spread round-robin over `skus` (control-plane payloads)."""
    return [
        {
            "sku": skus[i % len(skus)],
            "quantity": 1,
            "status": "processing",
            "set_paid": True,
            "billing": {"email": f"shopper{i}@example.com", "first_name": "Bench"},
        }
        for i in range(orders)
    ]
