"""Which Tryton products changed since a cursor, in a fixed number of calls (`ChangeFinder`).

One `search_read` per kind of record, whatever the catalogue size
(stamps: `stamps`; each query asks for stamps at or after the cursor less
the overlap, with inactive records included):

1. `product.product`, by its own stamp or its template's (a template-level
   price write stamps the template only, tryton.md §8): the products;
2. `web.shop`: a shop whose products were added or removed from its own
   form.  Only the shop is stamped (trytond serves no RPC on the
   membership table, and a removed membership leaves no record), so this
   read becomes a full one (`ChangeSet.full_reason`);
3. `stock.move` from or to a location of the configured warehouses, in the
   states that change the on-hand read (done or cancelled; also draft and
   assigned with ``on_hand = "available"``; stock changes stamp no
   product, tryton.md §8), plus, on a new day, done moves effective from
   the previous read's day (see `stamps`): their products;
4. with a `price_list`, its lines (one naming a product: that product; one
   for a category or every product: a full read) and the list itself (a
   line removed through the list stamps only the list: a full read).

A product removed from a web shop through the product's own form stamps the
product: the delta delivers it without that shop, so it leaves a
``webstore`` selection.  What no query can see (a membership or price list
line deleted directly, a product deactivated) waits for the periodic full read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.stamps import ChangeCursor, Stamps, stamp_of

__all__ = ["ChangeFinder", "ChangeSet"]

_STAMPS = ["write_date", "create_date"]
#: Inactive records count: a product or shop deactivated is a change too.
_ALL = {"active_test": False}


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The products to read again, or why everything must be read, and the cursor after it."""

    products: frozenset[int]
    full_reason: str | None
    cursor: ChangeCursor


def _since(since: datetime) -> list[Any]:
    return ["OR", ("write_date", ">=", since), ("create_date", ">=", since)]


class ChangeFinder:
    """Runs the change queries of the module docstring over one session."""

    def __init__(self, rpc: TrytonRpc, *, overlap: timedelta, on_hand: str) -> None:
        self.rpc = rpc
        self.overlap = overlap
        self.move_states = (
            ["draft", "assigned", "done", "cancelled"]
            if on_hand == "available"
            else ["done", "cancelled"]
        )

    def _rows(self, model: str, domain: list[Any], fields: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.rpc.call(
            model, "search_read", domain, 0, None, None, fields, context=_ALL
        )
        return rows

    def newest_stamp(self, price_list: int | None) -> datetime | None:
        """A stamp no newer than any change already committed (the start after a first read).

        One call per model: the newest write date (the newest creation date
        may be newer still, which only makes the next read start earlier).
        """
        newest: datetime | None = None
        for model in self._models(price_list):
            rows = self.rpc.call(
                model,
                "search_read",
                [],
                0,
                1,
                [("write_date", "DESC NULLS LAST"), ("create_date", "DESC")],
                _STAMPS,
                context=_ALL,
            )
            for row in rows:
                stamp = stamp_of(row)
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        return newest

    @staticmethod
    def _models(price_list: int | None) -> list[str]:
        models = ["product.product", "product.template", "web.shop", "stock.move"]
        if price_list is not None:
            models += ["product.price_list.line", "product.price_list"]
        return models

    def since(
        self,
        cursor: ChangeCursor,
        today: date,
        warehouses: Sequence[int],
        price_list: int | None,
    ) -> ChangeSet:
        """The products changed since `cursor` (which must have a stamp)."""
        since = cursor.since(self.overlap)
        assert since is not None, "a cursor without a stamp calls for a full read"
        stamps = Stamps(cursor, self.overlap)
        products: set[int] = set()
        full: list[str] = []

        for row in self._rows(
            "product.product",
            [
                "OR",
                ("write_date", ">=", since),
                ("create_date", ">=", since),
                ("template.write_date", ">=", since),
                ("template.create_date", ">=", since),
            ],
            [*_STAMPS, "template", "template.write_date", "template.create_date"],
        ):
            own = stamps.fresh(f"p:{row['id']}", row)
            via_template = stamps.fresh(f"t:{row['template']}", row, prefix="template.")
            if own or via_template:
                products.add(int(row["id"]))

        for row in self._rows("web.shop", _since(since), _STAMPS):
            if stamps.fresh(f"s:{row['id']}", row):
                full.append(f"web shop {row['id']} was edited (it may have lost products)")

        self._moves(stamps, since, cursor.day, today, warehouses, products)

        if price_list is not None:
            for row in self._rows(
                "product.price_list.line",
                [("price_list", "=", price_list), _since(since)],
                [*_STAMPS, "product"],
            ):
                if not stamps.fresh(f"l:{row['id']}", row):
                    continue
                if row["product"] is None:
                    full.append(f"price list line {row['id']} applies to many products")
                else:
                    products.add(int(row["product"]))
            for row in self._rows(
                "product.price_list", [("id", "=", price_list), _since(since)], _STAMPS
            ):
                if stamps.fresh(f"L:{row['id']}", row):
                    full.append("the price list was edited (its lines may have changed)")

        return ChangeSet(frozenset(products), "; ".join(full) or None, stamps.cursor(today))

    def _moves(
        self,
        stamps: Stamps,
        since: datetime,
        last_day: date,
        today: date,
        warehouses: Sequence[int],
        products: set[int],
    ) -> None:
        changed: list[Any] = _since(since)
        new_day = today > last_day
        if new_day:
            # Done ahead of its date, a move enters the on-hand on that date, unwritten; the
            # day after tomorrow bounds a clock of StoreBridge up to a day off Tryton's.
            changed = [
                "OR",
                changed,
                [
                    ("state", "=", "done"),
                    ("effective_date", ">=", last_day),
                    ("effective_date", "<=", today + timedelta(days=1)),
                ],
            ]
        rows = self._rows(
            "stock.move",
            [
                changed,
                ("state", "in", self.move_states),
                [
                    "OR",
                    ("from_location", "child_of", list(warehouses), "parent"),
                    ("to_location", "child_of", list(warehouses), "parent"),
                ],
            ],
            [*_STAMPS, "product", "state", "effective_date"],
        )
        for row in rows:
            fresh = stamps.fresh(f"m:{row['id']}", row)
            effective = row.get("effective_date")
            dated = (
                new_day
                and row["state"] == "done"
                and isinstance(effective, date)
                and last_day <= effective <= today + timedelta(days=1)
            )
            if fresh or dated:
                products.add(int(row["product"]))
