"""Rules that need the whole feed: duplicate SKUs, duplicate variant combinations, style clashes."""

from __future__ import annotations

from typing import Any

from storebridge.domain.model import RawItem, SourceRef
from storebridge.domain.selection import Selection
from storebridge.domain.validation import Rule, validate_feed


def row(line: int | None, sku: object, **fields: Any) -> RawItem:
    values: dict[str, Any] = {
        "ref": SourceRef("feed.csv", line),
        "sku": sku,
        "name": "Item",
        "regular_price": "10",
        "on_hand": {"main": 1},
    }
    values.update(fields)
    return RawItem(**values)


def test_every_occurrence_of_a_duplicated_sku_is_quarantined_naming_the_other_lines() -> None:
    result = validate_feed(
        [row(2, "ABC"), row(3, "OK-1"), row(4, " abc "), row(5, "ABC", regular_price="x")]
    )
    assert [i.sku for i in result.items] == ["OK-1"]
    assert [(q.ref.line, q.reason) for q in result.quarantined] == [
        (2, "duplicate_sku"),
        (4, "duplicate_sku"),
        (5, "duplicate_sku"),
    ]
    first = result.quarantined[0]
    assert "line 4, line 5" in first.detail
    assert "3 times" in first.detail
    assert result.quarantined_keys == frozenset({"abc"})


def test_rows_without_line_numbers_are_named_by_their_position() -> None:
    result = validate_feed([row(None, "A"), row(None, "B"), row(None, "a")])
    assert "row 3" in result.quarantined[0].detail
    assert "row 1" in result.quarantined[1].detail


def test_rows_with_an_unusable_sku_are_not_counted_as_duplicates() -> None:
    result = validate_feed([row(1, None), row(2, None), row(3, "   ")])
    assert [q.reason for q in result.quarantined] == ["missing_sku", "missing_sku", "blank_sku"]


def test_a_row_outside_the_selection_still_counts_for_duplicates() -> None:
    result = validate_feed(
        [row(1, "A", web_flag="yes"), row(2, "A", web_flag="no")], selection=Selection("flag")
    )
    assert result.items == []
    assert {q.reason for q in result.quarantined} == {Rule.DUPLICATE_SKU.value}


def test_two_variants_of_a_style_with_the_same_attributes_are_both_quarantined() -> None:
    result = validate_feed(
        [
            row(1, "TEE-S", parent_code="TEE", attributes={"Size": "S"}),
            row(2, "TEE-M", parent_code="TEE", attributes={"Size": "M"}),
            row(3, "TEE-M2", parent_code="tee", attributes={"size": "m"}),
            row(4, "POLO-M", parent_code="POLO", attributes={"Size": "M"}),
        ]
    )
    assert sorted(i.sku for i in result.items) == ["POLO-M", "TEE-S"]
    assert [(q.sku, q.reason) for q in result.quarantined] == [
        ("TEE-M", "duplicate_variant_combination"),
        ("TEE-M2", "duplicate_variant_combination"),
    ]
    assert "line 3" in result.quarantined[0].detail


def test_an_item_sku_equal_to_a_style_code_quarantines_the_item_and_the_style() -> None:
    result = validate_feed(
        [
            row(1, "TEE"),
            row(2, "TEE-S", parent_code="TEE", attributes={"Size": "S"}),
            row(3, "TEE-M", parent_code="TEE", attributes={"Size": "M"}),
            row(4, "OTHER"),
        ]
    )
    assert [i.sku for i in result.items] == ["OTHER"]
    assert {q.reason for q in result.quarantined} == {"sku_style_clash"}
    assert "line 2, line 3" in result.quarantined[0].detail


def test_the_feed_is_consumed_as_a_stream() -> None:
    def rows() -> Any:
        for n in range(3):
            yield row(n + 1, f"S-{n}")

    result = validate_feed(rows())
    assert [i.sku for i in result.items] == ["S-0", "S-1", "S-2"]
