"""Per-store job locks for the embedded runner: at most one holder, with expiry.

`try_acquire` is atomic on SQLite and PostgreSQL without any read-then-write
race: it first takes over an expired (or its own) lock with a single guarded
``UPDATE ... WHERE expires_at <= now``, and otherwise inserts the lock row with
``INSERT ... ON CONFLICT DO NOTHING``, which the unique (store, job)
constraint lets through for exactly one contender.  The expiry bounds how long
a crashed holder blocks the job; a live holder renews before it passes.

A lock only becomes visible to others when the transaction that took it
commits, so take it in its own short transaction (`job_lock` does) rather than
inside a long unit of work.  The distributed runner uses procrastinate's own
locks instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories._sql import insert_for, inserted, now_or, rowcount
from storebridge.persistence.tables import JobLock
from storebridge.persistence.types import utcnow

__all__ = ["current_holder", "job_lock", "release", "renew", "try_acquire"]


def try_acquire(
    session: Session,
    *,
    store: str,
    job: str,
    holder: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take the lock of (`store`, `job`) for `ttl`; False while someone else holds it.

    The current holder calling again renews its lock.  Commit right after.
    """
    at = now_or(now)
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    expires = at + ttl
    taken_over = rowcount(
        session,
        update(JobLock)
        .where(
            JobLock.store == store,
            JobLock.job == job,
            (JobLock.expires_at <= at) | (JobLock.holder == holder),
        )
        .values(holder=holder, acquired_at=at, expires_at=expires)
        .execution_options(synchronize_session=False),
    )
    if taken_over:
        return True
    added = inserted(
        session,
        insert_for(session, JobLock)
        .values(store=store, job=job, holder=holder, acquired_at=at, expires_at=expires)
        .on_conflict_do_nothing(index_elements=["store", "job"]),
    )
    return added == 1


def renew(
    session: Session,
    *,
    store: str,
    job: str,
    holder: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Extend a lock `holder` still holds; False if it expired and was taken or released."""
    at = now_or(now)
    return (
        rowcount(
            session,
            update(JobLock)
            .where(
                JobLock.store == store,
                JobLock.job == job,
                JobLock.holder == holder,
                JobLock.expires_at > at,
            )
            .values(expires_at=at + ttl)
            .execution_options(synchronize_session=False),
        )
        == 1
    )


def release(session: Session, *, store: str, job: str, holder: str) -> bool:
    """Drop the lock if `holder` holds it; never releases someone else's lock."""
    return (
        rowcount(
            session,
            delete(JobLock)
            .where(JobLock.store == store, JobLock.job == job, JobLock.holder == holder)
            .execution_options(synchronize_session=False),
        )
        == 1
    )


def current_holder(
    session: Session, *, store: str, job: str, now: datetime | None = None
) -> str | None:
    """Who holds the lock now (an expired lock counts as free)."""
    return session.scalar(
        select(JobLock.holder).where(
            JobLock.store == store, JobLock.job == job, JobLock.expires_at > now_or(now)
        )
    )


@contextmanager
def job_lock(
    sessions: sessionmaker[Session],
    *,
    store: str,
    job: str,
    holder: str,
    ttl: timedelta,
    clock: Callable[[], datetime] = utcnow,
) -> Iterator[bool]:
    """Hold the lock for the duration of a ``with`` block, each step in its own transaction.

    Yields whether the lock was obtained; the body should skip its work when
    it was not.  The lock is released on exit only if it was obtained.
    """
    with sessions.begin() as session:
        acquired = try_acquire(session, store=store, job=job, holder=holder, ttl=ttl, now=clock())
    try:
        yield acquired
    finally:
        if acquired:
            with sessions.begin() as session:
                release(session, store=store, job=job, holder=holder)
