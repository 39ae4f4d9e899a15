"""Field ownership (design.md §2): what is created once, what is kept in sync."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from storebridge.domain.model import PosItem
from storebridge.domain.ownership import (
    CREATE_ONCE_KEYS,
    POS_OWNED_KEYS,
    PosOwned,
    create_payload,
    create_variable_parent_payload,
    create_variation_payload,
    merge_parent_attributes,
    sync_fields,
    update_payload,
)

ITEM = PosItem(
    sku="GLD-A",
    name="Golden Widget A",
    regular_price=Decimal("20"),
    on_hand={"main": 12},
    sale_price=Decimal("15"),
    description="<p>A <strong>golden</strong> widget.</p>",
    short_description="Golden widget",
    categories=("Golden Gadgets", "Unknown"),
    weight=Decimal("0.250"),
)


def test_a_simple_draft_carries_the_create_once_fields_and_categories_by_id() -> None:
    payload = create_payload(ITEM, 10, {"Golden Gadgets": 15})
    assert payload == {
        "name": "Golden Widget A",
        "type": "simple",
        "status": "draft",
        "sku": "GLD-A",
        "regular_price": "20.00",
        "sale_price": "15.00",
        "manage_stock": True,
        "stock_quantity": 10,
        "description": "<p>A <strong>golden</strong> widget.</p>",
        "short_description": "Golden widget",
        "weight": "0.25",
        "categories": [{"id": 15}],
    }


def test_categories_are_never_sent_by_name_because_woocommerce_ignores_names() -> None:
    assert "categories" not in create_payload(ITEM, 1)
    assert "categories" not in create_payload(ITEM, 1, {"Other": 3})
    assert create_payload(ITEM, 1, {"golden gadgets": 4})["categories"] == [{"id": 4}]


def test_sale_dates_are_sent_as_naive_utc_in_the_gmt_fields_only_when_the_pos_has_them() -> None:
    dated = replace(
        ITEM,
        sale_from=datetime(2024, 6, 1, tzinfo=UTC),
        sale_to=datetime(2024, 6, 15, 23, 59, 59, tzinfo=UTC),
    )
    payload = create_payload(dated, 3)
    assert payload["date_on_sale_from_gmt"] == "2024-06-01T00:00:00"
    assert payload["date_on_sale_to_gmt"] == "2024-06-15T23:59:59"
    assert "date_on_sale_from_gmt" not in create_payload(ITEM, 3)
    assert "sale_price" not in create_payload(replace(ITEM, sale_price=None), 3)


def test_negative_availability_is_published_as_zero() -> None:
    assert sync_fields(ITEM, -4).stock_quantity == 0


def test_sync_fields_are_the_pos_owned_values() -> None:
    assert sync_fields(ITEM, 7) == PosOwned(Decimal("20"), Decimal("15"), None, None, True, 7)


def test_a_sale_window_without_a_sale_price_is_not_synced() -> None:
    item = replace(ITEM, sale_price=None, sale_from=datetime(2024, 1, 1, tzinfo=UTC))
    assert sync_fields(item, 1).sale_from is None


def test_an_update_contains_only_the_changed_pos_owned_keys() -> None:
    last = sync_fields(ITEM, 10)
    assert update_payload(last, last) == {}
    assert update_payload(replace(last, stock_quantity=9), last) == {"stock_quantity": 9}
    assert update_payload(replace(last, regular_price=Decimal("22")), last) == {
        "regular_price": "22.00"
    }


def test_prices_equal_to_the_cent_are_not_a_change() -> None:
    last = sync_fields(ITEM, 10)
    assert update_payload(replace(last, regular_price=Decimal("20.000")), last) == {}


def test_ending_a_sale_clears_the_price_and_its_dates_with_empty_strings() -> None:
    last = PosOwned(
        Decimal("20"),
        Decimal("15"),
        datetime(2024, 6, 1, tzinfo=UTC),
        datetime(2024, 6, 30, tzinfo=UTC),
        True,
        5,
    )
    desired = replace(last, sale_price=None, sale_from=None, sale_to=None)
    assert update_payload(desired, last) == {
        "sale_price": "",
        "date_on_sale_from_gmt": "",
        "date_on_sale_to_gmt": "",
    }


def test_with_nothing_known_about_the_last_push_every_pos_owned_key_is_sent() -> None:
    payload = update_payload(sync_fields(ITEM, 2), None)
    assert tuple(payload) == POS_OWNED_KEYS
    assert payload["date_on_sale_from_gmt"] == ""


def test_updates_never_emit_merchant_owned_fields() -> None:
    last = PosOwned(None, None, None, None, False, None)
    desired = sync_fields(ITEM, 3)
    payload = update_payload(desired, last)
    assert set(payload) <= set(POS_OWNED_KEYS)
    assert not set(payload) & (CREATE_ONCE_KEYS | {"sku", "images"})


def test_a_variable_parent_is_a_draft_with_variation_attributes_and_no_price_or_stock() -> None:
    payload = create_variable_parent_payload(
        "GLD-TEE",
        "Golden Tee",
        {"Size": ["S", "M", "L"]},
        categories=("Tees",),
        category_ids={"Tees": 9},
    )
    assert payload == {
        "name": "Golden Tee",
        "type": "variable",
        "status": "draft",
        "sku": "GLD-TEE",
        "attributes": [
            {"name": "Size", "options": ["S", "M", "L"], "variation": True, "visible": True}
        ],
        "categories": [{"id": 9}],
    }


def test_a_variation_carries_its_sku_prices_stock_and_attribute_options() -> None:
    variant = PosItem(
        sku="GLD-TEE-M",
        name="Golden Tee M",
        regular_price=Decimal("11"),
        sale_price=Decimal("9"),
        on_hand={},
        parent_code="GLD-TEE",
        attributes=(("Size", "M"),),
    )
    assert create_variation_payload(variant, 6) == {
        "sku": "GLD-TEE-M",
        "regular_price": "11.00",
        "sale_price": "9.00",
        "manage_stock": True,
        "stock_quantity": 6,
        "attributes": [{"name": "Size", "option": "M"}],
    }


def test_merging_parent_attributes_adds_only_missing_options_and_keeps_merchant_edits() -> None:
    current = [
        {"id": 0, "name": "Size", "options": ["S", "M"], "variation": True, "visible": False},
        {"id": 3, "name": "Material", "options": ["Cotton"], "variation": False, "visible": True},
    ]
    update = merge_parent_attributes(current, {"size": ["m", "XL"], "Colour": ["Red"]})
    assert update == {
        "attributes": [
            {
                "id": 0,
                "name": "Size",
                "options": ["S", "M", "XL"],
                "variation": True,
                "visible": False,
            },
            {
                "id": 3,
                "name": "Material",
                "options": ["Cotton"],
                "variation": False,
                "visible": True,
            },
            {"name": "Colour", "options": ["Red"], "variation": True, "visible": True},
        ]
    }
    assert current[0]["options"] == ["S", "M"]  # the input is not mutated


def test_merging_options_already_present_needs_no_write() -> None:
    current = [{"name": "Size", "options": ["S", "M"], "variation": True, "visible": True}]
    assert merge_parent_attributes(current, {"Size": ["M"]}) is None


def test_an_attribute_not_used_for_variations_is_switched_on_when_a_variation_needs_it() -> None:
    current = [{"name": "Size", "options": ["M"], "variation": False, "visible": True}]
    update = merge_parent_attributes(current, {"Size": ["M"]})
    assert update == {
        "attributes": [{"name": "Size", "options": ["M"], "variation": True, "visible": True}]
    }
