"""Quarantine rules that need the whole feed, applied after each row was validated.

* ``duplicate_sku``: every occurrence of a SKU that appears more than once
  (compared like WooCommerce does: trimmed, ignoring case) is quarantined;
  we cannot know which row is right.
* ``duplicate_variant_combination``: two variants of one style with the same
  attribute values (ignoring case): WooCommerce could not tell them apart.
* ``sku_style_clash``: an item SKU equal to a style code; the style code is
  the variable product's SKU, so both cannot exist in WooCommerce.

The rules judge each row by its `Facts` (its SKU key, style and attribute
combination: a few words a row), so a big feed's outcomes may be kept
elsewhere (`Outcomes`: a list, or a file) and are read only for the rows a
rule quarantines.  `where(index)` names a row ("line N"/"row N") for the
messages.  An `Unchanged` row (not validated again) must not take part in a
rule: `validate_feed` validates every row a rule could concern before the
passes run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

from storebridge.domain.model import PosItem, Quarantined, Unchanged, sku_key
from storebridge.domain.rules import Rule

__all__ = [
    "Facts",
    "FactsList",
    "Outcome",
    "Outcomes",
    "facts_of",
    "quarantine_duplicate_combinations",
    "quarantine_duplicate_skus",
    "quarantine_style_clashes",
]

Outcome = PosItem | Quarantined | Unchanged
Combination = tuple[tuple[str, str], ...]


class Outcomes(Protocol):
    """Where a feed's outcomes are kept, in feed order (a list does)."""

    def append(self, outcome: Outcome, /) -> None: ...

    def __getitem__(self, index: int, /) -> Outcome: ...

    def __setitem__(self, index: int, outcome: Outcome, /) -> None: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Outcome]: ...


class Facts(NamedTuple):
    """What the feed-wide rules need of one row's outcome."""

    kind: type[PosItem] | type[Quarantined] | type[Unchanged]
    #: The SKU key of an item or an unchanged row (a quarantined row's is not needed).
    key: str | None = None
    #: The style key of a variant (an unchanged row's too, read from its raw row).
    style: str | None = None
    selected: bool = False
    #: A selected variant's attribute values, case-folded and sorted.
    combination: Combination | None = None


_QUARANTINED = Facts(Quarantined)


class FactsList:
    """`Facts` in feed order; most rows (a simple selected item) kept as their bare SKU key.

    A tuple a row would cost 80 bytes more: 8 MB at 100,000 items.
    """

    def __init__(self) -> None:
        self._rows: list[Facts | str] = []

    def append(self, facts: Facts) -> None:
        self._rows.append(_packed(facts))

    def __setitem__(self, index: int, facts: Facts) -> None:
        self._rows[index] = _packed(facts)

    def __getitem__(self, index: int) -> Facts:
        return _unpacked(self._rows[index])

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Facts]:
        return map(_unpacked, self._rows)


def _packed(facts: Facts) -> Facts | str:
    simple = facts.kind is PosItem and facts.selected and facts.style is None
    return facts.key if simple and facts.key is not None else facts


def _unpacked(row: Facts | str) -> Facts:
    return Facts(PosItem, row, None, True) if isinstance(row, str) else row


def facts_of(outcome: Outcome, style_of_raw: Callable[[Unchanged], str | None]) -> Facts:
    """The `Facts` of one outcome; `style_of_raw` reads an unchanged row's style key."""
    if isinstance(outcome, Quarantined):
        return _QUARANTINED
    if isinstance(outcome, Unchanged):
        return Facts(Unchanged, outcome.key, style_of_raw(outcome))
    if not outcome.parent_code:
        return Facts(PosItem, outcome.key, None, outcome.selected)
    combination = None
    if outcome.selected:
        combination = tuple(sorted((n.casefold(), v.casefold()) for n, v in outcome.attributes))
    return Facts(PosItem, outcome.key, sku_key(outcome.parent_code), outcome.selected, combination)


class _Feed(Protocol):
    """The outcomes and their facts, kept in step (`validation._Kept`)."""

    facts: FactsList

    def __getitem__(self, index: int, /) -> Outcome: ...

    def __setitem__(self, index: int, outcome: Outcome, /) -> None: ...


def _item(feed: _Feed, index: int) -> PosItem:
    outcome = feed[index]
    assert isinstance(outcome, PosItem)
    return outcome


def _others(where: Callable[[int], str], indexes: list[int], me: int) -> str:
    return ", ".join(where(i) for i in indexes if i != me)


def quarantine_duplicate_skus(
    feed: _Feed, where: Callable[[int], str], duplicates: dict[str, list[int]]
) -> None:
    """`duplicates`: the rows of each SKU key found more than once."""
    for indexes in duplicates.values():
        for index in indexes:
            outcome = feed[index]
            assert not isinstance(outcome, Unchanged), "validate_feed validates duplicates"
            feed[index] = Quarantined(
                outcome.ref,
                outcome.sku,
                Rule.DUPLICATE_SKU.value,
                f"SKU {outcome.sku!r} appears {len(indexes)} times in this feed (also on "
                f"{_others(where, indexes, index)}; SKUs are compared ignoring case and "
                "surrounding spaces); keep one item per SKU in the POS",
            )


def quarantine_duplicate_combinations(feed: _Feed, where: Callable[[int], str]) -> None:
    rows_by_combination: dict[tuple[str, Combination], list[int]] = {}
    for index, facts in enumerate(feed.facts):
        if facts.kind is PosItem and facts.combination is not None and facts.style:
            rows_by_combination.setdefault((facts.style, facts.combination), []).append(index)
    for (_, combination), indexes in rows_by_combination.items():
        if len(indexes) < 2:
            continue
        shown = ", ".join(f"{n}={v}" for n, v in combination)
        for index in indexes:
            outcome = _item(feed, index)
            feed[index] = Quarantined(
                outcome.ref,
                outcome.sku,
                Rule.DUPLICATE_VARIANT_COMBINATION.value,
                f"variant {outcome.sku!r} of style {outcome.parent_code!r} has the same "
                f"attributes ({shown}) as {_others(where, indexes, index)}; WooCommerce "
                "cannot tell them apart: give each variant its own combination",
            )


def quarantine_style_clashes(feed: _Feed, where: Callable[[int], str]) -> None:
    # A variable product is linked by its style code used as SKU, so a style code
    # that is also an item's SKU would make two products claim one SKU.
    variants_by_style: dict[str, list[int]] = {}
    for index, facts in enumerate(feed.facts):
        if facts.kind is PosItem and facts.style:
            variants_by_style.setdefault(facts.style, []).append(index)
    clashing = [
        (index, _item(feed, index).sku)
        for index, facts in enumerate(feed.facts)
        if facts.kind is PosItem and facts.key in variants_by_style
    ]
    for index, sku in clashing:
        variants = variants_by_style[sku_key(sku)]
        for other in [index, *variants]:
            if feed.facts[other].kind is not PosItem:
                continue
            outcome = _item(feed, other)
            feed[other] = Quarantined(
                outcome.ref,
                outcome.sku,
                Rule.SKU_STYLE_CLASH.value,
                f"SKU {sku!r} ({where(index)}) is also the style code of "
                f"{len(variants)} variant(s) ({', '.join(where(i) for i in variants)}); "
                "WooCommerce uses the style code as the variable product's SKU: "
                "rename one of them in the POS",
            )
