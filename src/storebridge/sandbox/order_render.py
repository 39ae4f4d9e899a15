"""Orders, refunds and order lines as the REST API shows them.

Line items read `sku`, `image` and `parent_name` from the current product,
not from a snapshot (reference §6.2): `sku` is null once the product is gone.
The line `price` is a JSON number (total / quantity) while every other money
field is a string with `dp` decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storebridge.sandbox.formatting import money, php_number, to_decimal
from storebridge.sandbox.order_status import needs_processing
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.urls import api_url, links

Doc = dict[str, Any]

EDITABLE = ("pending", "on-hold", "auto-draft")
PAYABLE = ("pending", "failed", "checkout-draft")


class OrderRenderer:
    """Builds order and refund JSON."""

    def __init__(self, products: ProductStore) -> None:
        self._products = products

    def order(self, doc: Doc, base_url: str, *, dp: int = 2) -> dict[str, Any]:
        """One order."""
        totals = {
            key: doc[key]
            for key in (
                "discount_total",
                "discount_tax",
                "shipping_total",
                "shipping_tax",
                "cart_tax",
                "total",
                "total_tax",
            )
        }
        if dp != 2:
            totals = {key: money(to_decimal(value), dp) for key, value in totals.items()}
        order_id = doc["id"]
        body: dict[str, Any] = {
            "id": order_id,
            "parent_id": doc["parent_id"],
            "status": doc["status"],
            "currency": doc["currency"],
            "version": doc["version"],
            "prices_include_tax": doc["prices_include_tax"],
            "date_created": doc["date_created"],
            "date_modified": doc["date_modified"],
            **totals,
            "customer_id": doc["customer_id"],
            "order_key": doc["order_key"],
            "billing": dict(doc["billing"]),
            "shipping": dict(doc["shipping"]),
        }
        for key in (
            "payment_method",
            "payment_method_title",
            "transaction_id",
            "customer_ip_address",
            "customer_user_agent",
            "created_via",
            "customer_note",
            "date_completed",
            "date_paid",
            "cart_hash",
        ):
            body[key] = doc[key]
        body["number"] = str(order_id)
        body["meta_data"] = list(doc["meta_data"])
        body["line_items"] = [self.line(line, dp=dp) for line in doc["line_items"]]
        body["tax_lines"] = [dict(line) for line in doc["tax_lines"]]
        body["shipping_lines"] = [_with_taxes(line) for line in doc["shipping_lines"]]
        body["fee_lines"] = [_with_taxes(line) for line in doc["fee_lines"]]
        body["coupon_lines"] = [dict(line) for line in doc["coupon_lines"]]
        body["refunds"] = [
            {
                "id": r["id"],
                "reason": r["reason"],
                "total": money(to_decimal(r["amount"]).copy_negate()),
            }
            for r in newest_first(doc.get("_refunds", []))
        ]
        body["payment_url"] = (
            f"{base_url}/checkout/order-pay/{order_id}/?pay_for_order=true&key={doc['order_key']}"
        )
        body["is_editable"] = doc["status"] in EDITABLE
        body["needs_payment"] = doc["status"] in PAYABLE and to_decimal(doc["total"]) > 0
        body["needs_processing"] = needs_processing(doc)
        for key in ("date_created", "date_modified", "date_completed", "date_paid"):
            body[f"{key}_gmt"] = doc[key]
        body["currency_symbol"] = "$"
        body["_links"] = links(base_url, f"/orders/{order_id}", "/orders")
        body["_links"]["email_templates"] = [
            {
                "embeddable": True,
                "href": api_url(base_url, f"/orders/{order_id}/actions/email_templates"),
            }
        ]
        if doc["customer_id"]:
            body["_links"]["customer"] = [
                {"href": api_url(base_url, f"/customers/{doc['customer_id']}")}
            ]
        return body

    def line(self, line: Doc, *, dp: int = 2) -> dict[str, Any]:
        """One line item (of an order or a refund)."""
        product_id = line["variation_id"] or line["product_id"]
        product = self._products.find(product_id) if product_id else None
        parent = (
            self._products.find(product["parent_id"])
            if product is not None and product["type"] == "variation"
            else None
        )
        sku: str | None = None
        if product is not None:
            sku = product["sku"] or (parent["sku"] if parent is not None else "")
        quantity = line["quantity"]
        total = to_decimal(line["total"])
        price = abs(total / quantity) if quantity else Decimal(0)
        image_id: int | str = 0
        if product is not None and product["type"] != "variation":
            image_id = product["images"][0]["id"] if product["images"] else ""
        image_src = product["images"][0]["src"] if product is not None and product["images"] else ""
        amounts = {
            key: money(to_decimal(line[key]), dp)
            for key in ("subtotal", "subtotal_tax", "total", "total_tax")
        }
        return {
            "id": line["id"],
            "name": line["name"],
            "product_id": line["product_id"],
            "variation_id": line["variation_id"],
            "quantity": quantity,
            "tax_class": line["tax_class"],
            **amounts,
            "taxes": tax_list(line, dp=dp),
            "meta_data": [dict(meta) for meta in line["meta_data"]],
            "sku": sku,
            "price": php_number(price),
            "image": {"id": image_id, "src": image_src},
            "parent_name": parent["name"] if parent is not None else None,
        }

    def refund(self, refund: Doc, order_id: int, base_url: str) -> dict[str, Any]:
        """One refund."""
        return {
            "id": refund["id"],
            "date_created": refund["date_created"],
            "date_created_gmt": refund["date_created"],
            "amount": refund["amount"],
            "reason": refund["reason"],
            "refunded_by": refund["refunded_by"],
            "refunded_payment": refund["refunded_payment"],
            "meta_data": list(refund["meta_data"]),
            "line_items": [self.line(line) for line in refund["line_items"]],
            "shipping_lines": [],
            "tax_lines": [dict(line) for line in refund.get("tax_lines", [])],
            "fee_lines": [],
            "_links": links(
                base_url,
                f"/orders/{order_id}/refunds/{refund['id']}",
                f"/orders/{order_id}/refunds",
                allow=("GET", "DELETE"),
                up=f"/orders/{order_id}",
            ),
        }


def tax_list(line: Doc, *, dp: int = 2) -> list[dict[str, Any]]:
    """A line's `taxes`: per rate, its total and subtotal ("" for shipping and fees)."""
    taxes = line.get("_taxes") or {}
    subtotals = taxes.get("subtotal", {})
    return [
        {
            "id": int(rate_id),
            "total": money(to_decimal(amount), dp),
            "subtotal": money(to_decimal(subtotals[rate_id]), dp) if rate_id in subtotals else "",
        }
        for rate_id, amount in taxes.get("total", {}).items()
    ]


def _with_taxes(line: Doc) -> dict[str, Any]:
    """A shipping or fee line with its `taxes` rendered and internals dropped."""
    body = {key: value for key, value in line.items() if not key.startswith("_")}
    body["taxes"] = tax_list(line)
    return body


def newest_first(refunds: list[Doc]) -> list[Doc]:
    """The order's `refunds`: newest first, refunds of the same second by id (golden 187)."""
    by_id = sorted(refunds, key=lambda r: r["id"])
    return sorted(by_id, key=lambda r: str(r.get("date_created", "")), reverse=True)
