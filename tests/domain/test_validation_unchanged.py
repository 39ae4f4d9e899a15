"""Rows vouched unchanged are not validated, yet the feed's verdicts stay the same (property).

`validate_feed(unchanged=...)` skips rows the caller vouches for (their
digest equals the one stored at their last sync).  Whatever subset of
individually valid rows is vouched for, and however the feed mixes
duplicates, variants, style codes used as SKUs and bad rows, the outcome
must equal a full validation: the same quarantined rows, and the items plus
the skipped rows (validated) are the same items.  The vouched rows were in
sync together at their last run, so among themselves they break no rule.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storebridge.domain.model import PosItem, RawItem, SourceRef, sku_key
from storebridge.domain.validation import validate, validate_feed

SKUS = ("A", "a ", "B", "C", "STY", "sty", "D")
STYLES = (None, None, "STY", "C", "D")


@st.composite
def feeds(draw: st.DrawFn) -> list[RawItem]:
    rows: list[RawItem] = []
    for line in range(draw(st.integers(0, 9))):
        style = draw(st.sampled_from(STYLES))
        values: dict[str, Any] = {
            "ref": SourceRef("feed", line + 1),
            "sku": draw(st.sampled_from(SKUS)) + str(draw(st.integers(0, 2)) if style else ""),
            "name": draw(st.sampled_from(["Item", "", "Tee"])),
            "regular_price": draw(st.sampled_from(["10", "12.50", "-1", "x"])),
            "on_hand": {"main": draw(st.integers(-1, 5))},
            "parent_code": style,
            "attributes": {"Size": draw(st.sampled_from(["S", "M", "s"]))} if style else {},
        }
        rows.append(RawItem(**values))
    return rows


def by_key(items: list[PosItem]) -> dict[str, PosItem]:
    return {item.key: item for item in items}


@settings(max_examples=400, deadline=None)
@given(feeds(), st.data())
def test_skipping_vouched_rows_changes_no_verdict(rows: list[RawItem], data: st.DataObject) -> None:
    full = validate_feed(rows)
    valid = [i for i, raw in enumerate(rows) if isinstance(validate(raw), PosItem)]
    vouched = set(data.draw(st.lists(st.sampled_from(valid), unique=True)) if valid else [])
    # Vouched rows were in sync together, so together they break no feed-wide rule.
    assume(not validate_feed([rows[i] for i in sorted(vouched)]).quarantined)
    vouched_rows = {id(rows[i]) for i in vouched}
    skipped: list[RawItem] = []

    def unchanged(raw: RawItem) -> str | None:
        if id(raw) not in vouched_rows:
            return None
        skipped.append(raw)
        return sku_key(str(raw.sku))

    fast = validate_feed(rows, unchanged=unchanged)

    assert len(skipped) == len(vouched)  # every row was asked about, once
    assert fast.quarantined == full.quarantined
    revalidated = [validate(raw) for raw in fast.unchanged.values()]
    assert all(isinstance(item, PosItem) for item in revalidated)
    combined = fast.items + [item for item in revalidated if isinstance(item, PosItem)]
    assert len(combined) == len(full.items)
    assert by_key(combined) == by_key(full.items)
    assert not fast.unchanged.keys() & by_key(fast.items).keys()


def test_a_vouched_row_is_validated_when_a_new_row_shares_its_sku() -> None:
    old = RawItem(SourceRef("feed", 1), "A", name="Item", regular_price="10")
    new = RawItem(SourceRef("feed", 2), " a", name="Item", regular_price="11")
    result = validate_feed([old, new], unchanged=lambda raw: "a" if raw is old else None)
    assert [q.reason for q in result.quarantined] == ["duplicate_sku", "duplicate_sku"]
    assert result.unchanged == {}


def test_a_vouched_variant_is_validated_when_its_style_gains_a_clashing_variant() -> None:
    def variant(line: int, sku: str) -> RawItem:
        return RawItem(
            SourceRef("feed", line),
            sku,
            name="Tee",
            regular_price="10",
            parent_code="TEE",
            attributes={"Size": "M"},
        )

    old, new = variant(1, "TEE-M"), variant(2, "TEE-M2")
    result = validate_feed([old, new], unchanged=lambda raw: "tee-m" if raw is old else None)
    assert [q.reason for q in result.quarantined] == ["duplicate_variant_combination"] * 2


def test_vouched_rows_nobody_else_concerns_are_kept_raw() -> None:
    rows = [
        RawItem(SourceRef("feed", n), f"S-{n}", name="Item", regular_price="10") for n in range(3)
    ]
    result = validate_feed(
        rows, unchanged=lambda raw: None if raw is rows[0] else str(raw.sku).lower()
    )
    assert [item.sku for item in result.items] == ["S-0"]
    assert result.unchanged == {"s-1": rows[1], "s-2": rows[2]}
