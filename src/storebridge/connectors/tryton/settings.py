"""Configuration of the Tryton connector (`[stores.X.connector] type = "tryton"`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, field_validator

from storebridge.connectors.settings_base import StampCursorSettings

__all__ = ["TrytonSettings", "rate_key"]


def rate_key(rate: str | Decimal) -> str:
    """A tax rate in percent as the `taxes` table keys it: "10.0000" -> "10", "5.50" -> "5.5"."""
    try:
        value = Decimal(str(rate).strip().removesuffix("%").strip())
    except InvalidOperation:
        raise ValueError(f'{rate!r} is not a tax rate in percent, e.g. "10" or "5.5"') from None
    if not value.is_finite() or value < 0:
        raise ValueError(f'{rate!r} is not a tax rate in percent, e.g. "10" or "5.5"')
    text = f"{value.normalize():f}"
    return text


class TrytonSettings(StampCursorSettings):
    """A trytond server reached over JSON-RPC, and which of its records StoreBridge uses.

    `password` may be given as `password_file` (any secret may).  `warehouses`
    name the warehouses (by code or name) whose on-hand counts, each one a
    location of the items read; empty means every warehouse.
    """

    type: Literal["tryton"] = "tryton"
    url: HttpUrl = Field(description="trytond's web address, e.g. http://erp.example:8000")
    database: str = Field(min_length=1, description="the Tryton database name")
    user: str = Field(default="admin", min_length=1)
    password: SecretStr
    web_shop: str = Field(
        min_length=1, description="name of the web.shop whose sales StoreBridge writes"
    )
    warehouses: tuple[str, ...] = Field(
        default=(), description="codes or names of the warehouses whose on-hand counts"
    )
    on_hand: Literal["quantity", "available"] = Field(
        default="quantity",
        description='"quantity": stock on hand (done moves); "available": on hand less the '
        "units of confirmed sales not shipped yet (needed by reservations = true)",
    )
    price_list: str | None = Field(
        default=None, description="name of a product.price_list giving the sale price"
    )
    flag_field: str = Field(
        default="salable",
        description="boolean field of product.product read as the web flag (selection = flag)",
    )
    shipping_product: str = Field(
        default="SHIPPING", description="code of the service product for shipping lines"
    )
    fee_product: str = Field(default="FEE", description="code of the service product for fees")
    unknown_product: str = Field(
        default="WEB-ITEM",
        description="code of the service product for order lines whose SKU Tryton does not know",
    )
    taxes: dict[str, str | int] = Field(
        default_factory=dict,
        description=(
            'WooCommerce tax rate in percent ("10", "5.5") -> the Tryton account.tax '
            "(its name, or its id) that sale lines taxed at that rate carry"
        ),
    )
    guest_party_code: str = Field(
        default="WEB-GUEST", description="code of the party that books guest orders without e-mail"
    )
    page_size: int = Field(default=500, ge=1, le=5_000, description="products read per call")
    timeout: float = Field(default=30.0, gt=0, le=600, description="seconds per RPC call")
    max_attempts: int = Field(default=4, ge=1, le=10, description="tries of a transient failure")
    language: str = "en"

    @field_validator("warehouses")
    @classmethod
    def _distinct_warehouses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(name.strip() for name in value))
        if "" in cleaned:
            raise ValueError("warehouse names must not be empty; leave the list empty for all")
        return cleaned

    @field_validator("taxes")
    @classmethod
    def _rates(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        """Keys become canonical percentages, so "10", "10.0" and "10.0000" are one rate."""
        cleaned: dict[str, str | int] = {}
        for rate, tax in value.items():
            key = rate_key(rate)
            if isinstance(tax, str) and not tax.strip():
                raise ValueError(f"taxes[{rate!r}] is empty; name a Tryton tax or give its id")
            if key in cleaned:
                raise ValueError(f"taxes names the rate {key} % twice ({rate!r})")
            cleaned[key] = tax.strip() if isinstance(tax, str) else tax
        return cleaned

    @field_validator("flag_field")
    @classmethod
    def _field_name(cls, value: str) -> str:
        if not value.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"flag_field {value!r} is not a Tryton field name, e.g. 'salable'")
        return value

    @property
    def rpc_url(self) -> str:
        """The JSON-RPC endpoint of the database."""
        return f"{str(self.url).rstrip('/')}/{self.database}/rpc/"
