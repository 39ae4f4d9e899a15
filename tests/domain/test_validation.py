"""One example per quarantine rule, plus the parsing decisions validation documents."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from storebridge.domain.model import PosItem, Quarantined, RawItem, SourceRef
from storebridge.domain.selection import Selection
from storebridge.domain.validation import Rule, validate


def row(**fields: Any) -> RawItem:
    values: dict[str, Any] = {
        "ref": SourceRef("items.csv", 7, "raw line"),
        "sku": "ABC-1",
        "name": "Linen shirt",
        "regular_price": "49.00",
        "on_hand": {"main": "5"},
    }
    values.update(fields)
    return RawItem(**values)


def accepted(raw: RawItem, **options: Any) -> PosItem:
    outcome = validate(raw, **options)
    assert isinstance(outcome, PosItem), outcome
    return outcome


def rejected(raw: RawItem, rule: Rule, **options: Any) -> Quarantined:
    outcome = validate(raw, **options)
    assert isinstance(outcome, Quarantined), outcome
    assert outcome.reason == rule.value, outcome.detail
    assert outcome.ref == raw.ref
    return outcome


def test_a_clean_row_becomes_a_selected_pos_item_with_typed_values() -> None:
    item = accepted(
        row(
            sku="  ABC-1 ",
            regular_price="49,00",
            sale_price="39",
            sale_from="2024-06-01",
            sale_to="2024-06-15",
            description="Soft",
            categories=(" Shirts ", ""),
            weight="0,250",
        ),
        decimal_comma=True,
    )
    assert item.sku == "ABC-1"
    assert item.key == "abc-1"
    assert item.regular_price == Decimal("49.00")
    assert item.sale_price == Decimal("39.00")
    assert item.sale_from == datetime(2024, 6, 1, tzinfo=UTC)
    assert item.sale_to == datetime(2024, 6, 15, 23, 59, 59, tzinfo=UTC)
    assert item.on_hand == {"main": 5}
    assert item.categories == ("Shirts",)
    assert item.weight == Decimal("0.250")
    assert item.selected


@pytest.mark.parametrize(
    ("sku", "rule"),
    [
        (None, Rule.MISSING_SKU),
        ("   ", Rule.BLANK_SKU),
        ("", Rule.BLANK_SKU),
        ("A" * 101, Rule.SKU_TOO_LONG),
        ("AB\tC", Rule.SKU_HAS_CONTROL_CHARS),
        ("AB\x00C", Rule.SKU_HAS_CONTROL_CHARS),
        ("AB\ufffdC", Rule.BAD_ENCODING),
        ("A<b>B", Rule.SKU_NOT_STORABLE),
        ("A  B", Rule.SKU_NOT_STORABLE),
        ("A%20B", Rule.SKU_NOT_STORABLE),
    ],
)
def test_unusable_skus_are_quarantined_with_their_rule(sku: object, rule: Rule) -> None:
    rejected(row(sku=sku), rule)


def test_a_sku_of_exactly_one_hundred_characters_and_inner_single_spaces_are_fine() -> None:
    assert accepted(row(sku="A" * 100)).sku == "A" * 100
    assert accepted(row(sku="GLD A")).sku == "GLD A"


def test_numeric_skus_from_a_database_column_become_text() -> None:
    assert accepted(row(sku=12345)).sku == "12345"
    assert accepted(row(sku=12345.0)).sku == "12345"


def test_a_blank_name_is_missing_name_but_a_variant_may_use_its_style_name() -> None:
    rejected(row(name="  "), Rule.MISSING_NAME)
    variant = accepted(
        row(name=None, parent_code="TEE", parent_name="Tee", attributes={"Size": "M"})
    )
    assert variant.name == "Tee"


@pytest.mark.parametrize(
    ("price", "rule"),
    [
        (None, Rule.MISSING_PRICE),
        ("", Rule.MISSING_PRICE),
        ("abc", Rule.PRICE_NOT_NUMERIC),
        ("12,50", Rule.PRICE_NOT_NUMERIC),
        ("NaN", Rule.PRICE_NOT_NUMERIC),
        (Decimal("Infinity"), Rule.PRICE_NOT_NUMERIC),
        (True, Rule.PRICE_NOT_NUMERIC),
        ("-1", Rule.PRICE_NEGATIVE),
        ("0", Rule.PRICE_ZERO),
        ("0.004", Rule.PRICE_ZERO),
        ("1000000.01", Rule.PRICE_TOO_LARGE),
    ],
)
def test_bad_regular_prices_are_quarantined_with_their_rule(price: object, rule: Rule) -> None:
    rejected(row(regular_price=price), rule)


def test_the_price_detail_names_the_value_and_the_fix() -> None:
    outcome = rejected(row(regular_price="12,50"), Rule.PRICE_NOT_NUMERIC)
    assert "'12,50'" in outcome.detail
    assert "decimal_comma" in outcome.detail
    assert outcome.sku == "ABC-1"


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("19.99", "19.99"),
        (19.99, "19.99"),
        (0.1, "0.10"),
        (20, "20.00"),
        (Decimal("19.9900"), "19.99"),
        ("19.995", "20.00"),  # more than two decimals: rounded half-up, accepted
        ("0.125", "0.13"),
        (" 7.5 ", "7.50"),
    ],
)
def test_prices_accept_text_numbers_and_floats_and_round_half_up_to_cents(
    price: object, expected: str
) -> None:
    assert accepted(row(regular_price=price)).regular_price == Decimal(expected)


def test_decimal_comma_feeds_read_thousands_dots_and_refuse_ambiguous_dots() -> None:
    assert accepted(row(regular_price="1.234,50"), decimal_comma=True).regular_price == Decimal(
        "1234.50"
    )
    assert accepted(row(regular_price="12,5"), decimal_comma=True).regular_price == Decimal("12.50")
    rejected(row(regular_price="12.50"), Rule.PRICE_NOT_NUMERIC, decimal_comma=True)


def test_the_price_limit_is_configurable() -> None:
    rejected(row(regular_price="150"), Rule.PRICE_TOO_LARGE, max_price=Decimal("100"))


@pytest.mark.parametrize(
    ("sale", "rule"),
    [
        ("cheap", Rule.SALE_PRICE_NOT_NUMERIC),
        ("-5", Rule.SALE_PRICE_NEGATIVE),
        ("0", Rule.SALE_PRICE_ZERO),
        ("49.00", Rule.SALE_PRICE_NOT_BELOW_REGULAR),
        ("60", Rule.SALE_PRICE_NOT_BELOW_REGULAR),
        ("48.999", Rule.SALE_PRICE_NOT_BELOW_REGULAR),  # rounds to 49.00, the price sent
    ],
)
def test_bad_sale_prices_are_quarantined_with_their_rule(sale: str, rule: Rule) -> None:
    rejected(row(sale_price=sale), rule)


def test_a_sale_price_above_regular_says_woocommerce_would_drop_it() -> None:
    outcome = rejected(row(sale_price="60"), Rule.SALE_PRICE_NOT_BELOW_REGULAR)
    assert "60.00" in outcome.detail
    assert "silently drop" in outcome.detail


def test_bad_sale_dates_and_reversed_windows_are_quarantined() -> None:
    rejected(row(sale_price="30", sale_from="next week"), Rule.BAD_SALE_DATE)
    rejected(row(sale_price="30", sale_to="2024-13-01"), Rule.BAD_SALE_DATE)
    rejected(
        row(sale_price="30", sale_from="2024-06-15", sale_to="2024-06-01"),
        Rule.SALE_WINDOW_REVERSED,
    )
    rejected(
        row(sale_price="30", sale_from="2024-06-01T10:00:00", sale_to="2024-06-01T10:00:00"),
        Rule.SALE_WINDOW_REVERSED,
    )


def test_a_one_day_sale_given_as_dates_is_a_valid_window() -> None:
    item = accepted(row(sale_price="30", sale_from="2024-06-01", sale_to="2024-06-01"))
    assert item.sale_to is not None and item.sale_from is not None
    assert item.sale_to > item.sale_from


def test_sale_dates_read_iso_offsets_naive_utc_and_a_configured_format() -> None:
    item = accepted(
        row(sale_price="30", sale_from="2024-06-01T10:00:00+02:00", sale_to="2024-06-02T08:00:00")
    )
    assert item.sale_from == datetime(2024, 6, 1, 8, tzinfo=UTC)
    assert item.sale_to == datetime(2024, 6, 2, 8, tzinfo=UTC)
    item = accepted(
        row(sale_price="30", sale_from="01.06.2024", sale_to="15.06.2024"),
        date_format="%d.%m.%Y",
    )
    assert item.sale_from == datetime(2024, 6, 1, tzinfo=UTC)
    assert item.sale_to == datetime(2024, 6, 15, 23, 59, 59, tzinfo=UTC)


def test_sale_dates_without_a_sale_price_are_ignored() -> None:
    item = accepted(row(sale_from="garbage", sale_to="2024-06-01"))
    assert (item.sale_price, item.sale_from, item.sale_to) == (None, None, None)


@pytest.mark.parametrize(
    ("quantity", "rule"),
    [
        ("2.5", Rule.QUANTITY_NOT_INTEGER),
        ("lots", Rule.QUANTITY_NOT_INTEGER),
        ("-1", Rule.QUANTITY_NEGATIVE),
        ("1000001", Rule.QUANTITY_TOO_LARGE),
    ],
)
def test_bad_on_hand_quantities_are_quarantined_with_their_rule(quantity: str, rule: Rule) -> None:
    rejected(row(on_hand={"main": quantity}), rule)


def test_quantities_accept_whole_decimals_and_treat_empty_as_zero() -> None:
    item = accepted(row(on_hand={"a": "3.0", "b": 2.0, "c": None, "d": "", "e": 4}))
    assert item.on_hand == {"a": 3, "b": 2, "c": 0, "d": 0, "e": 4}


def test_the_quantity_limit_applies_to_the_sum_of_locations() -> None:
    rejected(row(on_hand={"a": "6", "b": "6"}), Rule.QUANTITY_TOO_LARGE, max_quantity=10)


def test_a_replacement_character_anywhere_is_bad_encoding_naming_the_field() -> None:
    outcome = rejected(row(description="Caf\ufffd au lait"), Rule.BAD_ENCODING)
    assert "description" in outcome.detail
    rejected(row(attributes={"Colour": "Gr\ufffdn"}), Rule.BAD_ENCODING)
    rejected(row(categories=("Ni\ufffdos",)), Rule.BAD_ENCODING)


@pytest.mark.parametrize("weight", ["heavy", "-0.5"])
def test_bad_weights_are_quarantined(weight: str) -> None:
    rejected(row(weight=weight), Rule.BAD_WEIGHT)


def test_a_variant_needs_attribute_values() -> None:
    rejected(row(parent_code="TEE", attributes={}), Rule.VARIANT_WITHOUT_ATTRIBUTES)
    rejected(row(parent_code="TEE", attributes={"Size": "  "}), Rule.VARIANT_WITHOUT_ATTRIBUTES)
    variant = accepted(row(parent_code="TEE", attributes={"Size": " M ", "Colour": 42}))
    assert variant.attributes == (("Size", "M"), ("Colour", "42"))


def test_the_first_broken_rule_wins() -> None:
    rejected(row(regular_price="abc", on_hand={"main": "-1"}), Rule.PRICE_NOT_NUMERIC)


def test_flag_mode_selects_truthy_flags_and_delists_the_rest() -> None:
    flag = Selection("flag")
    assert accepted(row(web_flag="Yes"), selection=flag).selected
    delisted = accepted(row(web_flag="0"), selection=flag)
    assert not delisted.selected


def test_an_item_outside_the_selection_is_checked_for_its_sku_only() -> None:
    flag = Selection("flag")
    delisted = accepted(row(web_flag=None, regular_price="abc", name=None), selection=flag)
    assert delisted.selected is False
    assert delisted.sku == "ABC-1"
    assert delisted.regular_price == Decimal(0)
    rejected(row(sku=None, web_flag=None), Rule.MISSING_SKU, selection=flag)


def test_webstore_mode_validates_the_web_store_price_instead_of_the_regular_price() -> None:
    web = Selection("webstore", "Online")
    item = accepted(
        row(regular_price=None, webstore_prices={"Online": "45,00"}),
        selection=web,
        decimal_comma=True,
    )
    assert item.regular_price == Decimal("45.00")
    outcome = rejected(
        row(webstore_prices={"Online": "n/a"}), Rule.PRICE_NOT_NUMERIC, selection=web
    )
    assert "web store 'Online' price" in outcome.detail
    assert not accepted(row(webstore_prices={"Shop": "10"}), selection=web).selected


def test_a_record_the_connector_could_not_read_is_held_with_the_connectors_sentence() -> None:
    # Even with a SKU and valid-looking fields: what the connector could not read is not
    # guessed at.
    outcome = rejected(row(unreadable="the line is not a JSON object"), Rule.UNREADABLE_RECORD)

    assert outcome.detail == "the line is not a JSON object"
    assert outcome.sku == "ABC-1"
