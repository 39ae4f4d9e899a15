"""Store life for a Tryton shop: till sales through Tryton's own point of sale.

The demo POS plays its shop day in its SQLite file (`connectors.demo.simulation`);
here the shop is a real Tryton, so a till sale goes through `sale.point.sale`
as a cashier's would: the sale with its line, a payment of its total, `process`
(paid, so `done`) and `post`.  Only posting moves the stock (tryton.md §2), so
the on-hand StoreBridge reads drops as it does in a real shop.

Taxes are not modelled: the line's gross price is the product's list price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.errors import ConfigError, PosRejected

__all__ = ["TillSale", "TrytonTill"]


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
