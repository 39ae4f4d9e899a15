"""Configuration models of the built-in connectors (the `[stores.X.connector]` table).

Each model carries a `type` literal so the store config can hold a
discriminated union of them; the registry maps the same literal to the
connector class.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoPosSettings(_Strict):
    """The built-in demo POS: a SQLite database it seeds itself."""

    type: Literal["demo"] = "demo"
    path: Path = Field(
        default=Path("var/demo-pos.sqlite3"), description="SQLite file of the demo POS"
    )
    seed_items: int = Field(
        default=200, ge=0, le=1_000_000, description="items seeded on first use"
    )
    seed_styles: int = Field(default=10, ge=0, le=100_000, description="matrix styles seeded")
    random_seed: int = 42
    locations: tuple[str, ...] = ("store-1", "store-2", "warehouse")
    web_location: str | None = Field(
        default=None,
        description="location web invoices take stock from and credits return it to; "
        "the first location when unset",
    )
    allow_negative_stock: bool = Field(
        default=False, description="let sales drive on-hand below 0 (some tills allow it)"
    )

    @model_validator(mode="after")
    def _web_location_is_a_location(self) -> DemoPosSettings:
        if not self.locations:
            raise ValueError("locations must name at least one location, e.g. ['store-1']")
        if self.web_location is not None and self.web_location not in self.locations:
            raise ValueError(
                f"web_location {self.web_location!r} is not one of the locations "
                f"{list(self.locations)}; add it to locations or pick one of them"
            )
        return self

    @property
    def effective_web_location(self) -> str:
        """The location web invoices and credits move stock in."""
        return self.web_location if self.web_location is not None else self.locations[0]


class ColumnMapping(_Strict):
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


class FileFeedSettings(_Strict):
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


ConnectorSettings = DemoPosSettings | FileFeedSettings
