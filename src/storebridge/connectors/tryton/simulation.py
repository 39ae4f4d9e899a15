"""Store life for a Tryton shop: till sales, receipts and price changes in a real Tryton.

The demo POS plays its shop day in its SQLite file (`connectors.demo.simulation`);
here the shop is a real Tryton, and `TrytonStoreLife` plays it over JSON-RPC as
the shop's staff would:

- a till sale goes through `sale.point.sale` (`TrytonTill`) as a cashier's
  would: the sale with its line, a payment of its total, `process` (paid, so
  `done`) and `post`.  Only posting moves the stock (tryton.md §2), so the
  on-hand StoreBridge reads drops as it does in a real shop;
- a receipt is a done move from the supplier into a warehouse, at a cost price;
- a price change writes the template's list price (every variant of a style
  follows, as Tryton prices them).

Taxes are not modelled: the line's gross price is the product's list price.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from storebridge.connectors.demo.catalogue import charm_price
from storebridge.connectors.tryton.reader import PRODUCT_DOMAIN
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.domain.model import money
from storebridge.errors import ConfigError, PosRejected

__all__ = ["LifeEvent", "TillSale", "TrytonStoreLife", "TrytonTill"]

LifeEvent = Literal["sale", "receipt", "price_change"]
#: How often each event happens, relative to the others: a shop mostly sells.
_WEIGHTS: dict[LifeEvent, int] = {"sale": 45, "receipt": 12, "price_change": 10}


@dataclass(frozen=True, slots=True)
class TillSale:
    """One posted till sale."""

    sale_id: int
    sku: str
    quantity: int
    total: Decimal

    def __str__(self) -> str:
        return f"till sale #{self.sale_id}: {self.quantity} x {self.sku} ({self.total})"


class TrytonTill:
    """A `sale.point` of the Tryton database, selling with one payment method."""

    def __init__(self, rpc: TrytonRpc, point: str, payment_method: str) -> None:
        self.rpc = rpc
        self.point_name = point
        self.method_name = payment_method
        self._ids: tuple[int, int] | None = None

    def _point_and_method(self) -> tuple[int, int]:
        if self._ids is None:
            self._ids = (
                self._one("sale.point", self.point_name),
                self._one("sale.point.payment.method", self.method_name),
            )
        return self._ids

    def _one(self, model: str, name: str) -> int:
        ids = self.rpc.call(model, "search", [("name", "=", name)], 0, 2, None)
        if len(ids) != 1:
            problem = "no" if not ids else "more than one"
            raise ConfigError(f"Tryton has {problem} {model} named {name!r}")
        return int(ids[0])

    def sell(self, sku: str, quantity: int) -> TillSale:
        """Sell `quantity` of the product with code `sku` at its list price, paid and posted."""
        if quantity <= 0:
            raise ValueError(f"a till sale sells at least one unit, not {quantity}")
        point, method = self._point_and_method()
        products: list[dict[str, Any]] = self.rpc.call(
            "product.product",
            "search_read",
            [("code", "=", sku)],
            0,
            2,
            None,
            ["list_price_used"],
        )
        if len(products) != 1 or products[0]["list_price_used"] is None:
            raise PosRejected(f"Tryton has no single priced product with code {sku!r}")
        price = Decimal(products[0]["list_price_used"])
        line = {
            "product": products[0]["id"],
            "quantity": quantity,
            # RPC runs no on_change: give what the till's client would fill in (tryton.md §5)
            "unit_list_price": price,
            "unit_gross_price": price,
        }
        (sale,) = self.rpc.call(
            "sale.point.sale", "create", [{"point": point, "lines": [["create", [line]]]}]
        )
        (read,) = self.rpc.call("sale.point.sale", "read", [sale], ["total"])
        total = Decimal(read["total"])
        self.rpc.call(
            "sale.point.payment", "create", [{"sale": sale, "method": method, "amount": total}]
        )
        self.rpc.call("sale.point.sale", "process", [sale])
        self.rpc.call("sale.point.sale", "post", [sale])
        return TillSale(int(sale), sku, quantity, total)


class TrytonStoreLife:
    """Random shop events in a Tryton database: till sales, receipts, price changes.

    `till` sells from the shop floor (its sale point's storage); receipts come
    into the warehouse `receiving` (a code or name).  Draws come from the
    `random.Random` passed to `step`, so a seeded run replays the same day.
    """

    def __init__(self, rpc: TrytonRpc, till: TrytonTill, *, shop: str, receiving: str) -> None:
        self.rpc = rpc
        self.till = till
        self.shop_name = shop
        self.receiving_name = receiving
        self._locations: dict[str, int] | None = None

    def step(self, rng: random.Random, events: int = 2) -> list[str]:
        """Play up to `events` random events; returns what happened, one line each."""
        actions: dict[LifeEvent, Callable[[random.Random], str | None]] = {
            "sale": self.sell_one,
            "receipt": self.receive_one,
            "price_change": self.reprice_one,
        }
        kinds = list(_WEIGHTS)
        done = []
        for kind in rng.choices(kinds, weights=[_WEIGHTS[k] for k in kinds], k=events):
            line = actions[kind](rng)
            if line is not None:
                done.append(line)
        return done

    def sell_one(self, rng: random.Random) -> str | None:
        """A till sale of 1-3 units of a product the shop floor holds (never more than it has)."""
        stocked = [
            row
            for row in self._products(["code", "quantity"], self._location(self.shop_name))
            if row["code"] and (row["quantity"] or 0) >= 1
        ]
        if not stocked:
            return None
        row = rng.choice(stocked)
        quantity = min(rng.choice((1, 1, 1, 2, 3)), int(row["quantity"]))
        sale = self.till.sell(str(row["code"]), quantity)
        return f"{sale}, on hand at {self.shop_name} {int(row['quantity']) - quantity}"

    def receive_one(self, rng: random.Random) -> str | None:
        """A delivery from the supplier into the receiving warehouse, done at once."""
        products = [row for row in self._products(["code", "list_price_used"]) if row["code"]]
        if not products:
            return None
        row = rng.choice(products)
        received = rng.choice((6, 12, 12, 24, 48))
        cost = money(Decimal(row["list_price_used"] or 0) / 2)
        context = self.rpc.context
        (currency,) = self.rpc.call("company.company", "read", [context["company"]], ["currency"])
        (move,) = self.rpc.call(
            "stock.move",
            "create",
            [
                {
                    "product": row["id"],
                    "quantity": float(received),
                    "unit": self._unit(),
                    "from_location": self._location("supplier"),
                    "to_location": self._location(self.receiving_name, storage=True),
                    "company": context["company"],
                    "unit_price": cost,
                    "currency": currency["currency"],
                }
            ],
        )
        self.rpc.call("stock.move", "do", [move])
        return f"receipt: {received} x {row['code']} into {self.receiving_name}"

    def reprice_one(self, rng: random.Random) -> str | None:
        """A new list price for a template, 10-20 % up or down, written the way shops price."""
        rows = self.rpc.call(
            "product.template",
            "search_read",
            [("type", "=", "goods"), ("salable", "=", True)],
            0,
            None,
            None,
            ["code", "name", "list_price"],
        )
        priced = [row for row in rows if row["list_price"] is not None]
        if not priced:
            return None
        row = rng.choice(priced)
        old = Decimal(row["list_price"])
        new = charm_price(rng, int(old * Decimal(rng.choice(("0.85", "0.9", "1.1", "1.2")))))
        if new == old:
            new = money(old + 1)
        self.rpc.call("product.template", "write", [row["id"]], {"list_price": new})
        return f"price change: {row['name']} ({row['code']}) {money(old)} -> {new}"

    # -- look-ups ------------------------------------------------------------------

    def _products(self, fields: list[str], location: int | None = None) -> list[dict[str, Any]]:
        context = {"locations": [location]} if location is not None else None
        rows: list[dict[str, Any]] = self.rpc.call(
            "product.product",
            "search_read",
            PRODUCT_DOMAIN,
            0,
            None,
            None,
            fields,
            context=context,
        )
        return rows

    def _unit(self) -> int:
        ids = self.rpc.call("product.uom", "search", [("name", "=", "Unit")], 0, 1, None)
        if not ids:
            raise ConfigError("the Tryton database has no unit of measure named 'Unit'")
        return int(ids[0])

    def _location(self, name: str, *, storage: bool = False) -> int:
        """A warehouse by code or name (its storage with `storage`), or a location type."""
        if self._locations is None:
            rows = self.rpc.call(
                "stock.location",
                "search_read",
                [("type", "in", ["warehouse", "supplier"])],
                0,
                None,
                [("id", "ASC")],
                ["code", "name", "type", "storage_location"],
            )
            found: dict[str, int] = {}
            for row in rows:
                found.setdefault(str(row["type"]), int(row["id"]))
                if row["type"] != "warehouse":
                    continue
                for key in (row["code"], row["name"]):
                    if key:
                        found.setdefault(str(key), int(row["id"]))
                        # moves go into the warehouse's storage; a warehouse is a view
                        found.setdefault(f"{key}/storage", int(row["storage_location"]))
            self._locations = found
        key = f"{name}/storage" if storage else name
        if key not in self._locations:
            raise ConfigError(f"Tryton has no warehouse with code or name {name!r}")
        return self._locations[key]
