"""Quarantine rules that need the whole feed, applied after each row was validated.

* ``duplicate_sku``: every occurrence of a SKU that appears more than once
  (compared like WooCommerce does: trimmed, ignoring case) is quarantined;
  we cannot know which row is right.
* ``duplicate_variant_combination``: two variants of one style with the same
  attribute values (ignoring case): WooCommerce could not tell them apart.
* ``sku_style_clash``: an item SKU equal to a style code; the style code is
  the variable product's SKU, so both cannot exist in WooCommerce.

Each pass rewrites `outcomes` in place (a list in feed order); `where` holds
a "line N"/"row N" label per outcome for the messages.  An `Unchanged` row
(not validated again) must not take part in a rule: `validate_feed`
validates every row a rule could concern before the passes run.
"""

from __future__ import annotations

from storebridge.domain.model import PosItem, Quarantined, Unchanged, sku_key
from storebridge.domain.rules import Rule

__all__ = [
    "quarantine_duplicate_combinations",
    "quarantine_duplicate_skus",
    "quarantine_style_clashes",
]


def _others(where: list[str], indexes: list[int], me: int) -> str:
    return ", ".join(where[i] for i in indexes if i != me)


def quarantine_duplicate_skus(
    outcomes: list[PosItem | Quarantined | Unchanged],
    where: list[str],
    rows_by_key: dict[str, list[int]],
) -> None:
    for indexes in rows_by_key.values():
        if len(indexes) < 2:
            continue
        for index in indexes:
            outcome = outcomes[index]
            assert not isinstance(outcome, Unchanged), "validate_feed validates duplicates"
            outcomes[index] = Quarantined(
                outcome.ref,
                outcome.sku,
                Rule.DUPLICATE_SKU.value,
                f"SKU {outcome.sku!r} appears {len(indexes)} times in this feed (also on "
                f"{_others(where, indexes, index)}; SKUs are compared ignoring case and "
                "surrounding spaces); keep one item per SKU in the POS",
            )


def quarantine_duplicate_combinations(
    outcomes: list[PosItem | Quarantined | Unchanged], where: list[str]
) -> None:
    rows_by_combination: dict[tuple[str, tuple[tuple[str, str], ...]], list[int]] = {}
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, PosItem) and outcome.selected and outcome.parent_code:
            combination = tuple(sorted((n.casefold(), v.casefold()) for n, v in outcome.attributes))
            rows_by_combination.setdefault((sku_key(outcome.parent_code), combination), []).append(
                index
            )
    for (_, combination), indexes in rows_by_combination.items():
        if len(indexes) < 2:
            continue
        shown = ", ".join(f"{n}={v}" for n, v in combination)
        for index in indexes:
            outcome = outcomes[index]
            assert isinstance(outcome, PosItem)
            outcomes[index] = Quarantined(
                outcome.ref,
                outcome.sku,
                Rule.DUPLICATE_VARIANT_COMBINATION.value,
                f"variant {outcome.sku!r} of style {outcome.parent_code!r} has the same "
                f"attributes ({shown}) as {_others(where, indexes, index)}; WooCommerce "
                "cannot tell them apart: give each variant its own combination",
            )


def quarantine_style_clashes(
    outcomes: list[PosItem | Quarantined | Unchanged], where: list[str]
) -> None:
    # A variable product is linked by its style code used as SKU, so a style code
    # that is also an item's SKU would make two products claim one SKU.
    variants_by_style: dict[str, list[int]] = {}
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, PosItem) and outcome.parent_code:
            variants_by_style.setdefault(sku_key(outcome.parent_code), []).append(index)
    clashing = [
        (index, outcome.sku)
        for index, outcome in enumerate(outcomes)
        if isinstance(outcome, PosItem) and outcome.key in variants_by_style
    ]
    for index, sku in clashing:
        variants = variants_by_style[sku_key(sku)]
        for other in [index, *variants]:
            outcome = outcomes[other]
            if not isinstance(outcome, PosItem):
                continue
            outcomes[other] = Quarantined(
                outcome.ref,
                outcome.sku,
                Rule.SKU_STYLE_CLASH.value,
                f"SKU {sku!r} ({where[index]}) is also the style code of "
                f"{len(variants)} variant(s) ({', '.join(where[i] for i in variants)}); "
                "WooCommerce uses the style code as the variable product's SKU: "
                "rename one of them in the POS",
            )
