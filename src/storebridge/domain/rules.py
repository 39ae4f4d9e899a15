"""The quarantine rules' names (design.md §6): one machine code per reason.

`Quarantined.reason` holds one of these values.  The dashboard and the CLI
group quarantined rows by it; the human detail beside it names the bad value
and the fix.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Reject", "Rule"]


class Rule(StrEnum):
    """Every quarantine reason, one per rule."""

    UNREADABLE_RECORD = "unreadable_record"
    MISSING_SKU = "missing_sku"
    BLANK_SKU = "blank_sku"
    SKU_TOO_LONG = "sku_too_long"
    SKU_HAS_CONTROL_CHARS = "sku_has_control_chars"
    SKU_NOT_STORABLE = "sku_not_storable"
    DUPLICATE_SKU = "duplicate_sku"
    SKU_STYLE_CLASH = "sku_style_clash"
    BAD_ENCODING = "bad_encoding"
    MISSING_NAME = "missing_name"
    MISSING_PRICE = "missing_price"
    PRICE_NOT_NUMERIC = "price_not_numeric"
    PRICE_NEGATIVE = "price_negative"
    PRICE_ZERO = "price_zero"
    PRICE_TOO_LARGE = "price_too_large"
    SALE_PRICE_NOT_NUMERIC = "sale_price_not_numeric"
    SALE_PRICE_NEGATIVE = "sale_price_negative"
    SALE_PRICE_ZERO = "sale_price_zero"
    SALE_PRICE_NOT_BELOW_REGULAR = "sale_price_not_below_regular"
    BAD_SALE_DATE = "bad_sale_date"
    SALE_WINDOW_REVERSED = "sale_window_reversed"
    QUANTITY_NOT_INTEGER = "quantity_not_integer"
    QUANTITY_NEGATIVE = "quantity_negative"
    QUANTITY_TOO_LARGE = "quantity_too_large"
    BAD_WEIGHT = "bad_weight"
    VARIANT_WITHOUT_ATTRIBUTES = "variant_without_attributes"
    DUPLICATE_VARIANT_COMBINATION = "duplicate_variant_combination"


class Reject(Exception):
    """Raised by a rule check; `validation` turns it into a `Quarantined` record."""

    def __init__(self, rule: Rule, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
