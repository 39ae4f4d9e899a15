"""Time for the sandbox: an injectable clock and WordPress date formats.

The emulated store runs in UTC (like the golden captures), so every local
date equals its `_gmt` twin. WooCommerce keeps dates to the second; the clock
drops microseconds so same-second changes look exactly as they do for real.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

# WordPress' rest_parse_date(): RFC 3339 with an optional fraction and offset.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


def system_clock() -> datetime:
    """Now, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


class ManualClock:
    """A clock that only moves when told to; for tests of same-second behaviour."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self._now = self._now + timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        """Jump to a moment."""
        self._now = moment.astimezone(UTC).replace(microsecond=0)


def wp_date(moment: datetime | None) -> str | None:
    """Format like wc_rest_prepare_date_response: no offset, no fraction."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_wp_date(value: str) -> datetime | None:
    """Parse an RFC 3339 date as WordPress does; naive values are site time (UTC).

    Returns None when the value is not a valid date.
    """
    match = _RFC3339.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    offset = match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4] or "0")
        moment = moment - sign * timedelta(hours=hours, minutes=minutes)
    return moment


def stored(moment: datetime) -> str:
    """The sortable text form kept in SQLite columns."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def from_stored(text: str | None) -> datetime | None:
    """Inverse of `stored`."""
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
