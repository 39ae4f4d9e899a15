"""Order refunds: `/orders/<id>/refunds`, minimal but faithful.

A negative amount fails with HTTP 500 whose `data` says 400 (golden 180);
a zero refund is accepted and listed on the order as "-0.00" (golden 181).
`api_refund` defaults to true, and the sandbox's gateways (bacs and friends)
cannot refund money, so a refund needs `api_refund: false` (golden 095). A
refund above what is left fails with HTTP 500 "Invalid refund amount."; these
errors carry the bare status number as `data`. `api_restock` (default true)
puts back the refunded quantity of lines that had reduced stock, lowering
`_reduced_stock` and recording `_restock_refunded_items`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import money, to_decimal
from storebridge.sandbox.listing import ListQuery, Page, Where
from storebridge.sandbox.notes import NoteStore
from storebridge.sandbox.order_lines import LineBuilder
from storebridge.sandbox.order_status import remaining_refund
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.ties import TieOrder
from storebridge.sandbox.variations import stock_holder

Doc = dict[str, Any]


class RefundStore:
    """Refund documents, kept beside their order."""

    def __init__(
        self,
        db: Database,
        products: ProductStore,
        lines: LineBuilder,
        notes: NoteStore,
        clock: Clock,
    ) -> None:
        self._db = db
        self._products = products
        self._lines = lines
        self._notes = notes
        self._clock = clock

    def create(self, order: Doc, payload: dict[str, Any], *, user_id: int) -> Doc:
        """POST /orders/<id>/refunds; mutates `order` (the caller saves it)."""
        line_requests = [i for i in payload.get("line_items") or [] if isinstance(i, dict)]
        if payload.get("amount") not in (None, ""):
            amount = to_decimal(payload["amount"])
        else:
            amount = sum(
                (to_decimal(i.get("refund_total") or 0) for i in line_requests), Decimal(0)
            )
        if amount < 0:
            raise WooError(
                "woocommerce_rest_invalid_order_refund",
                "Refund amount must be greater than zero.",
                500,
                bare_data=True,
                data_status=400,
            )
        if amount > remaining_refund(order):
            raise _cannot_create("Invalid refund amount.")
        if _truthy(payload.get("api_refund", True)):
            if not order.get("payment_method"):
                raise _cannot_create("The payment gateway for this order does not exist.")
            raise _cannot_create(
                "The payment gateway for this order does not support automatic refunds."
            )
        refund = self.record(order, amount, str(payload.get("reason") or ""), user_id=user_id)
        refund["line_items"] = [self._refund_line(order, request) for request in line_requests]
        refund["line_items"] = [line for line in refund["line_items"] if line is not None]
        refund["tax_lines"] = self._refund_tax_lines(order, refund["line_items"])
        self._save(refund, order["id"])
        if _truthy(payload.get("api_restock", True)):
            for request in line_requests:
                self._restock(order, request)
        return refund

    def record(self, order: Doc, amount: Decimal, reason: str, *, user_id: int = 1) -> Doc:
        """Create a refund for `amount` without lines (also the automatic full refund)."""
        refund: Doc = {
            "id": self._db.next_id("post"),
            "date_created": stored(self._clock()),
            "amount": money(amount),
            "reason": reason,
            "refunded_by": user_id,
            "refunded_payment": False,
            "meta_data": [],
            "line_items": [],
        }
        self._db.execute(
            "INSERT INTO refunds(id, order_id, date_created_gmt, doc) VALUES (?, ?, ?, ?)",
            (refund["id"], order["id"], refund["date_created"], dumps(refund)),
        )
        order.setdefault("_refunds", []).append(
            {
                "id": refund["id"],
                "reason": reason,
                "amount": refund["amount"],
                "date_created": refund["date_created"],
            }
        )
        return refund

    def for_order(self, order_id: int, args: dict[str, Any], *, ties: TieOrder) -> Page[Doc]:
        """One page of an order's refunds, newest first by default (10 a page, like the CRUD list).

        Refunds go through the orders query, which breaks `date` ties by id.
        """
        query = ListQuery.from_args(args)
        where = Where()
        where.add("order_id = ?", order_id)
        query.add_common(
            where, created="date_created_gmt", modified="date_created_gmt", id_column="id"
        )
        columns = {"date": "date_created_gmt", "id": "id", "modified": "date_created_gmt"}
        order = query.order_sql(
            columns | {"title": "id", "slug": "id"}, id_column="id", ties=ties, id_breaks=("date",)
        )
        limit, offset = query.limit_offset()
        count = self._db.one(
            f"SELECT COUNT(*) AS n FROM refunds WHERE {where.sql()}", tuple(where.params)
        )
        rows = self._db.all(
            f"SELECT doc FROM refunds WHERE {where.sql()} ORDER BY {order} LIMIT ? OFFSET ?",
            (*where.params, limit, offset),
        )
        total = int(count["n"]) if count is not None else 0
        return Page([loads(row["doc"]) for row in rows], total, query.page, query.per_page)

    def get(self, order_id: int, refund_id: int) -> Doc:
        """One refund of an order, or 404."""
        row = self._db.one(
            "SELECT doc FROM refunds WHERE order_id = ? AND id = ?", (order_id, refund_id)
        )
        if row is None:
            raise WooError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404)
        doc: Doc = loads(row["doc"])
        return doc

    def delete_all(self, order_id: int) -> None:
        """Drop the refunds of a deleted order."""
        self._db.execute("DELETE FROM refunds WHERE order_id = ?", (order_id,))

    def _save(self, refund: Doc, order_id: int) -> None:
        self._db.execute(
            "UPDATE refunds SET doc = ? WHERE id = ? AND order_id = ?",
            (dumps(refund), refund["id"], order_id),
        )

    def _refund_line(self, order: Doc, request: dict[str, Any]) -> Doc | None:
        line = _find_line(order, request.get("id"))
        if line is None:
            return None
        quantity = int(request.get("quantity") or 0)
        total = to_decimal(request.get("refund_total") or 0)
        # refund_tax: [{"id": <rate id>, "refund_total": "0.91"}], stored negated.
        taxes = {
            str(int(t["id"])): str(-to_decimal(t.get("refund_total") or 0))
            for t in request.get("refund_tax") or []
            if isinstance(t, dict) and str(t.get("id", "")).isdigit()
        }
        tax = sum((to_decimal(v) for v in taxes.values()), Decimal(0))
        return {
            "id": self._db.next_id("order_item"),
            "name": line["name"],
            "product_id": line["product_id"],
            "variation_id": line["variation_id"],
            "quantity": -quantity,
            "tax_class": line["tax_class"],
            "subtotal": money(-total),
            "subtotal_tax": money(tax),
            "total": money(-total),
            "total_tax": money(tax),
            "_taxes": {"total": taxes, "subtotal": dict(taxes)},
            "meta_data": [self._lines.meta("_refunded_item_id", str(line["id"]))],
        }

    def _refund_tax_lines(self, order: Doc, lines: list[Doc]) -> list[Doc]:
        """The refund's tax lines: the refunded tax per rate of the order's tax lines."""
        result: list[Doc] = []
        for tax_line in order.get("tax_lines", []):
            key = str(tax_line["rate_id"])
            amounts = [
                to_decimal(line["_taxes"]["total"][key])
                for line in lines
                if key in line["_taxes"]["total"]
            ]
            if amounts:
                result.append(
                    {
                        **tax_line,
                        "id": self._db.next_id("order_item"),
                        "tax_total": money(sum(amounts, Decimal(0))),
                        "shipping_tax_total": "0.00",
                        "meta_data": [],
                    }
                )
        return result

    def _restock(self, order: Doc, request: dict[str, Any]) -> None:
        """wc_restock_refunded_items() for one line."""
        line = _find_line(order, request.get("id"))
        quantity = int(request.get("quantity") or 0)
        if line is None or quantity <= 0:
            return
        reduced = next((m for m in line["meta_data"] if m["key"] == "_reduced_stock"), None)
        product = self._products.find(line["variation_id"] or line["product_id"])
        holder = stock_holder(self._products, product) if product is not None else None
        if reduced is None or holder is None:
            return
        moved = self._products.adjust_stock(holder["id"], quantity)
        left = int(reduced["value"]) - quantity
        if left > 0:
            reduced["value"] = reduced["display_value"] = str(left)
        else:
            line["meta_data"].remove(reduced)
        restocked = next(
            (m for m in line["meta_data"] if m["key"] == "_restock_refunded_items"), None
        )
        if restocked is None:
            line["meta_data"].append(self._lines.meta("_restock_refunded_items", str(quantity)))
        else:
            restocked["value"] = restocked["display_value"] = str(
                int(restocked["value"]) + quantity
            )
        if moved is not None:
            self._notes.add(
                order["id"], f"Item #{holder['id']} stock increased from {moved[0]} to {moved[1]}."
            )


def _find_line(order: Doc, line_id: Any) -> Doc | None:
    try:
        wanted = int(line_id)
    except (TypeError, ValueError):
        return None
    return next((line for line in order["line_items"] if line["id"] == wanted), None)


def _cannot_create(message: str) -> WooError:
    return WooError("woocommerce_rest_cannot_create_order_refund", message, 500, bare_data=True)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
