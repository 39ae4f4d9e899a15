"""Configuration of the demo POS (`[stores.X.connector] type = "demo"`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from storebridge.connectors.settings_base import IncrementalReadSettings

__all__ = ["DEMO_ITEMS", "DEMO_STYLES", "DemoPosSettings"]

#: The catalogue `storebridge demo` sells, whichever POS it runs (demo POS, SQL sample, Tryton).
DEMO_ITEMS = 60
DEMO_STYLES = 4


class DemoPosSettings(IncrementalReadSettings):
    """The built-in demo POS: a SQLite database it seeds itself."""

    type: Literal["demo"] = "demo"
    incremental: bool = Field(
        default=True,
        description="products runs read only the items changed since the last run (and "
        "everything every full_read_every_s); false reads every item on every run",
    )
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
