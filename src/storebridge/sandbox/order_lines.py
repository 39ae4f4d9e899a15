"""Order lines and totals: what `calculate_totals()` does for a tax-free store.

Line items name their product by `product_id`, `variation_id` or `sku`; an
unknown product still makes a line (empty name, product 0, total 0). Prices
come from the product's active price unless the line says otherwise. Coupons
discount line items (percent per line, fixed_cart spread by subtotal); the
order total is lines + shipping + fees. Money is kept as 2-decimal strings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import money, php_json, sanitize_title, to_decimal, trim_zeros
from storebridge.sandbox.pricing import active_price
from storebridge.sandbox.products import ProductStore

Doc = dict[str, Any]
CENT = Decimal("0.01")


class LineBuilder:
    """Builds and prices order lines against the product store."""

    def __init__(self, products: ProductStore) -> None:
        self._products = products
        self._db = products.db

    def resolve(self, item: dict[str, Any]) -> tuple[Doc | None, Doc | None]:
        """(product, variation) named by a line item, either may be None."""
        variation_id = int(item.get("variation_id") or 0)
        product_id = int(item.get("product_id") or 0)
        found: Doc | None = None
        if variation_id:
            found = self._products.find(variation_id)
        elif product_id:
            found = self._products.find(product_id)
        elif item.get("sku"):
            found = self._products.by_sku(str(item["sku"]))
        if found is None:
            return None, None
        if found["type"] == "variation":
            return self._products.find(found["parent_id"]), found
        return found, None

    def new_line(self, item: dict[str, Any], *, creating: bool) -> Doc:
        """A line item from its payload."""
        if creating and not (item.get("product_id") or item.get("variation_id") or item.get("sku")):
            raise WooError(
                "woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400
            )
        line: Doc = {
            "id": self._db.next_id("order_item"),
            "name": "",
            "product_id": 0,
            "variation_id": 0,
            "quantity": 1,
            "tax_class": "",
            "subtotal": "0.00",
            "subtotal_tax": "0.00",
            "total": "0.00",
            "total_tax": "0.00",
            "meta_data": [],
        }
        self.update_line(line, item)
        return line

    def update_line(self, line: Doc, item: dict[str, Any]) -> None:
        """Apply a line payload (product, quantity, explicit totals)."""
        product_changed = any(key in item for key in ("product_id", "variation_id", "sku"))
        if "quantity" in item:
            line["quantity"] = int(float(item["quantity"] or 0))
        if product_changed:
            product, variation = self.resolve(item)
            target = variation or product
            line["product_id"] = product["id"] if product else 0
            line["variation_id"] = variation["id"] if variation else 0
            line["name"] = target["name"] if target else ""
            line["meta_data"] = [m for m in line["meta_data"] if m["key"].startswith("_")]
            if variation is not None:
                line["meta_data"][:0] = [
                    self._meta(sanitize_title(a["name"]), a["option"], a["name"])
                    for a in variation["attributes"]
                ]
            price = active_price(target, self._products.clock()) if target else ""
            line["unit_price"] = str(to_decimal(price))
        if item.get("name"):
            line["name"] = str(item["name"])
        unit = to_decimal(line.get("unit_price", "0"))
        subtotal = to_decimal(item["subtotal"]) if "subtotal" in item else unit * line["quantity"]
        line["subtotal"] = money(subtotal)
        line["total"] = money(to_decimal(item["total"]) if "total" in item else subtotal)

    def meta(self, key: str, value: Any) -> Doc:
        """An underscore meta entry of a line (for _reduced_stock and friends)."""
        return self._meta(key, value, key)

    def _meta(self, key: str, value: Any, display_key: str) -> Doc:
        return {
            "id": self._db.next_id("meta"),
            "key": key,
            "value": value,
            "display_key": display_key,
            "display_value": value,
        }

    def shipping_line(self, item: dict[str, Any]) -> Doc:
        """A shipping line."""
        return {
            "id": self._db.next_id("order_item"),
            "method_title": str(item.get("method_title") or ""),
            "method_id": str(item.get("method_id") or ""),
            "instance_id": str(item.get("instance_id") or ""),
            "total": money(to_decimal(item.get("total") or "0")),
            "total_tax": "0.00",
            "taxes": [],
            "tax_status": "taxable",
            "meta_data": [],
        }

    def fee_line(self, item: dict[str, Any]) -> Doc:
        """A fee line."""
        return {
            "id": self._db.next_id("order_item"),
            "name": str(item.get("name") or ""),
            "tax_class": str(item.get("tax_class") or ""),
            "tax_status": str(item.get("tax_status") or "taxable"),
            "amount": "",
            "total": money(to_decimal(item.get("total") or "0")),
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": [],
        }

    def coupon_line(self, coupon: Doc) -> Doc:
        """A coupon line, carrying WooCommerce's coupon_info meta."""
        amount = to_decimal(coupon["amount"])
        info = [coupon["id"], coupon["code"], coupon["discount_type"], _number(amount)]
        return {
            "id": self._db.next_id("order_item"),
            "code": coupon["code"],
            "discount": "0",
            "discount_tax": "0",
            "meta_data": [self._meta("coupon_info", php_json(info), "coupon_info")],
            "discount_type": coupon["discount_type"],
            "nominal_amount": _number(amount),
            "free_shipping": bool(coupon.get("free_shipping")),
        }


def calculate_totals(doc: Doc) -> None:
    """Discounts, line totals and order totals (taxes are off in the sandbox)."""
    lines = doc["line_items"]
    if doc["coupon_lines"]:
        for line in lines:
            line["total"] = line["subtotal"]
    discount_total = Decimal(0)
    for coupon in doc["coupon_lines"]:
        discount = _apply_coupon(coupon, lines)
        coupon["discount"] = trim_zeros(discount)
        discount_total += discount
    items_total = sum((to_decimal(line["total"]) for line in lines), Decimal(0))
    shipping_total = sum((to_decimal(s["total"]) for s in doc["shipping_lines"]), Decimal(0))
    fees_total = sum((to_decimal(f["total"]) for f in doc["fee_lines"]), Decimal(0))
    doc["discount_total"] = money(discount_total)
    doc["shipping_total"] = money(shipping_total)
    doc["total"] = money(items_total + shipping_total + fees_total)


def _apply_coupon(coupon: Doc, lines: list[Doc]) -> Decimal:
    amount = Decimal(str(coupon["nominal_amount"]))
    kind = coupon["discount_type"]
    discounts: list[Decimal] = []
    if kind == "percent":
        discounts = [
            (to_decimal(line["subtotal"]) * amount / 100).quantize(CENT, ROUND_HALF_UP)
            for line in lines
        ]
    elif kind == "fixed_product":
        discounts = [amount * line["quantity"] for line in lines]
    else:
        base = sum((to_decimal(line["subtotal"]) for line in lines), Decimal(0))
        for line in lines:
            share = to_decimal(line["subtotal"]) / base if base else Decimal(0)
            discounts.append((min(amount, base) * share).quantize(CENT, ROUND_HALF_UP))
    total = Decimal(0)
    for line, discount in zip(lines, discounts, strict=True):
        capped = min(discount, to_decimal(line["total"]))
        line["total"] = money(to_decimal(line["total"]) - capped)
        total += capped
    return total


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
