"""The audit trail: who did what on the dashboard, when, and with what result.

Rows are only ever added; the Activity page reads the newest first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.persistence.repositories._sql import now_or
from storebridge.persistence.tables import AuditEvent

__all__ = ["latest_events", "record_event"]


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    result: str,
    detail: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one event (values longer than their column are cut, never refused)."""
    event = AuditEvent(
        at=now_or(now),
        actor=actor[:150],
        action=action[:64],
        target=target[:255],
        result=result[:32],
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def latest_events(session: Session, *, limit: int = 200) -> list[AuditEvent]:
    """The newest `limit` events, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(query))
