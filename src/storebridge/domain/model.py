"""Value types shared by the core, the connectors and the engines.

Two families live here:

* what a POS/ERP connector *reads* (`RawItem`, before validation, and `PosItem`,
  after it) — see design.md §1-3;
* what a connector is asked to *write* (`OrderDocument`, `CreditDocument`,
  `CustomerDoc`) — see design.md §5.

Every type is frozen: the planner and the engines pass snapshots around and
must never mutate what a connector gave them.  Money is `Decimal`, never float,
because export totals must balance to the cent.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Literal

#: A loosely typed source value, as a file feed or a database hands it over.
#: Validation (domain.validation) is the only place that turns it into a typed value.
Scalar = str | int | float | Decimal | bool | None

SelectionMode = Literal["flag", "webstore", "all"]
DelistPolicy = Literal["zero_stock", "leave"]

CENT = Decimal("0.01")


def sku_key(sku: str) -> str:
    """The form under which WooCommerce compares SKUs: trimmed, case-folded.

    WooCommerce trims a SKU and checks uniqueness case-insensitively
    (golden 029/030), so two POS SKUs that differ only in case or padding are
    the same product on the web side.  Interned: a big feed holds each key
    in several tables (digests, availability, links), as one string.
    """
    return sys.intern(sku.strip().casefold())


def money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents (the unit every WooCommerce price string uses)."""
    return Decimal(value).quantize(CENT)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a row came from, so a quarantined row can be shown and fixed."""

    source: str  # file name, table name or connector name
    line: int | None = None  # 1-based line or row number, when the source has one
    raw: str = ""  # the source line or a compact rendering of the record


@dataclass(frozen=True, slots=True)
class RawItem:
    """One POS/ERP item as read, before any validation.

    Connectors fill what their system has and leave the rest `None`/empty.
    `web_flag` serves the `flag` selection mode, `webstore_prices` the
    `webstore` mode (web store name -> that store's price).  `parent_code`
    and `attributes` describe matrix items (style x size x colour).
    """

    ref: SourceRef
    sku: Scalar
    name: Scalar = None
    regular_price: Scalar = None
    sale_price: Scalar = None
    sale_from: Scalar = None
    sale_to: Scalar = None
    on_hand: Mapping[str, Scalar] = field(default_factory=dict)  # location -> quantity
    web_flag: Scalar = None
    webstore_prices: Mapping[str, Scalar] = field(default_factory=dict)
    description: Scalar = None
    short_description: Scalar = None
    categories: tuple[str, ...] = ()
    weight: Scalar = None
    parent_code: Scalar = None
    parent_name: Scalar = None
    attributes: Mapping[str, Scalar] = field(default_factory=dict)  # e.g. {"Size": "M"}
    #: Why the connector could not read this record (a CSV row it cannot split,
    #: a JSON line that is not an object); set, validation quarantines the row
    #: with this sentence instead of guessing at the fields it could not read.
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class PosItem:
    """A validated POS item selected for the web (or a delisted one, `selected=False`).

    `regular_price`/`sale_price` are POS-owned and kept in sync; the
    descriptive fields are used once, when the WooCommerce draft is created.
    """

    sku: str
    name: str
    regular_price: Decimal
    on_hand: Mapping[str, int]  # location -> whole units
    sale_price: Decimal | None = None
    sale_from: datetime | None = None
    sale_to: datetime | None = None
    selected: bool = True
    description: str | None = None
    short_description: str | None = None
    categories: tuple[str, ...] = ()
    weight: Decimal | None = None
    parent_code: str | None = None
    parent_name: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # ordered (name, value) pairs
    ref: SourceRef = field(default_factory=lambda: SourceRef("unknown"))
    #: `sku_key(sku)`, computed once: the planner and the recorder ask for it many times.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", sku_key(self.sku))

    def __reduce__(self) -> tuple[type[PosItem], tuple[object, ...]]:
        # Unpickled (a big feed is kept in a file, `sync.catalogue.spill`) through
        # __init__, so that the key is the interned one again, not a copy.
        return (PosItem, tuple(getattr(self, name) for name in _POS_ITEM_FIELDS))


#: PosItem's constructor arguments, in order (`PosItem.__reduce__`).
_POS_ITEM_FIELDS = tuple(f.name for f in fields(PosItem) if f.init)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row that failed validation: it is kept, shown, and skipped by the sync."""

    ref: SourceRef
    sku: str | None
    reason: str  # machine-readable rule name, e.g. "sale_price_not_below_regular"
    detail: str  # human sentence naming the bad value and the fix


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A row the caller vouches is as it was when last synced: not validated again.

    Kept raw, so that a feed-wide rule it takes part in (a duplicate SKU, a
    style clash) can still judge it, and the engine can validate it after all
    when its stock must be published anew.
    """

    key: str  # its SKU key
    raw: RawItem


# ---------------------------------------------------------------------------
# What the POS/ERP is asked to write (design.md §5)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class CustomerDoc:
    """The customer of an exported order; matched in the POS by normalised e-mail."""

    email: str  # normalised: trimmed, lower-case; "" for a guest without e-mail
    first_name: str
    last_name: str
    billing: Address
    shipping: Address
    woo_customer_id: int = 0  # 0 for guest checkouts
    phone: str = ""

    @property
    def is_guest(self) -> bool:
        return self.woo_customer_id == 0


@dataclass(frozen=True, slots=True)
class DocLine:
    """One product line. `known_to_pos=False` lines are exported as non-inventory lines.

    The money breakdown a POS/ERP books: `total` is the net amount after
    discounts, `tax` its tax at `tax_rate` percent (the sum of the line's
    rates; 0 when untaxed) and `gross` = total + tax, whether the store
    enters prices with or without tax.
    """

    sku: str | None
    name: str
    quantity: int
    unit_price: Decimal  # after line discounts, before tax
    subtotal: Decimal  # before discounts, before tax
    total: Decimal  # after discounts, before tax
    tax: Decimal
    woo_line_id: int = 0
    known_to_pos: bool = True
    tax_rate: Decimal = Decimal(0)  # percent: 10 means 10 %
    subtotal_tax: Decimal = Decimal(0)  # tax before discounts
    gross: Decimal = field(init=False)  # total + tax

    def __post_init__(self) -> None:
        object.__setattr__(self, "gross", self.total + self.tax)


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """Shipping or fee line: net `total`, its `tax` at `tax_rate` percent, and `gross`."""

    kind: Literal["shipping", "fee"]
    name: str
    total: Decimal
    tax: Decimal
    method_id: str = ""
    tax_rate: Decimal = Decimal(0)
    gross: Decimal = field(init=False)  # total + tax

    def __post_init__(self) -> None:
        object.__setattr__(self, "gross", self.total + self.tax)


@dataclass(frozen=True, slots=True)
class TaxSummary:
    """One tax rate's share of a document (WooCommerce's `tax_lines`)."""

    rate_id: int
    label: str
    rate: Decimal  # percent
    tax: Decimal  # on products and fees
    shipping_tax: Decimal


def document_sum(lines: tuple[DocLine, ...], charges: tuple[ChargeLine, ...]) -> Decimal:
    """What a document's lines add up to, gross: the figure that must equal its total."""
    return sum((line.gross for line in lines), Decimal(0)) + sum(
        (charge.gross for charge in charges), Decimal(0)
    )


def imbalance(document: OrderDocument | CreditDocument) -> Decimal:
    """By how much a document's lines miss its total (0 when it balances or has no lines).

    A writer refuses a document with an imbalance: the POS/ERP would book
    totals that differ from what WooCommerce charged or refunded.
    """
    if not (document.lines or document.charges):
        return Decimal(0)
    return document_sum(document.lines, document.charges) - document.total


@dataclass(frozen=True, slots=True)
class OrderDocument:
    """An order as the POS/ERP receives it: self-contained and balanced to the cent."""

    idempotency_key: str  # "<store id>:<woo order id>"
    store: str
    woo_order_id: int
    number: str
    status: str
    created_at: datetime
    completed_at: datetime | None
    currency: str
    customer: CustomerDoc
    lines: tuple[DocLine, ...]
    charges: tuple[ChargeLine, ...]
    coupons: tuple[str, ...]
    discount_total: Decimal
    discount_tax: Decimal
    tax_total: Decimal
    total: Decimal
    prices_include_tax: bool
    payment_method: str
    payment_method_title: str
    transaction_id: str
    customer_note: str
    flags: tuple[str, ...] = ()  # e.g. "unknown_sku:ABC-1"
    taxes: tuple[TaxSummary, ...] = ()

    @property
    def net_total(self) -> Decimal:
        """The document's amount before tax (lines, shipping and fees)."""
        return self.total - self.tax_total


@dataclass(frozen=True, slots=True)
class CreditDocument:
    """A return/credit for an order that was already exported (refund or cancellation)."""

    idempotency_key: str  # "<store id>:<woo order id>:credit:<refund id or 'cancel'>"
    store: str
    woo_order_id: int
    original_pos_ref: str
    reason: str
    lines: tuple[DocLine, ...]
    total: Decimal  # positive amount credited, tax included
    created_at: datetime
    charges: tuple[ChargeLine, ...] = ()  # shipping and fees credited (positive)
    tax_total: Decimal = Decimal(0)  # tax inside `total`
