"""Order lines and totals: what `calculate_totals()` does.

Line items name their product by `product_id`, `variation_id` or `sku`; an
unknown product still makes a line (empty name, product 0, total 0). Prices
come from the product's active price unless the line says otherwise. Coupons
discount line items (percent per line, fixed_cart spread by subtotal; the
gross subtotal when prices include tax); the order total is lines + shipping
+ fees + taxes (order_taxes). Line amounts keep 6 decimals, like WooCommerce.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import money, php_json, sanitize_title, to_decimal, trim_zeros
from storebridge.sandbox.order_taxes import (
    TaxContext,
    calculate_taxes,
    cents,
    exact,
    exact_tax_sum,
    exclusive_taxes,
    inclusive_taxes,
    line_gross_subtotal,
    rounded_sum,
)
from storebridge.sandbox.pricing import active_price
from storebridge.sandbox.products import ProductStore

Doc = dict[str, Any]
CENT = Decimal("0.01")


class LineBuilder:
    """Builds and prices order lines against the product store."""

    def __init__(
        self,
        products: ProductStore,
        net_price: Callable[[Decimal, str], Decimal] | None = None,
    ) -> None:
        self._products = products
        self._db = products.db
        # A catalogue price without tax (prices may be entered with tax).
        self._net_price = net_price or (lambda gross, _tax_class: gross)

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
        if "subtotal" in item:
            subtotal = to_decimal(item["subtotal"])
        else:
            subtotal = self._net_price(unit * line["quantity"], line["tax_class"])
        line["subtotal"] = exact(subtotal)
        line["total"] = exact(to_decimal(item["total"]) if "total" in item else subtotal)

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


def calculate_totals(doc: Doc, tax: TaxContext) -> None:
    """Discounts, taxes, line totals and order totals (WC_Abstract_Order::calculate_totals)."""
    lines = doc["line_items"]
    gross = doc["prices_include_tax"] and tax.enabled
    if doc["coupon_lines"]:
        # Coupons discount the subtotal, so taxes on the undiscounted lines come first.
        for line in lines:
            line["total"] = line["subtotal"]
        calculate_taxes(doc, tax)
    for coupon in doc["coupon_lines"]:
        _apply_coupon(coupon, lines, tax, gross=gross)
    for line in lines:
        line.pop("_discounted", None)
    calculate_taxes(doc, tax)
    cart_subtotal = sum((cents(to_decimal(line["subtotal"])) for line in lines), Decimal(0))
    items_total = sum((cents(to_decimal(line["total"])) for line in lines), Decimal(0))
    shipping_total = sum((cents(to_decimal(s["total"])) for s in doc["shipping_lines"]), Decimal(0))
    fees_total = sum((to_decimal(f["total"]) for f in doc["fee_lines"]), Decimal(0))
    discount_total = cart_subtotal - items_total
    discount_tax = exact_tax_sum(lines, "subtotal") - exact_tax_sum(lines, "total")
    cart_tax, shipping_tax = to_decimal(doc["cart_tax"]), to_decimal(doc["shipping_tax"])
    doc["discount_total"] = money(discount_total)
    doc["discount_tax"] = money(discount_tax)
    doc["shipping_total"] = money(shipping_total)
    doc["total_tax"] = money(cart_tax + shipping_tax)
    doc["total"] = money(items_total + shipping_total + fees_total + cart_tax + shipping_tax)


def _apply_coupon(coupon: Doc, lines: list[Doc], tax: TaxContext, *, gross: bool) -> None:
    """One coupon's discount per line; with gross prices its inclusive tax is removed."""
    amount = Decimal(str(coupon["nominal_amount"]))
    kind = coupon["discount_type"]
    bases = [line_gross_subtotal(line) if gross else to_decimal(line["subtotal"]) for line in lines]
    discounts: list[Decimal] = []
    if kind == "percent":
        discounts = [(base * amount / 100).quantize(CENT, ROUND_HALF_UP) for base in bases]
    elif kind == "fixed_product":
        discounts = [amount * line["quantity"] for line in lines]
    else:
        whole = sum(bases, Decimal(0))
        for base in bases:
            share = base / whole if whole else Decimal(0)
            discounts.append((min(amount, whole) * share).quantize(CENT, ROUND_HALF_UP))
    total = Decimal(0)
    total_tax = Decimal(0)
    for line, base, discount in zip(lines, bases, discounts, strict=True):
        already = to_decimal(line.get("_discounted", 0))
        capped = min(discount, max(base - already, Decimal(0)))
        line["_discounted"] = str(already + capped)
        rates = tax.rates(line["tax_class"])
        if gross:
            inside = inclusive_taxes(capped, rates)
            net = capped - sum(inside.values(), Decimal(0))
        else:
            inside = exclusive_taxes(capped, rates)
            net = capped
        line["total"] = exact(to_decimal(line["total"]) - net)
        total += capped
        total_tax += rounded_sum(inside)
    coupon["discount"] = trim_zeros(cents(total - total_tax if gross else total))
    coupon["discount_tax"] = trim_zeros(cents(total_tax))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
