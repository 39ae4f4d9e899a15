"""WooCommerce's order tax arithmetic (`calculate_taxes()` / `calculate_totals()`).

Taxes are computed per line, per rate, on the line's net total and kept with
6 decimals (WC_Tax::round); each line's `total_tax` is the sum of its taxes
rounded half up to cents, and the order's tax lines add those rounded
amounts up (goldens 170-179: 1.05 / 2.25 / 0.15 at 10% give 0.11 / 0.23 /
0.02). Shipping is always net and taxed by the rates marked `shipping`; fees
are net and taxed unless `tax_status` is "none". Compound rates are not
emulated (every rate is applied to the net amount).

With prices entered with tax, a catalogue price is gross: the line's
subtotal is the price minus its inclusive tax at the base rates, kept with 6
decimals (27.272727 for 3 x 10.00 at 10%, hence `price` 9.090909), and a
coupon's discount is taken off the gross price, its inclusive tax removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storebridge.sandbox.formatting import money, to_decimal
from storebridge.sandbox.taxes import (
    BASE_COUNTRY,
    BASE_STATE,
    SettingStore,
    TaxRate,
    TaxRateStore,
)

Doc = dict[str, Any]
CENT = Decimal("0.01")
PRECISION = Decimal("0.000001")  # WC_ROUNDING_PRECISION: 6 decimals
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    """Half-up rounding to cents (PHP round(x, 2))."""
    return value.quantize(CENT, ROUND_HALF_UP)


def precise(value: Decimal) -> Decimal:
    """WC_Tax::round(): half up to 6 decimals."""
    return value.quantize(PRECISION, ROUND_HALF_UP)


def exact(value: Decimal) -> str:
    """A stored amount with WooCommerce's internal precision (6 decimals), zeros cut."""
    return format(precise(value).normalize(), "f")


def exclusive_taxes(amount: Decimal, rates: list[TaxRate]) -> dict[int, Decimal]:
    """calc_tax(amount, rates, false): the tax on a net amount, per rate."""
    return {rate.id: precise(amount * rate.rate / HUNDRED) for rate in rates}


def inclusive_taxes(amount: Decimal, rates: list[TaxRate]) -> dict[int, Decimal]:
    """calc_tax(amount, rates, true): the tax inside a gross amount, per rate."""
    total_rate = sum((rate.rate for rate in rates), Decimal(0))
    if not total_rate:
        return {}
    net = amount * HUNDRED / (HUNDRED + total_rate)
    return {rate.id: precise(net * rate.rate / HUNDRED) for rate in rates}


def rounded_sum(taxes: dict[int, Decimal]) -> Decimal:
    """A line's tax: each rate's tax rounded to cents, then added."""
    return sum((cents(tax) for tax in taxes.values()), Decimal(0))


@dataclass(frozen=True)
class TaxContext:
    """What the arithmetic needs to know about the store and the order."""

    enabled: bool
    rates_for: Callable[[str], list[TaxRate]]  # the order's location, by tax class
    new_item_id: Callable[[], int]  # for new tax lines

    def rates(self, tax_class: str) -> list[TaxRate]:
        """The rates that apply to a tax class (none when taxes are off)."""
        return self.rates_for(tax_class) if self.enabled else []


class TaxOffice:
    """Builds the tax context of an order from the settings and the rates."""

    def __init__(
        self, settings: SettingStore, rates: TaxRateStore, new_item_id: Callable[[], int]
    ) -> None:
        self.settings = settings
        self.rates = rates
        self._new_item_id = new_item_id

    def context(self, order: Doc) -> TaxContext:
        """The order's context: its tax location (shipping, else billing, else base)."""
        country, state = tax_location(order)
        return TaxContext(
            enabled=self.settings.taxes_enabled(),
            rates_for=lambda tax_class: self.rates.find_rates(country, state, tax_class),
            new_item_id=self._new_item_id,
        )

    def net_price(self, gross: Decimal, tax_class: str) -> Decimal:
        """wc_get_price_excluding_tax(): a catalogue price without its base-rate tax."""
        if not self.settings.prices_include_tax():
            return gross
        taxes = inclusive_taxes(gross, self._base_rates(tax_class))
        return gross - sum(taxes.values(), Decimal(0))

    def new_orders_include_tax(self) -> bool:
        """The `prices_include_tax` a new order is created with (the raw option)."""
        return self.settings.value("woocommerce_prices_include_tax") == "yes"

    def _base_rates(self, tax_class: str) -> list[TaxRate]:
        return self.rates.find_rates(BASE_COUNTRY, BASE_STATE, tax_class)


def tax_location(order: Doc) -> tuple[str, str]:
    """get_tax_location() with tax_based_on "shipping" (the default)."""
    for kind in ("shipping", "billing"):
        address = order.get(kind) or {}
        if address.get("country"):
            return str(address["country"]), str(address.get("state") or "")
    return BASE_COUNTRY, BASE_STATE


def line_gross_subtotal(line: Doc) -> Decimal:
    """The subtotal a coupon discounts when prices include tax."""
    return to_decimal(line["subtotal"]) + sum(
        (to_decimal(t) for t in line.get("_taxes", {}).get("subtotal", {}).values()), Decimal(0)
    )


def store_item_taxes(line: Doc, taxes: dict[int, Decimal], subtotal: dict[int, Decimal]) -> None:
    """Store a line item's or fee's taxes (exact per rate, rounded totals)."""
    line["_taxes"] = {
        "total": {str(k): exact(v) for k, v in taxes.items()},
        "subtotal": {str(k): exact(v) for k, v in subtotal.items()},
    }
    line["total_tax"] = money(rounded_sum(taxes))
    if "subtotal_tax" in line:
        line["subtotal_tax"] = money(rounded_sum(subtotal))


def calculate_taxes(doc: Doc, tax: TaxContext) -> None:
    """Taxes of every line, shipping and fee, and the order's tax lines."""
    cart: dict[int, Decimal] = {}
    shipping: dict[int, Decimal] = {}
    seen: dict[int, TaxRate] = {}
    for line in doc["line_items"]:
        rates = tax.rates(line["tax_class"])
        seen.update({rate.id: rate for rate in rates})
        taxes = exclusive_taxes(to_decimal(line["total"]), rates)
        store_item_taxes(line, taxes, exclusive_taxes(to_decimal(line["subtotal"]), rates))
        _add(cart, taxes)
    for fee in doc["fee_lines"]:
        rates = tax.rates(fee["tax_class"]) if fee["tax_status"] == "taxable" else []
        seen.update({rate.id: rate for rate in rates})
        taxes = exclusive_taxes(to_decimal(fee["total"]), rates)
        store_item_taxes(fee, taxes, {})
        _add(cart, taxes)
    for ship in doc["shipping_lines"]:
        rates = [r for r in tax.rates("") if r.shipping] if ship["tax_status"] == "taxable" else []
        seen.update({rate.id: rate for rate in rates})
        taxes = exclusive_taxes(to_decimal(ship["total"]), rates)
        store_item_taxes(ship, taxes, {})
        _add(shipping, taxes)
    kept = {line["rate_id"]: line for line in doc.get("tax_lines", [])}
    doc["tax_lines"] = []
    for rate_id in sorted(seen, key=lambda r: (seen[r].priority, r)):
        rate = seen[rate_id]
        line = kept.get(rate_id) or {"id": tax.new_item_id()}
        doc["tax_lines"].append(
            {
                "id": line["id"],
                "rate_code": rate.code,
                "rate_id": rate_id,
                "label": rate.label,
                "compound": rate.compound,
                "tax_total": money(cart.get(rate_id, Decimal(0))),
                "shipping_tax_total": money(shipping.get(rate_id, Decimal(0))),
                "rate_percent": _number(rate.rate),
                "meta_data": [],
            }
        )
    doc["cart_tax"] = money(sum(cart.values(), Decimal(0)))
    doc["shipping_tax"] = money(sum(shipping.values(), Decimal(0)))


def _add(into: dict[int, Decimal], taxes: dict[int, Decimal]) -> None:
    for rate_id, amount in taxes.items():
        into[rate_id] = into.get(rate_id, Decimal(0)) + cents(amount)


def exact_tax_sum(lines: list[Doc], kind: str) -> Decimal:
    """The unrounded taxes of line items ("total" or "subtotal"), for discount_tax."""
    return sum(
        (to_decimal(v) for line in lines for v in line.get("_taxes", {}).get(kind, {}).values()),
        Decimal(0),
    )


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
