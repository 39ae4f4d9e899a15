"""Alert conditions and the messages about them (pure: no database, no network).

A `Condition` is something a person should hear about, named by its `kind`
and a `key` within the kind (an order id, a SKU, a webhook id; empty when a
store has only one).  The same (store, kind, key) announced once stays quiet
until it recovers; `level` lets a condition that grows (the quarantine) be
announced again when it gets bigger.

`compose` turns the notices owed to one target into one message, so a bad
minute (twenty orders parked at once) is one e-mail, not twenty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

__all__ = [
    "EVALUATED_KINDS",
    "EXPORT_PARKED",
    "KINDS",
    "LINK_BROKEN",
    "QUARANTINE_GREW",
    "STORE_RED",
    "WEBHOOK_DISABLED",
    "Condition",
    "Notice",
    "NoticeKind",
    "compose",
]

STORE_RED: Final = "store_red"
EXPORT_PARKED: Final = "export_parked"
LINK_BROKEN: Final = "link_broken"
WEBHOOK_DISABLED: Final = "webhook_disabled"
QUARANTINE_GREW: Final = "quarantine_grew"

#: Every kind, with the few words that name it in a message title.
KINDS: Final[dict[str, str]] = {
    STORE_RED: "store is red",
    EXPORT_PARKED: "order export parked",
    LINK_BROKEN: "product link broken",
    WEBHOOK_DISABLED: "webhook disabled",
    QUARANTINE_GREW: "POS rows quarantined",
}

#: Kinds the alerts job observes itself and therefore resolves when it no longer
#: sees them; other kinds (webhook_disabled) are raised and cleared by their checker.
EVALUATED_KINDS: Final = frozenset({STORE_RED, EXPORT_PARKED, LINK_BROKEN, QUARANTINE_GREW})

NoticeKind = Literal["problem", "recovery"]


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition seen now."""

    kind: str
    key: str
    message: str
    level: int = 0


@dataclass(frozen=True, slots=True)
class Notice:
    """A message owed about one condition: its problem (or growth) or its recovery."""

    kind: str
    key: str
    message: str
    notice: NoticeKind
    opened_at: datetime
    resolved_at: datetime | None = None
    level: int = 0
    announced_level: int | None = None

    @property
    def grew(self) -> bool:
        """A problem already announced at a smaller level."""
        return self.notice == "problem" and self.announced_level is not None

    def line(self) -> str:
        """The notice as one line of a message body."""
        what = KINDS.get(self.kind, self.kind.replace("_", " "))
        if self.notice == "recovery":
            lasted = _duration((self.resolved_at or self.opened_at) - self.opened_at)
            return f"RECOVERED after {lasted}: {what}: {self.message}"
        if self.grew:
            return f"GREW from {self.announced_level} to {self.level}: {what}: {self.message}"
        return f"PROBLEM: {what}: {self.message}"


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def compose(store: str, notices: Sequence[Notice]) -> tuple[str, str]:
    """The title and body of one message about `notices` of `store` (at least one)."""
    if not notices:
        raise ValueError("compose needs at least one notice")
    problems = [n for n in notices if n.notice == "problem"]
    recoveries = [n for n in notices if n.notice == "recovery"]
    if len(notices) == 1:
        only = notices[0]
        what = KINDS.get(only.kind, only.kind.replace("_", " "))
        if only.notice == "recovery":
            title = f"StoreBridge {store}: recovered: {what}"
        elif only.grew:
            title = f"StoreBridge {store}: {what}: grew to {only.level}"
        else:
            title = f"StoreBridge {store}: {what}"
    else:
        parts = []
        if problems:
            parts.append(f"{len(problems)} problem(s)")
        if recoveries:
            parts.append(f"{len(recoveries)} recovered")
        title = f"StoreBridge {store}: {', '.join(parts)}"
    lines = [f"Store {store}:", *(f"- {n.line()}" for n in (*problems, *recoveries))]
    return title, "\n".join(lines)
