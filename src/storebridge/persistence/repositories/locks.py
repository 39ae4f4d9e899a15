"""Per-store job locks: at most one holder, and a dead holder never blocks the next run.

Exclusion is decided by a lock that dies with its holder (`holder_locks`: a
``flock`` next to a SQLite file, a PostgreSQL advisory lock held by the
holder's connection), so a process killed with SIGKILL frees its lock at
once.  The ``job_locks`` row only says who holds the lock and since when, for
messages and the dashboard: it is written after the lock is taken (a row a
dead holder left behind is simply overwritten) and deleted when it is let go.

Each step runs in its own short transaction (`job_lock` owns them), and the
lock itself is taken outside any transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence import holder_locks
from storebridge.persistence.repositories._sql import insert_for, rowcount
from storebridge.persistence.tables import JobLock
from storebridge.persistence.types import utcnow

__all__ = ["current_holder", "forget_holder", "job_lock", "record_holder"]


def record_holder(session: Session, *, store: str, job: str, holder: str, now: datetime) -> None:
    """Write who holds the lock of (`store`, `job`) since `now`, over any row left before."""
    values = {"holder": holder, "acquired_at": now, "expires_at": now}
    session.execute(
        insert_for(session, JobLock)
        .values(store=store, job=job, **values)
        .on_conflict_do_update(index_elements=["store", "job"], set_=values)
    )


def forget_holder(session: Session, *, store: str, job: str, holder: str) -> bool:
    """Delete the row if it names `holder`; never someone else's."""
    return (
        rowcount(
            session,
            delete(JobLock)
            .where(JobLock.store == store, JobLock.job == job, JobLock.holder == holder)
            .execution_options(synchronize_session=False),
        )
        == 1
    )


def current_holder(session: Session, *, store: str, job: str) -> str | None:
    """Who last took the lock and has not let it go (None when no row names anyone).

    A holder that died without letting go still shows until the next one takes
    the lock; ask only after failing to take it for an answer that is current.
    """
    return session.scalar(select(JobLock.holder).where(JobLock.store == store, JobLock.job == job))


def _engine(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("job locks need a sessionmaker bound to an Engine")
    return bind


@contextmanager
def job_lock(
    sessions: sessionmaker[Session],
    *,
    store: str,
    job: str,
    holder: str,
    clock: Callable[[], datetime] = utcnow,
) -> Iterator[bool]:
    """Hold the lock of (`store`, `job`) for the duration of a ``with`` block.

    Yields whether the lock was obtained; the body should skip its work when
    it was not.  A holder already holding the lock re-enters it (the lock is
    released when its outermost block ends).  Never waits.
    """
    lease = holder_locks.try_take(_engine(sessions), store=store, job=job, holder=holder)
    if lease is None:
        yield False
        return
    try:
        if not lease.reentered:
            with sessions.begin() as session:
                record_holder(session, store=store, job=job, holder=holder, now=clock())
        try:
            yield True
        finally:
            if not lease.reentered:
                with sessions.begin() as session:
                    forget_holder(session, store=store, job=job, holder=holder)
    finally:
        lease.release()
