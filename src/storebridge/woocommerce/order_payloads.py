"""Typed view of a wc/v3 order and its lines (woocommerce-rest-api.md §6.2).

An order is read, never written, by the engines: the export turns it into a
POS document and the allocation ledger counts its lines.  Quirks of real
stores that the models absorb (see the golden captures):

- the line `price` is a JSON number (`total / quantity`), every other amount a string;
- a line's `sku`, `image` and `parent_name` come from the *current* product:
  `sku` is null (and `product_id` 0) when the product is gone or unknown;
- a coupon line's `discount` may be `"2"`, a fee's `amount` `""`;
- a line's `_reduced_stock` meta says WooCommerce already took it out of
  `stock_quantity` (§6.8): see `LineItem.reduced_stock`.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from storebridge.woocommerce.payloads import (
    Address,
    GmtDateTime,
    HasMeta,
    IdString,
    Money,
    Text,
    WooModel,
)

__all__ = [
    "CouponLine",
    "FeeLine",
    "LineItem",
    "LineTax",
    "Order",
    "OrderRefundSummary",
    "ShippingLine",
    "TaxLine",
]


class LineTax(WooModel):
    """One tax rate's share of a line (`taxes[]`)."""

    id: int = 0
    total: Money = None
    subtotal: Money = None


class LineItem(HasMeta):
    """A product line.  For a variation, `product_id` is the parent and `variation_id` the child."""

    id: int
    name: str = ""
    product_id: int = 0
    variation_id: int = 0
    sku: str | None = None
    quantity: int = 0
    tax_class: Text = ""
    price: Money = None
    subtotal: Money = None
    subtotal_tax: Money = None
    total: Money = None
    total_tax: Money = None
    taxes: list[LineTax] = Field(default_factory=list)
    parent_name: str | None = None

    @property
    def stock_product_id(self) -> int:
        """The id whose stock this line moves when it names a variation, else the product."""
        return self.variation_id or self.product_id

    @property
    def reduced_stock(self) -> int | None:
        """The quantity WooCommerce already took from stock for this line (`_reduced_stock`)."""
        raw = self.meta_value("_reduced_stock")
        if raw is None or raw == "":
            return None
        try:
            return int(Decimal(str(raw)))
        except ArithmeticError:
            return None


class ShippingLine(HasMeta):
    """A shipping charge."""

    id: int = 0
    method_title: str = ""
    method_id: str = ""
    instance_id: IdString = ""
    total: Money = None
    total_tax: Money = None
    taxes: list[LineTax] = Field(default_factory=list)


class FeeLine(HasMeta):
    """A fee (gift wrap, surcharge); `amount` is often `""`, `total` is what counts."""

    id: int = 0
    name: str = ""
    tax_class: Text = ""
    tax_status: str = ""
    amount: Money = None
    total: Money = None
    total_tax: Money = None
    taxes: list[LineTax] = Field(default_factory=list)


class CouponLine(HasMeta):
    """A coupon applied to the order; `discount` is the amount it took off."""

    id: int = 0
    code: str = ""
    discount: Money = None
    discount_tax: Money = None


class TaxLine(HasMeta):
    """One tax rate's total on the order."""

    id: int = 0
    rate_code: str = ""
    rate_id: int = 0
    label: str = ""
    compound: bool = False
    tax_total: Money = None
    shipping_tax_total: Money = None
    rate_percent: Money = None


class OrderRefundSummary(WooModel):
    """An entry of `refunds[]`: its `total` is negative (`"-10.00"`)."""

    id: int = 0
    reason: str | None = None
    total: Money = None


class Order(HasMeta):
    """An order from `/orders` (or an `order.*` webhook payload)."""

    id: int
    parent_id: int = 0
    number: IdString = ""
    status: str = ""
    currency: str = ""
    created_via: str = ""
    prices_include_tax: bool = False
    date_created_gmt: GmtDateTime = None
    date_modified_gmt: GmtDateTime = None
    date_paid_gmt: GmtDateTime = None
    date_completed_gmt: GmtDateTime = None
    customer_id: int = 0
    billing: Address = Field(default_factory=Address)
    shipping: Address = Field(default_factory=Address)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_note: Text = ""
    line_items: list[LineItem] = Field(default_factory=list)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)
    coupon_lines: list[CouponLine] = Field(default_factory=list)
    tax_lines: list[TaxLine] = Field(default_factory=list)
    refunds: list[OrderRefundSummary] = Field(default_factory=list)
    discount_total: Money = None
    discount_tax: Money = None
    shipping_total: Money = None
    shipping_tax: Money = None
    cart_tax: Money = None
    total: Money = None
    total_tax: Money = None

    @property
    def is_guest(self) -> bool:
        """Whether the order belongs to no registered customer (`customer_id == 0`)."""
        return self.customer_id == 0
