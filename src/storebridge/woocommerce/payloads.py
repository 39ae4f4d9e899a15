"""Typed views of the wc/v3 objects StoreBridge reads (woocommerce-rest-api.md §2.8, §3-§8).

The models describe the fields the engines use and accept everything else
(`extra="allow"`: unknown keys stay reachable through `model_extra`), so a
plugin adding fields, or a `_fields=` request removing them, never breaks a
read.  Every field but `id` has a default for that reason.

Types follow what a real store sends (the golden captures), not the schema:

- money is a string everywhere (`"20.00"`, `""` when unset) except the order
  line `price`, a JSON number; a coupon `discount` may be `"2"` and a fee
  `amount` `""`.  All of them become `Decimal`, or None for `""`/null;
- `*_gmt` dates come without an offset and are UTC: they become aware
  datetimes.  The site-local twins (`date_on_sale_from`...) are kept raw;
- `total_sales` is an int or the string `"0"`; `stock_quantity` may be null
  (or a float on stores with decimal stock); a variation's `manage_stock` may
  be the string `"parent"`.

Orders live in `order_payloads.py`.  Writes are plain dicts built by the
mapping layer: money goes out as strings, dates as naive UTC in `*_gmt` fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Address",
    "BatchItemFailure",
    "Customer",
    "ErrorBody",
    "GmtDateTime",
    "MetaData",
    "Money",
    "Product",
    "ProductAttribute",
    "TermRef",
    "Variation",
    "Webhook",
    "WooModel",
    "parse_gmt",
    "parse_money",
]


def parse_money(value: object) -> Decimal | None:
    """A WooCommerce amount as Decimal: `"9.99"`, `9`, `9.5` or `"2"`; None for `""`/null.

    A string WooCommerce could not have produced (it stores an unparseable
    price as `""`) also reads as None rather than failing the whole page.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        # str() first: Decimal(0.1) would carry the binary float's full expansion.
        return Decimal(str(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None
    return None


def parse_gmt(value: object) -> datetime | None:
    """A `*_gmt` date (`2024-05-01T10:00:00`, no offset, UTC) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a date: {value!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _as_str(value: object) -> object:
    # `number`-like fields are strings in WooCommerce but plugins sometimes send ints.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _none_as_empty(value: object) -> object:
    return "" if value is None else value


Money = Annotated[Decimal | None, BeforeValidator(parse_money)]
GmtDateTime = Annotated[datetime | None, BeforeValidator(parse_gmt)]
Text = Annotated[str, BeforeValidator(_none_as_empty)]
IdString = Annotated[str, BeforeValidator(_as_str)]


class WooModel(BaseModel):
    """Base of every payload model: tolerant of unknown keys, reads by field name."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MetaData(WooModel):
    """One `meta_data` entry; `value` is whatever the plugin stored (string, list, object)."""

    id: int | None = None
    key: str
    value: Any = None


class HasMeta(WooModel):
    """Mixin for objects carrying `meta_data`."""

    meta_data: list[MetaData] = Field(default_factory=list)

    def meta_value(self, key: str) -> Any:
        """The value of the first meta entry named `key`, or None."""
        for entry in self.meta_data:
            if entry.key == key:
                return entry.value
        return None


class Address(WooModel):
    """A billing or shipping address (shipping has no email)."""

    first_name: Text = ""
    last_name: Text = ""
    company: Text = ""
    address_1: Text = ""
    address_2: Text = ""
    city: Text = ""
    state: Text = ""
    postcode: Text = ""
    country: Text = ""
    email: Text = ""
    phone: Text = ""


class TermRef(WooModel):
    """A category or tag reference on a product."""

    id: int = 0
    name: str = ""
    slug: str = ""


class ProductAttribute(WooModel):
    """A product attribute (`options`) or a variation's chosen value (`option`)."""

    id: int = 0
    name: str = ""
    slug: str = ""
    position: int = 0
    visible: bool = False
    variation: bool = False
    options: list[str] = Field(default_factory=list)
    option: str | None = None


class _Sellable(HasMeta):
    """Fields shared by products and variations."""

    id: int
    sku: str | None = None
    global_unique_id: str = ""
    status: str = ""
    price: Money = None
    regular_price: Money = None
    sale_price: Money = None
    date_on_sale_from: str | None = None
    date_on_sale_from_gmt: GmtDateTime = None
    date_on_sale_to: str | None = None
    date_on_sale_to_gmt: GmtDateTime = None
    on_sale: bool = False
    purchasable: bool | None = None
    manage_stock: bool | Literal["parent"] = False
    stock_quantity: int | float | None = None
    stock_status: str = ""
    backorders: str = "no"
    low_stock_amount: int | None = None
    parent_id: int = 0
    attributes: list[ProductAttribute] = Field(default_factory=list)
    date_created_gmt: GmtDateTime = None
    date_modified_gmt: GmtDateTime = None


class Product(_Sellable):
    """A product from `/products`; `type == "variation"` when a `?sku=` lookup found a variation."""

    name: str = ""
    slug: str = ""
    type: str = "simple"
    permalink: str = ""
    total_sales: int = 0
    variations: list[int] = Field(default_factory=list)
    categories: list[TermRef] = Field(default_factory=list)

    @property
    def is_variation(self) -> bool:
        """Whether this object is a variation rendered through the products endpoint."""
        return self.type == "variation"


class Variation(_Sellable):
    """A variation from `/products/<id>/variations`.

    A variation without its own SKU *shows its parent's* SKU (§4.3), and
    `manage_stock == "parent"` means the parent holds the stock.
    """

    name: str = ""
    type: str = "variation"


class Customer(HasMeta):
    """A registered customer (a WordPress user with role `customer`)."""

    id: int
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    role: str = ""
    billing: Address = Field(default_factory=Address)
    shipping: Address = Field(default_factory=Address)
    is_paying_customer: bool = False
    date_created_gmt: GmtDateTime = None
    date_modified_gmt: GmtDateTime = None


class Webhook(WooModel):
    """A webhook subscription; its `secret` is write-only and never comes back."""

    id: int
    name: str = ""
    status: str = ""
    topic: str = ""
    resource: str = ""
    event: str = ""
    hooks: list[str] = Field(default_factory=list)
    delivery_url: str = ""
    date_created_gmt: GmtDateTime = None
    date_modified_gmt: GmtDateTime = None


class ErrorBody(WooModel):
    """The `{code, message, data}` shape of every WooCommerce error (§2.1)."""

    code: str
    message: str = ""
    data: Any = None

    @property
    def status(self) -> int | None:
        """`data.status`, or `data` itself when it is a bare number (refund errors)."""
        if isinstance(self.data, dict):
            value = self.data.get("status")
            return value if isinstance(value, int) else None
        return self.data if isinstance(self.data, int) else None


class BatchItemFailure(WooModel):
    """A failed entry inside a 200 batch answer: `{"id": 0, "error": {...}}` (§5)."""

    id: int = 0
    error: ErrorBody
