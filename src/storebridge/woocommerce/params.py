"""Query-parameter encoding the way wc/v3 expects it (woocommerce-rest-api.md §1.3, §2.5).

- lists go out as comma-separated strings (`include=1,2`, `status=a,b`): array
  syntax (`include[]=`) is signed differently by the server's OAuth check;
- booleans as `true`/`false`;
- datetimes as naive UTC (`2024-05-01T10:00:00`), to be paired with
  `dates_are_gmt=true`: a value with `Z` would be shifted to site time first.
- None means "leave the parameter out".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

__all__ = ["ParamValue", "Params", "encode_params", "format_gmt"]

ParamValue = str | int | float | bool | datetime | Iterable[str | int] | None
Params = Mapping[str, ParamValue]


def format_gmt(moment: datetime) -> str:
    """An aware datetime as WooCommerce's naive-UTC `YYYY-MM-DDTHH:MM:SS`.

    Raises:
        ValueError: for a naive datetime, whose time zone would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware; WooCommerce filters need UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _encode_value(value: ParamValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_gmt(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return ",".join(str(part) for part in value)


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Params as ordered `(key, value)` string pairs, Nones dropped."""
    if not params:
        return []
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        encoded = _encode_value(value)
        if encoded is not None:
            pairs.append((key, encoded))
    return pairs
