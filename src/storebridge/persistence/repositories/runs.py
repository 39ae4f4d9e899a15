"""Job runs: one row per execution of a job for a store.

A run starts as ``running`` and finishes ``ok``, ``partial`` (some items
failed, the rest went through) or ``failed``, with its counts (created,
updated, quarantined, ...) and the WooCommerce API calls it made.  A run left
``running`` by a killed process is closed by `fail_unfinished` at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storebridge.persistence.repositories._sql import now_or, rowcount
from storebridge.persistence.tables import Run

__all__ = ["RunOutcome", "fail_unfinished", "finish_run", "latest_runs", "list_runs", "start_run"]

RunOutcome = Literal["ok", "partial", "failed"]

INTERRUPTED = "interrupted: the process stopped before the run finished"


def start_run(session: Session, *, store: str, job: str, now: datetime | None = None) -> Run:
    """Open a run (outcome ``running``); its `id` is set on return."""
    run = Run(
        store=store, job=job, started_at=now_or(now), outcome="running", counts={}, requests={}
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    *,
    run_id: int,
    outcome: RunOutcome,
    counts: Mapping[str, int] | None = None,
    error: str | None = None,
    requests: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> Run:
    """Close run `run_id` with its outcome, counts, error and API call counts."""
    run = session.get(Run, run_id, populate_existing=True)
    if run is None:
        raise LookupError(f"no run with id {run_id}")
    run.finished_at = now_or(now)
    run.outcome = outcome
    run.counts = dict(counts or {})
    run.error = error
    run.requests = dict(requests or {})
    session.flush()
    return run


def latest_runs(session: Session, *, store: str | None = None) -> list[Run]:
    """The most recent run of each (store, job), ordered by store then job."""
    newest = select(func.max(Run.id).label("id")).group_by(Run.store, Run.job)
    if store is not None:
        newest = newest.where(Run.store == store)
    query = (
        select(Run)
        .where(Run.id.in_(newest.scalar_subquery()))
        .order_by(Run.store, Run.job)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def list_runs(
    session: Session, *, store: str, job: str | None = None, limit: int = 50
) -> list[Run]:
    """Recent runs of `store` (optionally of one job), newest first."""
    query = select(Run).where(Run.store == store)
    if job is not None:
        query = query.where(Run.job == job)
    query = query.order_by(Run.id.desc()).limit(limit).execution_options(populate_existing=True)
    return list(session.scalars(query))


def fail_unfinished(
    session: Session, *, store: str | None = None, now: datetime | None = None
) -> int:
    """Mark runs still ``running`` as failed (call when no run can be alive, at start-up)."""
    statement = update(Run).where(Run.outcome == "running")
    if store is not None:
        statement = statement.where(Run.store == store)
    return rowcount(
        session, statement.values(outcome="failed", finished_at=now_or(now), error=INTERRUPTED)
    )
