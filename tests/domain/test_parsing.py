"""How source values are read: text, numbers, whole numbers, timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from storebridge.domain.parsing import ParseError, parse_decimal, parse_timestamp, parse_whole, text


def test_text_trims_and_treats_blank_as_nothing() -> None:
    assert text("  a b ") == "a b"
    assert text("   ") is None
    assert text(None) is None
    assert text(7.0) == "7"
    assert text(Decimal("1.50")) == "1.50"


def test_floats_go_through_str_so_binary_noise_never_reaches_a_price() -> None:
    assert parse_decimal(0.1) == Decimal("0.1")
    assert parse_decimal(1e-5) == Decimal("0.00001")


@pytest.mark.parametrize("value", ["1e3", "1,000", "--1", "1.2.3", "", " "])
def test_plain_numbers_only_in_dot_decimal_feeds(value: str) -> None:
    if value.strip():
        with pytest.raises(ParseError):
            parse_decimal(value)
    else:
        assert parse_decimal(value) is None


def test_non_breaking_and_plain_spaces_inside_numbers_are_ignored() -> None:
    assert parse_decimal("1 234,50", decimal_comma=True) == Decimal("1234.50")
    assert parse_decimal("1\u00a0234.5") == Decimal("1234.5")


def test_whole_numbers_accept_integral_decimals_only() -> None:
    assert parse_whole("3.0") == 3
    assert parse_whole("3,0", decimal_comma=True) == 3
    with pytest.raises(ParseError, match="not a whole number"):
        parse_whole("2.5")


def test_timestamps_accept_objects_from_database_drivers() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert parse_timestamp(datetime(2024, 1, 1, 12, tzinfo=plus_two)) == datetime(
        2024, 1, 1, 10, tzinfo=UTC
    )
    assert parse_timestamp(datetime(2024, 1, 1, 12)) == datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert parse_timestamp(date(2024, 1, 1), end_of_day=True) == datetime(
        2024, 1, 1, 23, 59, 59, tzinfo=UTC
    )


def test_iso_strings_with_z_and_formats_with_a_time_part_are_read_as_utc() -> None:
    assert parse_timestamp("2024-01-01T08:00:00Z") == datetime(2024, 1, 1, 8, tzinfo=UTC)
    assert parse_timestamp("01/02/2024 08:30", date_format="%d/%m/%Y %H:%M") == datetime(
        2024, 2, 1, 8, 30, tzinfo=UTC
    )
    # A format with a time part keeps midnight as midnight, even for an end date.
    assert parse_timestamp(
        "01/02/2024 00:00", date_format="%d/%m/%Y %H:%M", end_of_day=True
    ) == datetime(2024, 2, 1, tzinfo=UTC)


def test_an_unreadable_date_names_the_accepted_forms() -> None:
    with pytest.raises(ParseError, match="ISO 8601"):
        parse_timestamp("tomorrow")
