"""Small pure pieces: WordPress text functions, argument validation, pricing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storebridge.sandbox.clock import parse_wp_date
from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import (
    format_decimal_input,
    php_json,
    sanitize_title,
    trim_zeros,
    wpautop,
)
from storebridge.sandbox.pricing import is_on_sale, range_price_html
from storebridge.sandbox.schema import Arg, validate, wp_list


def test_wpautop_wraps_loose_text_and_keeps_blocks() -> None:
    assert wpautop("Golden widget") == "<p>Golden widget</p>\n"
    assert wpautop("<p>Already</p>") == "<p>Already</p>\n"
    assert wpautop("one\ntwo\n\nthree") == "<p>one<br />\ntwo</p>\n<p>three</p>\n"
    assert wpautop("  ") == ""


def test_sanitize_title_makes_wordpress_slugs() -> None:
    assert sanitize_title("Golden Tee - S") == "golden-tee-s"
    assert sanitize_title("Café <b>Crème</b>") == "cafe-creme"


def test_prices_are_cleaned_like_wc_format_decimal() -> None:
    assert format_decimal_input("abc") == ""
    assert format_decimal_input(" $9.99 ") == "9.99"
    assert format_decimal_input(5) == "5"
    assert trim_zeros(2) == "2" and trim_zeros(2.5) == "2.5"


def test_php_json_escapes_slashes_and_non_ascii() -> None:
    assert php_json({"a": "x/y", "b": "é"}) == '{"a":"x\\/y","b":"\\u00e9"}'


def test_dates_parse_as_rfc3339_in_site_time() -> None:
    assert parse_wp_date("2024-05-01T10:00:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_wp_date("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_wp_date("yesterday") is None
    assert parse_wp_date("2024-02-30T00:00:00") is None


def test_validation_reports_every_bad_argument_with_wordpress_wording() -> None:
    spec = {
        "per_page": Arg("integer", minimum=1, maximum=100),
        "status": Arg("string", enum=("a", "b", "c")),
        "price": Arg("string"),
    }
    with pytest.raises(WooError) as raised:
        validate({"per_page": "0", "status": "z", "price": 5}, spec)
    body = raised.value.body()
    assert body["message"] == "Invalid parameter(s): per_page, status, price"
    assert body["data"]["params"]["status"] == "status is not one of a, b, and c."
    assert body["data"]["details"]["price"]["data"] == {"param": "price"}
    assert validate({"per_page": "5"}, spec) == {"per_page": 5}
    assert wp_list(["x", "y"]) == "x and y"


def test_a_sale_needs_a_lower_price_and_an_open_window() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    doc = {
        "regular_price": "10",
        "sale_price": "10",
        "date_on_sale_from": None,
        "date_on_sale_to": None,
    }
    assert not is_on_sale(doc, now)
    doc["sale_price"] = "9"
    assert is_on_sale(doc, now)
    doc["date_on_sale_to"] = "2025-12-31T23:59:59"
    assert not is_on_sale(doc, now)


def test_a_price_range_lists_both_ends() -> None:
    html = range_price_html(["9.00", "12.00"], ["10.00", "12.00"], True)
    assert "Price range: &#36;9.00 through &#36;12.00" in html
