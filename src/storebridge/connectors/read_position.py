"""Where an incremental POS read starts, and when the connector's next full read is due.

Connectors that can say what changed since a cursor (`ports.IncrementalReader`:
the SQL connector's updated-at or row version, the demo POS's change
sequence) hand the engine an opaque position after each read; the engine
stores it with the run that applied the read and passes it back.  Changes
reads never see a row that was deleted, so every such connector still reads
everything on a slower schedule (its ``full_read_every_s`` setting), and
whenever the position is missing or unreadable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

__all__ = ["ReadPosition", "full_read_due"]


@dataclass(frozen=True, slots=True)
class ReadPosition:
    """Where the next incremental read starts, and when the last full read was."""

    cursor: object  # datetime | int | Decimal | str | None, as the source compares it
    full_read_at: datetime

    def encode(self) -> str:
        return json.dumps(
            {"cursor": _tagged(self.cursor), "full_read_at": self.full_read_at.isoformat()}
        )

    @classmethod
    def decode(cls, value: str | None) -> ReadPosition | None:
        """The stored position, or None (read everything) when absent or unreadable."""
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(_untagged(data["cursor"]), datetime.fromisoformat(data["full_read_at"]))
        except (ValueError, KeyError, TypeError):
            return None


def full_read_due(position: ReadPosition | None, now: datetime, every_s: float) -> bool:
    """Whether this read must be a full one: no usable cursor, or the last full read is old."""
    return (
        position is None
        or position.cursor is None
        or now - position.full_read_at >= timedelta(seconds=every_s)
    )


def _tagged(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, bool | int):
        return {"t": "int", "v": str(int(value))}
    if isinstance(value, Decimal):
        return {"t": "decimal", "v": str(value)}
    return {"t": "str", "v": str(value)}


def _untagged(value: dict[str, str] | None) -> object:
    if value is None:
        return None
    kind, raw = value["t"], value["v"]
    if kind == "datetime":
        return datetime.fromisoformat(raw)
    if kind == "int":
        return int(raw)
    if kind == "decimal":
        return Decimal(raw)
    return raw
