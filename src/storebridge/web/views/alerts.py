"""The Alerts page: the alert conditions open per store, and the ones recently recovered.

Read from the ``alerts`` table that `storebridge.alerts.ledger` keeps; this
module only reads it.  "Failed sends" is the row's ``attempts``: the failed
deliveries of the notice now owed (the ledger resets it once every target has
the notice), so a non-zero figure means people have not been told yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.alerts.conditions import KINDS
from storebridge.persistence.tables import Alert

__all__ = ["RECOVERED_WINDOW", "AlertLine", "list_alerts"]

#: How far back the page lists recovered conditions.
RECOVERED_WINDOW = timedelta(days=7)
_LIMIT = 200


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One alert row, as the Alerts page shows it."""

    id: int
    store: str
    kind: str
    key: str
    message: str
    level: int
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    notice: str
    announced_at: datetime | None
    recovery_sent_at: datetime | None
    delivered_to: int
    failed_sends: int
    next_attempt_at: datetime | None
    last_error: str | None

    @property
    def title(self) -> str:
        """The few words that name the kind ("order export parked")."""
        return KINDS.get(self.kind, self.kind)

    @property
    def last_told(self) -> datetime | None:
        """When people last heard of it: the recovery, else the problem."""
        return self.recovery_sent_at or self.announced_at


def _line(row: Alert) -> AlertLine:
    return AlertLine(
        id=row.id,
        store=row.store,
        kind=row.kind,
        key=row.key,
        message=row.message,
        level=row.level,
        opened_at=row.opened_at,
        last_seen_at=row.last_seen_at,
        resolved_at=row.resolved_at,
        notice=row.notice,
        announced_at=row.announced_at,
        recovery_sent_at=row.recovery_sent_at,
        delivered_to=len(row.delivered_to or ()),
        failed_sends=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
    )


def list_alerts(
    session: Session, *, stores: list[str], now: datetime
) -> tuple[list[AlertLine], list[AlertLine]]:
    """(open conditions oldest first, conditions recovered in `RECOVERED_WINDOW` newest first)."""
    opened = session.scalars(
        select(Alert)
        .where(Alert.store.in_(stores), Alert.resolved_at.is_(None))
        .order_by(Alert.store, Alert.opened_at, Alert.id)
        .limit(_LIMIT)
    )
    recovered = session.scalars(
        select(Alert)
        .where(Alert.store.in_(stores), Alert.resolved_at >= now - RECOVERED_WINDOW)
        .order_by(Alert.resolved_at.desc(), Alert.id.desc())
        .limit(_LIMIT)
    )
    return [_line(row) for row in opened], [_line(row) for row in recovered]
