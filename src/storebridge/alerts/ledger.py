"""The alert ledger: conditions per store in the ``alerts`` table, and the messages owed.

Every function takes the caller's session and never commits, like the other
repositories: open a short unit of work around it, and never send inside it
(`storebridge.alerts.job` reads what is owed, sends with no transaction
open, then records each outcome in its own short transaction).

The life of a row::

    raise / observe ─► open, notice=problem ──delivered to every target──► notice=none
          │ level grows above the level announced ─► notice=problem (announced again)
          └── clear / no longer observed ─► resolved, notice=recovery (if announced)
                                            └──delivered──► recovery_sent_at, notice=none

A condition that recovers before anyone was told is closed silently, and the
next time it appears is a new row, so it is announced again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.alerts.conditions import EVALUATED_KINDS, KINDS, Condition, Notice, NoticeKind
from storebridge.persistence.repositories._sql import now_or
from storebridge.persistence.tables import Alert

__all__ = [
    "MAX_ATTEMPTS",
    "Owed",
    "Reconciled",
    "clear_alert",
    "open_alerts",
    "owed",
    "raise_alert",
    "reconcile",
    "record_delivered",
    "record_failed",
    "retry_delay",
]

#: Failed sends of one notice before it is given up (about 17 hours of retries).
MAX_ATTEMPTS = 24
_FIRST_RETRY = timedelta(seconds=30)
_LONGEST_RETRY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Owed:
    """A notice owed about one alert row, and the targets that already have it."""

    alert_id: int
    notice: Notice
    delivered_to: frozenset[str]


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What one observation changed: conditions opened, grown and resolved."""

    opened: int = 0
    grew: int = 0
    resolved: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed send: 30 s, doubling, at most an hour."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(max(0, attempts - 1), 16)
    return min(delay, _LONGEST_RETRY)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")


def _open_rows(
    session: Session, store: str, kinds: Collection[str]
) -> dict[tuple[str, str], Alert]:
    rows = session.scalars(
        select(Alert)
        .where(Alert.store == store, Alert.kind.in_(kinds), Alert.resolved_at.is_(None))
        .order_by(Alert.id)
    )
    return {(row.kind, row.key): row for row in rows}


def _reset_delivery(row: Alert) -> None:
    row.delivered_to = []
    row.attempts = 0
    row.next_attempt_at = None
    row.last_error = None


def _observe(
    session: Session, store: str, row: Alert | None, seen: Condition, now: datetime
) -> str:
    """Open or refresh one condition; 'opened', 'grew' or '' (nothing new to tell)."""
    if row is None:
        session.add(
            Alert(
                store=store,
                kind=seen.kind,
                key=seen.key[:255],
                message=seen.message,
                level=seen.level,
                opened_at=now,
                last_seen_at=now,
                notice="problem",
                delivered_to=[],
            )
        )
        return "opened"
    row.message = seen.message
    row.level = seen.level
    row.last_seen_at = now
    if (
        row.notice == "none"
        and row.announced_level is not None
        and seen.level > row.announced_level
    ):
        row.notice = "problem"
        _reset_delivery(row)
        return "grew"
    return ""


def _resolve(row: Alert, now: datetime) -> None:
    row.resolved_at = now
    told = row.announced_at is not None or bool(row.delivered_to)
    row.notice = "recovery" if told else "none"
    _reset_delivery(row)


def raise_alert(
    session: Session,
    *,
    kind: str,
    store: str,
    key: str,
    message: str,
    level: int = 0,
    now: datetime | None = None,
) -> bool:
    """Record that a condition holds now (a checker's call: no message is sent here).

    The alerts job sends what is owed on its next run.  Raising a condition
    that is already open only refreshes its message; returns whether it was new.
    """
    _check_kind(kind)
    at = now_or(now)
    row = _open_rows(session, store, [kind]).get((kind, key[:255]))
    outcome = _observe(session, store, row, Condition(kind, key, message, level), at)
    session.flush()
    return outcome == "opened"


def clear_alert(
    session: Session, *, kind: str, store: str, key: str, now: datetime | None = None
) -> bool:
    """Record that a condition no longer holds; a recovery message is owed if it was told.

    Returns whether an open condition was resolved.
    """
    _check_kind(kind)
    row = _open_rows(session, store, [kind]).get((kind, key[:255]))
    if row is None:
        return False
    _resolve(row, now_or(now))
    session.flush()
    return True


def reconcile(
    session: Session, *, store: str, observed: Iterable[Condition], now: datetime
) -> Reconciled:
    """Make the open evaluated conditions of `store` exactly `observed`."""
    current = _open_rows(session, store, EVALUATED_KINDS)
    opened = grew = 0
    seen: set[tuple[str, str]] = set()
    for condition in observed:
        if condition.kind not in EVALUATED_KINDS:
            raise ValueError(f"{condition.kind} is raised by its checker, not observed")
        key = (condition.kind, condition.key[:255])
        if key in seen:
            continue
        seen.add(key)
        outcome = _observe(session, store, current.get(key), condition, now)
        opened += outcome == "opened"
        grew += outcome == "grew"
    resolved = 0
    for key, row in current.items():
        if key not in seen:
            _resolve(row, now)
            resolved += 1
    session.flush()
    return Reconciled(opened, grew, resolved)


def open_alerts(session: Session, *, store: str) -> list[Alert]:
    """The conditions of `store` that hold now, oldest first."""
    return list(_open_rows(session, store, KINDS).values())


def owed(session: Session, *, store: str, now: datetime) -> list[Owed]:
    """The notices of `store` due to be sent at `now`, oldest condition first."""
    rows = session.scalars(
        select(Alert)
        .where(
            Alert.store == store,
            Alert.notice != "none",
            (Alert.next_attempt_at.is_(None)) | (Alert.next_attempt_at <= now),
        )
        .order_by(Alert.id)
    )
    result: list[Owed] = []
    for row in rows:
        notice: NoticeKind = "recovery" if row.notice == "recovery" else "problem"
        result.append(
            Owed(
                row.id,
                Notice(
                    kind=row.kind,
                    key=row.key,
                    message=row.message,
                    notice=notice,
                    opened_at=row.opened_at,
                    resolved_at=row.resolved_at,
                    level=row.level,
                    announced_level=row.announced_level,
                ),
                frozenset(row.delivered_to or ()),
            )
        )
    return result


def record_delivered(
    session: Session, *, owed_notice: Owed, target: str, targets: Collection[str], now: datetime
) -> None:
    """`target` received the notice; once every target has it, nothing is owed any more."""
    row = session.get(Alert, owed_notice.alert_id)
    if row is None:
        return
    sent = owed_notice.notice
    if row.notice != sent.notice:
        # The condition recovered while its problem was being sent: the recovery is owed
        # to whoever heard of the problem, which this target now has.
        if sent.notice == "problem" and row.announced_at is None:
            row.announced_at = now
        return
    delivered = {*row.delivered_to, target}
    if not set(targets) <= delivered:
        row.delivered_to = sorted(delivered)
        return
    if sent.notice == "problem":
        row.announced_at = now
        row.announced_level = sent.level
        row.notice = "problem" if row.level > sent.level else "none"
    else:
        row.recovery_sent_at = now
        row.notice = "none"
    _reset_delivery(row)


def record_failed(session: Session, *, owed_notice: Owed, error: str, now: datetime) -> bool:
    """A send of the notice failed; schedules the retry.  True when it is given up."""
    row = session.get(Alert, owed_notice.alert_id)
    if row is None or row.notice != owed_notice.notice.notice:
        return False
    row.attempts += 1
    row.last_error = error
    if row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at = now + retry_delay(row.attempts)
        return False
    if row.notice == "problem" and row.delivered_to:
        # Some targets heard of it: they are owed the recovery later.
        row.announced_at = now
        row.announced_level = row.level
    row.notice = "none"
    row.next_attempt_at = None
    row.last_error = f"given up after {row.attempts} attempts: {error}"
    return True
