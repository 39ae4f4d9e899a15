"""The bases connector settings share: unknown keys refused, values frozen; read schedules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["IncrementalReadSettings", "StampCursorSettings", "StrictSettings"]


class StrictSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IncrementalReadSettings(StrictSettings):
    """A connector that reads only what changed (`ports.IncrementalReader`), and all of it at times."""

    full_read_every_s: float = Field(
        default=3600.0,
        gt=0,
        description="products runs read only what changed since the last run, and everything "
        "when the last full read is this old (deleted rows never show up as changes)",
    )


class StampCursorSettings(IncrementalReadSettings):
    """An incremental connector whose cursor is a timestamp of the source's."""

    cursor_overlap_s: float = Field(
        default=60.0,
        ge=0,
        description="changes reads restart this many seconds before the newest timestamp seen, "
        "for transactions that commit after a read with an earlier timestamp",
    )
