"""Turning loosely typed source values (`model.Scalar`) into typed ones.

Every function here either returns a typed value, returns `None` for "the
source has nothing here" (None or a blank string), or raises `ParseError`
whose message says what was wrong in words a merchant understands.  The
rule *names* (quarantine reasons) are chosen by `validation`, which knows
which field it is parsing; this module only knows how numbers and dates are
written.

Numbers accept `str`, `int`, `Decimal` and `float`.  A float goes through
`str()` first so that `0.1` stays `0.1` instead of its binary neighbour.
Booleans are never numbers, even though Python says `True == 1`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from storebridge.domain.model import Scalar

__all__ = ["ParseError", "parse_decimal", "parse_timestamp", "parse_whole", "text"]

# A plain decimal, dot as separator: "12", "-3.5", ".5", "5.".
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Decimal-comma style: "1234,50", or with dot thousands in groups of three "1.234,50".
# "12.50" does not match on purpose: in a decimal-comma feed it is ambiguous.
_COMMA_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?")


class ParseError(ValueError):
    """A source value that cannot be read as the type asked for."""


def text(value: Scalar) -> str | None:
    """A trimmed string, or None when the source has nothing (None, blank)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        # A numeric column read as float: "1234.0" is not what the POS shows.
        value = int(value)
    result = str(value).strip()
    return result or None


def parse_decimal(value: Scalar, *, decimal_comma: bool = False) -> Decimal | None:
    """A finite Decimal, or None for an empty value.

    Raises:
        ParseError: the value is not a plain number (letters, NaN, a comma in a
            dot-decimal feed, a bool...).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"{value!r} is a yes/no value, not a number")
    if isinstance(value, Decimal):
        return _finite(value, repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(str(value)), repr(value))
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not raw:
        return None
    if decimal_comma:
        if not _COMMA_NUMBER.fullmatch(raw):
            raise ParseError(
                f"{value!r} is not a number written with a decimal comma (like 1.234,50)"
            )
        raw = raw.replace(".", "").replace(",", ".")
    elif not _PLAIN_NUMBER.fullmatch(raw):
        hint = (
            " (it has a comma: if the feed writes 12,50, enable decimal_comma)"
            if "," in raw
            else ""
        )
        raise ParseError(f"{value!r} is not a number{hint}")
    return Decimal(raw)


def _finite(value: Decimal, shown: str) -> Decimal:
    if not value.is_finite():
        raise ParseError(f"{shown} is not a finite number")
    return value


def parse_whole(value: Scalar, *, decimal_comma: bool = False) -> int | None:
    """A whole number ("3", 3, "3.0", 3.0), or None for an empty value.

    Raises:
        ParseError: the value is not a number, or has a fractional part ("2.5").
    """
    if type(value) is int:
        # The usual on-hand figure from a database column: nothing to parse.
        return value
    number = parse_decimal(value, decimal_comma=decimal_comma)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ParseError(f"{value!r} is not a whole number")
    return int(number)


def parse_timestamp(
    value: object, *, date_format: str | None = None, end_of_day: bool = False
) -> datetime | None:
    """An aware UTC datetime, or None for an empty value.

    Accepts ISO 8601 dates and datetimes (naive ones are UTC), `date`/`datetime`
    objects a database driver may hand over, and strings in `date_format`
    (strptime syntax) when given.  A bare date means the start of that day, or
    its last second when `end_of_day` (a sale "until 15 June" includes 15 June,
    which is also what WooCommerce's own admin does with an end date).

    Raises:
        ParseError: the value matches neither ISO 8601 nor `date_format`.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return _day(value, end_of_day=end_of_day)
    raw = str(value).strip()
    if not raw:
        return None
    if date_format is not None:
        try:
            parsed = datetime.strptime(raw, date_format)  # noqa: DTZ007 - made aware below
        except ValueError:
            pass
        else:
            # A format without a time part gives midnight: treat it as a bare date.
            if parsed.time() == time(0) and not _format_has_time(date_format):
                return _day(parsed.date(), end_of_day=end_of_day)
            return _aware(parsed)
    try:
        if len(raw) == 10:
            return _day(date.fromisoformat(raw), end_of_day=end_of_day)
        return _aware(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        expected = f"ISO 8601 (2024-06-01 or 2024-06-01T08:00:00) or {date_format!r}"
        raise ParseError(f"{raw!r} is not a date in {expected}") from None


def _format_has_time(date_format: str) -> bool:
    return any(code in date_format for code in ("%H", "%I", "%M", "%S", "%X", "%c", "%T"))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _day(value: date, *, end_of_day: bool) -> datetime:
    start = datetime.combine(value, time(0), tzinfo=UTC)
    return start + timedelta(days=1, seconds=-1) if end_of_day else start
