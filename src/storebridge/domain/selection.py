"""Which POS items are for the web, and at which price (design.md §3).

Each connector maps its system onto one of three modes, chosen per store:

* ``flag``: selected iff the item's "sell online" flag is truthy
  (1, true, yes, y, x, web — any case — or a real ``True``);
* ``webstore``: selected iff the named web store lists the item in its
  assortment; that store's price replaces the regular price;
* ``all``: every item is selected; the merchant publishes what it wants.

Selection runs as a step *inside* `validation.validate`, before the price
rules, so a web-store price is validated exactly like a regular price and a
selected item's errors are reported against the value really sent.  An item
outside the selection is still returned by validation (``selected=False``):
the planner needs it to zero the stock of a product that left the web.
"""

from __future__ import annotations

from dataclasses import dataclass

from storebridge.domain.model import RawItem, Scalar, SelectionMode

__all__ = ["TRUE_FLAGS", "Selected", "Selection", "is_flag_set", "select"]

#: Spellings of "yes, sell online" found in POS exports (compared case-insensitively).
TRUE_FLAGS = frozenset({"1", "true", "yes", "y", "x", "web"})


@dataclass(frozen=True, slots=True)
class Selection:
    """The store's selection setting.

    Raises:
        ValueError: ``webstore`` mode without a web store name, or a name given
            for another mode (a sign the configuration was misread).
    """

    mode: SelectionMode = "all"
    webstore: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("flag", "webstore", "all"):
            raise ValueError(f"unknown selection mode {self.mode!r}: use flag, webstore or all")
        if self.mode == "webstore" and not (self.webstore and self.webstore.strip()):
            raise ValueError("selection mode 'webstore' needs the web store's name")
        if self.mode != "webstore" and self.webstore is not None:
            raise ValueError(
                f"a web store name ({self.webstore!r}) is only used by selection mode 'webstore'"
            )


@dataclass(frozen=True, slots=True)
class Selected:
    """The outcome of selection for one raw item.

    `price` is the raw value to validate as the regular price, and
    `price_field` names where it came from, for error messages.
    """

    selected: bool
    price: Scalar
    price_field: str


def is_flag_set(value: Scalar) -> bool:
    """Whether a "sell online" flag value means yes."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().casefold() in TRUE_FLAGS


def select(raw: RawItem, selection: Selection) -> Selected:
    """Decide whether `raw` is for the web and which raw price applies."""
    if selection.mode == "flag":
        return Selected(is_flag_set(raw.web_flag), raw.regular_price, "regular_price")
    if selection.mode == "webstore":
        store = selection.webstore or ""
        if store in raw.webstore_prices:
            return Selected(True, raw.webstore_prices[store], f"web store {store!r} price")
        return Selected(False, None, f"web store {store!r} price")
    return Selected(True, raw.regular_price, "regular_price")
