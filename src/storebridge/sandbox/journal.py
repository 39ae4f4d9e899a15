"""The write journal: which fields each processed API write carried, for audits.

A soak or a test asks afterwards "did StoreBridge ever send `name` in an
update?"; the request counters cannot say.  For every write the gate lets
through to the routes (authenticated, no fault that stops it), the journal
keeps the method, the route template, the path and, per object written, the
keys of the JSON body and the id it targets, never the values, so a long run
stays small and holds no customer data.  A batch body is split into its
``create``, ``update`` and ``delete`` items.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["WriteEntry", "WriteJournal"]

#: Entries kept (the oldest go first): enough for hours of a busy store.
MAX_ENTRIES = 200_000


@dataclass(frozen=True, slots=True)
class WriteEntry:
    """One object written by one request."""

    method: str
    template: str
    path: str
    #: "create", "update" or "delete" for a batch item, else the HTTP method's meaning.
    operation: str
    #: The id a batch update/delete names; None for creates and single writes (see `path`).
    target_id: int | None
    keys: tuple[str, ...]


def _operation(method: str) -> str:
    return {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(
        method, method.lower()
    )


def _target(item: Any) -> int | None:
    raw = item.get("id") if isinstance(item, dict) else item
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        return int(raw)
    except ValueError:
        return None


class WriteJournal:
    """A thread-safe, bounded list of `WriteEntry`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[WriteEntry] = deque(maxlen=MAX_ENTRIES)

    def record(self, method: str, template: str, path: str, body: bytes) -> None:
        """Journal one processed write request."""
        try:
            payload = json.loads(body) if body else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = {}
        entries: list[WriteEntry] = []
        if template.endswith("/batch") and isinstance(payload, dict):
            for operation in ("create", "update", "delete"):
                for item in payload.get(operation) or ():
                    keys = tuple(sorted(item)) if isinstance(item, dict) else ()
                    target = None if operation == "create" else _target(item)
                    entries.append(WriteEntry(method, template, path, operation, target, keys))
        else:
            keys = tuple(sorted(payload)) if isinstance(payload, dict) else ()
            entries.append(WriteEntry(method, template, path, _operation(method), None, keys))
        with self._lock:
            self._entries.extend(entries)

    def entries(self) -> list[WriteEntry]:
        """Every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def snapshot(self) -> list[dict[str, Any]]:
        """The entries as JSON-ready data."""
        return [asdict(entry) for entry in self.entries()]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
