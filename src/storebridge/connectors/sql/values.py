"""Driver values → feed values (`model.Scalar`), without losing a cent or a character.

* ``NUMERIC``/``DECIMAL`` columns arrive as `Decimal` and stay so.
* A ``FLOAT``/``DOUBLE``/``REAL`` value is a binary fraction: it becomes
  ``Decimal(repr(value))``, the shortest text that reads back as the same
  float (``19.99``, not ``19.989999999999998``), and its column is reported in
  `Converter.float_columns` so the operator can ``CAST(... AS NUMERIC)``.
* Dates and datetimes become ISO 8601 text; a timestamp stored without a
  zone is taken in the configured zone and given its offset, so validation
  reads the same instant.
* Binary text (``BYTEA``/``BLOB``) is decoded with the configured encoding;
  bytes that do not decode become U+FFFD, which validation quarantines rather
  than publish a garbled name.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from storebridge.domain.model import Scalar

__all__ = ["Converter"]

log = logging.getLogger(__name__)


class Converter:
    """Converts the values of one connector's queries; remembers float columns."""

    def __init__(self, timezone: str = "UTC", bytes_encoding: str = "utf-8") -> None:
        self.zone = ZoneInfo(timezone)
        self.bytes_encoding = bytes_encoding
        self.float_columns: set[str] = set()

    def scalar(self, value: object, column: str) -> Scalar:
        """`value` as a feed value (see the module docstring)."""
        if value is None or isinstance(value, str | bool | int | Decimal):
            return value
        if isinstance(value, float):
            return self._from_float(value, column)
        if isinstance(value, datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=self.zone)
            return aware.isoformat()
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value).decode(self.bytes_encoding, errors="replace")
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, default=str)
        return str(value)

    def _from_float(self, value: float, column: str) -> Scalar:
        if column not in self.float_columns:
            self.float_columns.add(column)
            log.warning(
                "column %r arrives as a binary float; converted through its shortest decimal "
                "form. CAST it to NUMERIC/DECIMAL in the query to read exact values",
                column,
            )
        if not math.isfinite(value):
            return repr(value)  # "nan"/"inf": validation refuses it with the value shown
        return Decimal(repr(value))

    def cursor(self, value: object) -> object:
        """A cursor value as compared in the database: datetimes keep their own zone."""
        if isinstance(value, float):
            return Decimal(repr(value))
        return value
