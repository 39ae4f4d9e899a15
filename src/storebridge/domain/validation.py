"""POS rows in, `PosItem` or `Quarantined` out (design.md §6).

A bad row never stops a run: it becomes a `Quarantined` record with one
named rule (`Rule`, the machine code) and a sentence that names the bad value
and says how to fix it.  The first broken rule wins, in this order: SKU,
selection, encoding, name, price, sale, stock, weight, matrix attributes.
`validate_feed` adds the rules that need the whole feed: duplicate SKUs,
duplicate variant combinations and a SKU that equals a style code.

Decisions worth knowing:

* **Prices with more than two decimals are rounded half-up to cents and
  accepted** (many ERPs keep 4-decimal price lists, and WooCommerce prices are
  cents).  Rules that compare prices (sale below regular) compare the rounded
  values, which are the ones sent.
* A zero price or zero sale price is refused: on the web it gives goods away.
  A connector whose POS writes 0 for "no sale price" must map it to empty.
* Sale dates are read only when there is a sale price; a bare end date means
  the end of that day (UTC), like WooCommerce's own admin.
* Items outside the selection are checked for a usable SKU only: the planner
  needs nothing else to zero their stock, and a non-web item's price errors
  are not the web's concern.  Their prices are reported as zero.
* A blank name is `missing_name`, except for a variant, which may take its
  style's name (`parent_name`).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from storebridge.domain.feed_rules import (
    FactsList,
    Outcome,
    Outcomes,
    facts_of,
    quarantine_duplicate_combinations,
    quarantine_duplicate_skus,
    quarantine_style_clashes,
)
from storebridge.domain.model import (
    CENT,
    PosItem,
    Quarantined,
    RawItem,
    Scalar,
    Unchanged,
    sku_key,
)
from storebridge.domain.parsing import (
    ParseError,
    parse_decimal,
    parse_timestamp,
    parse_whole,
    text,
)
from storebridge.domain.rules import Reject, Rule
from storebridge.domain.selection import Selection, select

__all__ = [
    "MAX_SKU_LENGTH",
    "FeedResult",
    "Rule",
    "validate",
    "validate_feed",
    "validate_into",
]

#: WooCommerce stores SKUs in a 100-character lookup column; longer ones are cut.
MAX_SKU_LENGTH = 100


@dataclass(frozen=True, slots=True)
class FeedResult:
    """A validated feed: the good items and the quarantined rows, in feed order.

    `unchanged`: the rows the caller's `unchanged` check vouched for and no
    feed-wide rule concerned, by SKU key: valid, and not validated again.
    """

    items: list[PosItem]
    quarantined: list[Quarantined]
    unchanged: dict[str, RawItem] = dataclasses.field(default_factory=dict)

    @property
    def quarantined_keys(self) -> frozenset[str]:
        """SKU keys of the quarantined rows: pass them to `plan(quarantined=...)`.

        The planner then leaves their links alone, so a bad row does not zero
        the stock of a product that is on the web.
        """
        return frozenset(sku_key(q.sku) for q in self.quarantined if q.sku)


@dataclass(frozen=True, slots=True)
class _Options:
    selection: Selection
    decimal_comma: bool
    date_format: str | None
    max_price: Decimal
    max_quantity: int


def validate(
    raw: RawItem,
    *,
    selection: Selection | None = None,
    decimal_comma: bool = False,
    date_format: str | None = None,
    max_price: Decimal = Decimal("1000000"),
    max_quantity: int = 1_000_000,
) -> PosItem | Quarantined:
    """Validate one row (the rules that need only this row).

    Args:
        raw: the row as the connector read it.
        selection: the store's selection mode; default ``all``.
        decimal_comma: numbers are written ``1.234,50``.
        date_format: a strptime format accepted besides ISO 8601.
        max_price: prices above this are absurd (``price_too_large``).
        max_quantity: on-hand above this is absurd (``quantity_too_large``).
    """
    options = _Options(
        selection or Selection(), decimal_comma, date_format, max_price, max_quantity
    )
    return _validate_row(raw, options)[0]


def validate_feed(
    rows: Iterable[RawItem],
    *,
    selection: Selection | None = None,
    decimal_comma: bool = False,
    date_format: str | None = None,
    max_price: Decimal = Decimal("1000000"),
    max_quantity: int = 1_000_000,
    unchanged: Callable[[RawItem], str | None] | None = None,
) -> FeedResult:
    """Validate a whole feed, row by row, then apply the feed-level rules.

    Rows are consumed as a stream; only their outcomes are kept.  Every
    occurrence of a duplicated SKU is quarantined (we cannot know which row is
    right), and so is every variant sharing an attribute combination with
    another variant of its style.

    `unchanged(raw)` returns the row's SKU key when the caller knows the row
    is exactly as it was when it last validated and synced (with the same
    options), else None.  Such a row is not validated, unless a feed-wide
    rule may concern it (its SKU appears twice, its style has a changed
    variant, its SKU is a style code or its style code a SKU): those are
    validated after all, so the rules judge the whole feed as before.
    """
    outcomes: list[Outcome] = []
    validate_into(
        outcomes,
        rows,
        selection=selection,
        decimal_comma=decimal_comma,
        date_format=date_format,
        max_price=max_price,
        max_quantity=max_quantity,
        unchanged=unchanged,
    )
    return FeedResult(
        items=[o for o in outcomes if isinstance(o, PosItem)],
        quarantined=[o for o in outcomes if isinstance(o, Quarantined)],
        unchanged={o.key: o.raw for o in outcomes if isinstance(o, Unchanged)},
    )


def validate_into(
    outcomes: Outcomes,
    rows: Iterable[RawItem],
    *,
    selection: Selection | None = None,
    decimal_comma: bool = False,
    date_format: str | None = None,
    max_price: Decimal = Decimal("1000000"),
    max_quantity: int = 1_000_000,
    unchanged: Callable[[RawItem], str | None] | None = None,
) -> FactsList:
    """`validate_feed`, keeping each row's final outcome in `outcomes`, in feed order.

    For a feed too big to hold: `outcomes` may keep them out of memory (a
    file); the feed-wide rules read only the few rows they quarantine.
    Returns each outcome's `Facts` (kind and SKU key), in the same order.
    """
    options = _Options(
        selection or Selection(), decimal_comma, date_format, max_price, max_quantity
    )
    kept = _Kept(outcomes)
    lines: list[int | None] = []
    first_row: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    for index, raw in enumerate(rows):
        key = unchanged(raw) if unchanged is not None else None
        outcome: Outcome
        if key is not None:
            outcome = Unchanged(key, raw)
        else:
            outcome, key = _validate_row(raw, options)
        kept.append(outcome)
        lines.append(raw.ref.line)
        if key is not None:
            seen = first_row.setdefault(key, index)
            if seen != index:
                duplicates.setdefault(key, [seen]).append(index)

    def where(index: int) -> str:
        line = lines[index]
        return f"line {line}" if line is not None else f"row {index + 1}"

    _validate_concerned(kept, duplicates, first_row, options)
    quarantine_duplicate_skus(kept, where, duplicates)
    quarantine_duplicate_combinations(kept, where)
    quarantine_style_clashes(kept, where)
    return kept.facts


class _Kept:
    """The outcomes and their `Facts`, kept in step."""

    def __init__(self, outcomes: Outcomes) -> None:
        self.outcomes = outcomes
        self.facts = FactsList()

    def append(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.facts.append(facts_of(outcome, _style_of_raw))

    def __getitem__(self, index: int) -> Outcome:
        return self.outcomes[index]

    def __setitem__(self, index: int, outcome: Outcome) -> None:
        self.outcomes[index] = outcome
        self.facts[index] = facts_of(outcome, _style_of_raw)


def _style_of_raw(row: Unchanged) -> str | None:
    code = text(row.raw.parent_code)
    return None if code is None else sku_key(code)


def _validate_concerned(
    kept: _Kept,
    duplicates: dict[str, list[int]],
    first_row: dict[str, int],
    options: _Options,
) -> None:
    """Validate the unchanged rows a feed-wide rule may concern (see `validate_feed`)."""
    skipped = [i for i, facts in enumerate(kept.facts) if facts.kind is Unchanged]
    if not skipped:
        return
    changed_styles = {facts.style for facts in kept.facts if facts.kind is PosItem and facts.style}
    style_codes = changed_styles | {
        facts.style for facts in kept.facts if facts.kind is Unchanged and facts.style
    }
    for index in skipped:
        key, style = kept.facts[index].key, kept.facts[index].style
        assert key is not None
        if (
            key in duplicates
            or key in style_codes
            or (style is not None and (style in changed_styles or style in first_row))
        ):
            row = kept[index]
            assert isinstance(row, Unchanged)
            kept[index] = _validate_row(row.raw, options)[0]


# ---------------------------------------------------------------------------
# One row
# ---------------------------------------------------------------------------


def _validate_row(raw: RawItem, options: _Options) -> tuple[PosItem | Quarantined, str | None]:
    """The outcome, and the SKU key when the SKU itself is usable (for duplicate checks)."""
    shown_sku = text(raw.sku)
    if raw.unreadable is not None:
        return Quarantined(raw.ref, shown_sku, Rule.UNREADABLE_RECORD.value, raw.unreadable), None
    try:
        sku = _check_sku(raw.sku)
    except Reject as reject:
        return Quarantined(raw.ref, shown_sku, reject.rule.value, reject.detail), None
    try:
        return _check_item(raw, sku, options), sku_key(sku)
    except Reject as reject:
        return Quarantined(raw.ref, sku, reject.rule.value, reject.detail), sku_key(sku)


def _check_sku(value: Scalar) -> str:
    if value is None:
        raise Reject(
            Rule.MISSING_SKU,
            "the row has no SKU; give the item a SKU in the POS (the SKU links it to WooCommerce)",
        )
    sku = text(value)
    if sku is None:
        raise Reject(
            Rule.BLANK_SKU,
            f"the SKU {value!r} is blank; give the item a SKU in the POS",
        )
    if "\ufffd" in sku:
        raise Reject(
            Rule.BAD_ENCODING,
            f"the SKU {sku!r} contains unreadable characters (�); check the feed's "
            "character encoding (for example UTF-8 versus Windows-1252)",
        )
    if any(unicodedata.category(ch) == "Cc" for ch in sku):
        raise Reject(
            Rule.SKU_HAS_CONTROL_CHARS,
            f"the SKU {sku!r} contains control characters (tab, line break...); "
            "remove them in the POS",
        )
    if len(sku) > MAX_SKU_LENGTH:
        raise Reject(
            Rule.SKU_TOO_LONG,
            f"the SKU {sku[:30]!r}... is {len(sku)} characters long; WooCommerce keeps at "
            f"most {MAX_SKU_LENGTH}: shorten it in the POS",
        )
    # WooCommerce cleans SKUs with sanitize_text_field: tags are stripped, runs of
    # spaces collapse and %XX sequences vanish.  The stored SKU would then differ
    # from the POS one and the link could never be confirmed.
    if "<" in sku or ">" in sku or "  " in sku or _has_percent_octet(sku):
        raise Reject(
            Rule.SKU_NOT_STORABLE,
            f"the SKU {sku!r} would be altered by WooCommerce (it strips <...>, %XX "
            "sequences and double spaces); change it in the POS",
        )
    return sku


def _has_percent_octet(sku: str) -> bool:
    hexdigits = "0123456789abcdefABCDEF"
    return any(
        sku[i] == "%" and sku[i + 1] in hexdigits and sku[i + 2] in hexdigits
        for i in range(len(sku) - 2)
    )


def _check_item(raw: RawItem, sku: str, options: _Options) -> PosItem:
    chosen = select(raw, options.selection)
    if not chosen.selected:
        return PosItem(
            sku=sku,
            name=text(raw.name) or sku,
            regular_price=Decimal(0),
            on_hand={},
            selected=False,
            parent_code=text(raw.parent_code),
            ref=raw.ref,
        )
    _check_encoding(raw)
    parent_code = text(raw.parent_code)
    parent_name = text(raw.parent_name)
    name = text(raw.name) or (parent_name if parent_code else None)
    if name is None:
        raise Reject(
            Rule.MISSING_NAME,
            f"item {sku!r} has no name; WooCommerce needs one for the draft: "
            "give the item a name in the POS",
        )
    regular = _check_price(chosen.price, chosen.price_field, options)
    sale, sale_from, sale_to = _check_sale(raw, regular, options)
    attributes = tuple(
        (attr_name, attr_value)
        for attr_name, attr_value in ((text(k), text(v)) for k, v in raw.attributes.items())
        if attr_name and attr_value
    )
    on_hand = _check_on_hand(raw, options)
    weight = _check_weight(raw.weight, options)
    if parent_code and not attributes:
        raise Reject(
            Rule.VARIANT_WITHOUT_ATTRIBUTES,
            f"variant {sku!r} of style {parent_code!r} has no attribute values (size, "
            "colour...); fill them in the POS or remove the style code",
        )
    return PosItem(
        sku=sku,
        name=name,
        regular_price=regular,
        on_hand=on_hand,
        sale_price=sale,
        sale_from=sale_from,
        sale_to=sale_to,
        selected=True,
        description=text(raw.description),
        short_description=text(raw.short_description),
        categories=tuple(c.strip() for c in raw.categories if c and c.strip()),
        weight=weight,
        parent_code=parent_code,
        parent_name=parent_name,
        attributes=attributes,
        ref=raw.ref,
    )


#: The scalar fields of a `RawItem` checked for unreadable characters.
_STRING_FIELDS = (
    "name",
    "regular_price",
    "sale_price",
    "sale_from",
    "sale_to",
    "web_flag",
    "description",
    "short_description",
    "weight",
    "parent_code",
    "parent_name",
)


def _mappings(raw: RawItem) -> tuple[tuple[str, Mapping[str, Scalar]], ...]:
    """The mapping fields of a `RawItem`, each with its name."""
    return (
        ("on_hand", raw.on_hand),
        ("webstore_prices", raw.webstore_prices),
        ("attributes", raw.attributes),
    )


def _strings(raw: RawItem) -> Iterator[tuple[str, Scalar]]:
    for field in _STRING_FIELDS:
        yield field, getattr(raw, field)
    for category in raw.categories:
        yield "categories", category
    for mapping_name, mapping in _mappings(raw):
        for key, value in mapping.items():
            yield mapping_name, key
            yield f"{mapping_name}[{key}]", value


def _check_encoding(raw: RawItem) -> None:
    if not _has_replacement(raw):
        return  # the usual case: no field names to build
    for field, value in _strings(raw):
        if isinstance(value, str) and "\ufffd" in value:
            raise Reject(
                Rule.BAD_ENCODING,
                f"{field} {value[:40]!r} contains unreadable characters (�); check the "
                "feed's character encoding (for example UTF-8 versus Windows-1252)",
            )


def _has_replacement(raw: RawItem) -> bool:
    """Whether any value `_strings` yields is a string holding U+FFFD (one flat pass)."""
    values: list[object] = [getattr(raw, field) for field in _STRING_FIELDS]
    values.extend(raw.categories)
    for _name, mapping in _mappings(raw):
        for key, value in mapping.items():
            values.append(key)
            values.append(value)
    return any(isinstance(value, str) and "\ufffd" in value for value in values)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _check_price(value: Scalar, field: str, options: _Options) -> Decimal:
    try:
        price = parse_decimal(value, decimal_comma=options.decimal_comma)
    except ParseError as error:
        raise Reject(
            Rule.PRICE_NOT_NUMERIC, f"{field}: {error}; correct the price in the POS"
        ) from None
    if price is None:
        raise Reject(
            Rule.MISSING_PRICE, f"{field} is empty; set a price in the POS for this web item"
        )
    if price < 0:
        raise Reject(
            Rule.PRICE_NEGATIVE, f"{field} {value!r} is negative; correct the price in the POS"
        )
    if price > options.max_price:
        raise Reject(
            Rule.PRICE_TOO_LARGE,
            f"{field} {value!r} is above the limit of {options.max_price}; check the price "
            "(a misplaced decimal separator?) and fix it in the POS",
        )
    rounded = _cents(price)
    if rounded == 0:
        raise Reject(
            Rule.PRICE_ZERO,
            f"{field} {value!r} is zero; the product would be free on the web: set a price",
        )
    return rounded


def _check_sale(
    raw: RawItem, regular: Decimal, options: _Options
) -> tuple[Decimal | None, datetime | None, datetime | None]:
    try:
        sale = parse_decimal(raw.sale_price, decimal_comma=options.decimal_comma)
    except ParseError as error:
        raise Reject(
            Rule.SALE_PRICE_NOT_NUMERIC,
            f"sale_price: {error}; correct it or leave it empty for no sale",
        ) from None
    if sale is None:
        return None, None, None
    if sale < 0:
        raise Reject(
            Rule.SALE_PRICE_NEGATIVE,
            f"sale_price {raw.sale_price!r} is negative; correct it or leave it empty",
        )
    sale = _cents(sale)
    if sale == 0:
        raise Reject(
            Rule.SALE_PRICE_ZERO,
            f"sale_price {raw.sale_price!r} is zero, which gives the item away; "
            "leave it empty for no sale",
        )
    if sale >= regular:
        # WooCommerce would accept the request and silently drop the sale price.
        raise Reject(
            Rule.SALE_PRICE_NOT_BELOW_REGULAR,
            f"sale_price {sale} is not below the regular price {regular}; WooCommerce "
            "would silently drop it: lower the sale price or clear it",
        )
    sale_from = _check_date(raw.sale_from, "sale_from", options, end_of_day=False)
    sale_to = _check_date(raw.sale_to, "sale_to", options, end_of_day=True)
    if sale_from is not None and sale_to is not None and sale_to <= sale_from:
        raise Reject(
            Rule.SALE_WINDOW_REVERSED,
            f"the sale ends ({sale_to:%Y-%m-%d %H:%M}) before it starts "
            f"({sale_from:%Y-%m-%d %H:%M}); swap or correct the dates",
        )
    return sale, sale_from, sale_to


def _check_date(
    value: Scalar, field: str, options: _Options, *, end_of_day: bool
) -> datetime | None:
    try:
        return parse_timestamp(value, date_format=options.date_format, end_of_day=end_of_day)
    except ParseError as error:
        raise Reject(Rule.BAD_SALE_DATE, f"{field}: {error}; correct the date") from None


def _check_on_hand(raw: RawItem, options: _Options) -> dict[str, int]:
    on_hand: dict[str, int] = {}
    for location, value in raw.on_hand.items():
        try:
            quantity = parse_whole(value, decimal_comma=options.decimal_comma)
        except ParseError as error:
            raise Reject(
                Rule.QUANTITY_NOT_INTEGER,
                f"on-hand at {location!r}: {error}; stock must be whole units",
            ) from None
        quantity = quantity or 0
        if quantity < 0:
            raise Reject(
                Rule.QUANTITY_NEGATIVE,
                f"on-hand at {location!r} is {quantity}; correct the stock count in the POS",
            )
        if quantity > options.max_quantity:
            raise Reject(
                Rule.QUANTITY_TOO_LARGE,
                f"on-hand at {location!r} is {quantity}, above the limit of "
                f"{options.max_quantity}; check the stock count in the POS",
            )
        on_hand[str(location)] = quantity
    total = sum(on_hand.values())
    if total > options.max_quantity:
        raise Reject(
            Rule.QUANTITY_TOO_LARGE,
            f"on-hand over all locations is {total}, above the limit of "
            f"{options.max_quantity}; check the stock counts in the POS",
        )
    return on_hand


def _check_weight(value: Scalar, options: _Options) -> Decimal | None:
    try:
        weight = parse_decimal(value, decimal_comma=options.decimal_comma)
    except ParseError as error:
        raise Reject(Rule.BAD_WEIGHT, f"weight: {error}; correct or clear it") from None
    if weight is not None and weight < 0:
        raise Reject(Rule.BAD_WEIGHT, f"weight {value!r} is negative; correct or clear it")
    return weight
