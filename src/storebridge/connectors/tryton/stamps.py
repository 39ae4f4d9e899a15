"""Where a Tryton changes read starts: the newest record stamp seen, and what was seen near it.

Tryton stamps every record with ``create_date`` and ``write_date`` (its
*stamp* here is ``write_date``, else ``create_date``).  The stamp is the
database's time when the writing *transaction began* (PostgreSQL's
``CURRENT_TIMESTAMP``; trytond's SQLite ``NOW()`` is pinned per
transaction), so:

- many records share one stamp (one transaction wrote them all);
- a transaction that commits after a read can carry a stamp older than the
  newest one that read saw.

So a read from cursor *c* asks for stamps ``>= c - overlap`` (a closed,
overlapping start: late commits up to `overlap` seconds long are seen), and
drops the records it already delivered at the very same stamp (`seen`,
kept for the overlap window only).  Stamps are only ever compared with
other stamps of the same server, never with StoreBridge's clock.  A bulk
transaction (an import of thousands of products) stamps more records than
the position should carry: past `MAX_SEEN` records, the largest groups are
kept as their stamp alone (`bulk`: every record at that stamp was
delivered; a transaction commits whole, and another one beginning in the
same microsecond is the only thing this could skip).

`day` is StoreBridge's UTC date at the read: when it changes, done moves
dated from that day on are read again, since a move done ahead of its
effective date enters Tryton's on-hand on that date without being written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

__all__ = ["MAX_SEEN", "ChangeCursor", "Stamps", "stamp_of"]

#: Records remembered in the overlap window; beyond it the oldest are forgotten (read again).
MAX_SEEN = 20_000


def stamp_of(row: Mapping[str, Any]) -> datetime | None:
    """A record's last change: its write date, else its creation date."""
    value = row.get("write_date") or row.get("create_date")
    return value if isinstance(value, datetime) else None


@dataclass(frozen=True, slots=True)
class ChangeCursor:
    """The newest stamp seen (`at`), the records delivered near it, and the read's day."""

    at: datetime | None
    day: date
    seen: Mapping[str, datetime] = field(default_factory=dict)
    bulk: frozenset[datetime] = frozenset()

    def since(self, overlap: timedelta) -> datetime | None:
        """The closed start of the next read (None: from the beginning)."""
        return None if self.at is None else self.at - overlap

    def encode(self) -> str:
        return json.dumps(
            {
                "at": None if self.at is None else self.at.isoformat(),
                "day": self.day.isoformat(),
                "seen": {key: stamp.isoformat() for key, stamp in self.seen.items()},
                "bulk": sorted(stamp.isoformat() for stamp in self.bulk),
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: object) -> ChangeCursor | None:
        """The cursor stored as text, or None (read everything) when absent or unreadable."""
        if not isinstance(text, str):
            return None
        try:
            data = json.loads(text)
            at = None if data["at"] is None else datetime.fromisoformat(data["at"])
            seen = {str(k): datetime.fromisoformat(v) for k, v in data["seen"].items()}
            bulk = frozenset(datetime.fromisoformat(v) for v in data.get("bulk", []))
            return cls(at, date.fromisoformat(data["day"]), seen, bulk)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class Stamps:
    """The stamps one changes read observes: which records are news, and the cursor after it."""

    def __init__(self, start: ChangeCursor, overlap: timedelta) -> None:
        self.start = start
        self.overlap = overlap
        self.observed: dict[str, datetime] = {}

    def fresh(self, key: str, row: Mapping[str, Any], *, prefix: str = "") -> bool:
        """Record `key`'s stamp; True unless it was delivered at this very stamp before.

        `prefix` picks the dotted fields of a related record (``"template."``).
        """
        values = row.get(prefix) if prefix else row
        if not isinstance(values, Mapping):
            return False
        stamp = stamp_of(values)
        if stamp is None:
            return False
        self.observed[key] = stamp
        since = self.start.since(self.overlap)
        if since is not None and stamp < since:
            return False  # a related record matched by its own stamp is not this one's news
        return stamp not in self.start.bulk and self.start.seen.get(key) != stamp

    def cursor(self, day: date) -> ChangeCursor:
        """Where the next read starts: the newest stamp, with what was seen in its window."""
        stamps = [s for s in (self.start.at, *self.observed.values()) if s is not None]
        if not stamps:
            return ChangeCursor(None, day)
        at = max(stamps)
        window = at - self.overlap
        groups: dict[datetime, list[str]] = {}
        for key, stamp in self.observed.items():
            if stamp >= window:
                groups.setdefault(stamp, []).append(key)
        seen: dict[str, datetime] = {}
        bulk: set[datetime] = set()
        # The smallest groups keep their records; the largest, past the budget, their stamp.
        for stamp, keys in sorted(groups.items(), key=lambda group: len(group[1])):
            if len(seen) + len(keys) <= MAX_SEEN:
                seen.update(dict.fromkeys(keys, stamp))
            else:
                bulk.add(stamp)
        return ChangeCursor(at, day, seen, frozenset(bulk))
