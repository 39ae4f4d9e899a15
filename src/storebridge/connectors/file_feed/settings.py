"""Configuration of the file feed (`[stores.X.connector] type = "file_feed"`)."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from storebridge.connectors.settings_base import StrictSettings

__all__ = ["ColumnMapping", "FileFeedSettings"]


class ColumnMapping(StrictSettings):
    """Which source column holds which field. Only `sku` is required.

    `quantity` maps a location name to the column holding its on-hand;
    `attributes` maps an attribute name (e.g. "Size") to its column.
    """

    sku: str = "sku"
    name: str | None = "name"
    price: str | None = "price"
    sale_price: str | None = None
    sale_from: str | None = None
    sale_to: str | None = None
    quantity: dict[str, str] = Field(default_factory=lambda: {"default": "quantity"})
    web_flag: str | None = None
    webstore: str | None = None  # column holding the web store name(s) the row belongs to
    webstore_price: str | None = None  # column holding that web store's price
    description: str | None = None
    short_description: str | None = None
    categories: str | None = None
    category_separator: str = "|"
    weight: str | None = None
    parent_code: str | None = None
    parent_name: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)


class FileFeedSettings(StrictSettings):
    """CSV or JSON-lines feed: one file, or a drop folder processed file by file."""

    type: Literal["file_feed"] = "file_feed"
    path: Path = Field(description="a feed file, or a folder into which feed files are dropped")
    format: Literal["csv", "jsonl"] = "csv"
    pattern: str = Field(default="*.csv", description="glob of feed files inside a drop folder")
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal_comma: bool = Field(default=False, description="prices written as 12,50")
    true_values: tuple[str, ...] = ("1", "true", "yes", "y", "x", "web")
    date_format: str | None = Field(default=None, description="strptime format; ISO 8601 if unset")
    mapping: ColumnMapping = Field(default_factory=ColumnMapping)
    outbox: Path = Field(default=Path("var/outbox"), description="folder receiving order documents")

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if value == "\\t":
            return "\t"
        if len(value) != 1:
            raise ValueError(
                f"delimiter must be one character (got {value!r}); use ',', ';' or '\\t'"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"encoding {value!r} is not known to Python; use e.g. 'utf-8', 'latin-1' "
                "or 'cp1252'"
            ) from None
        return value
