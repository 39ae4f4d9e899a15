"""When a store's job is due (pure: no clock, no database, no I/O).

A job is due one interval after its last run *started*, whoever ran it: the
last start is read from the run log, so a restarted process does not redo a
reconcile it did a minute ago, and two runner processes on one database share
one schedule instead of each running every job.  A job that never ran is due
at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storebridge.settings import Settings

__all__ = ["MIN_TICK_S", "JobKey", "due_at", "intervals", "next_tick_s", "wait_seconds"]

#: The shortest pause between two looks for due jobs.
MIN_TICK_S = 1.0


@dataclass(frozen=True, slots=True, order=True)
class JobKey:
    """One job of one store."""

    store: str
    job: str

    def __str__(self) -> str:
        return f"{self.store}/{self.job}"


def intervals(
    settings: Settings, jobs: Iterable[str], stores: Iterable[str] | None = None
) -> dict[JobKey, timedelta]:
    """The interval of every (store, job) pair, from each store's `intervals`.

    Jobs without an interval setting run at the products interval.
    """
    names = sorted(settings.stores) if stores is None else list(stores)
    result: dict[JobKey, timedelta] = {}
    for store in names:
        configured = settings.store(store).intervals.model_dump()
        for job in jobs:
            seconds = configured.get(job, configured["products"])
            result[JobKey(store, job)] = timedelta(seconds=seconds)
    return result


def due_at(last_started: datetime | None, interval: timedelta, now: datetime) -> datetime:
    """When the job should next start: one interval after its last start, or now."""
    if last_started is None:
        return now
    return last_started + interval


def wait_seconds(due: datetime, now: datetime) -> float:
    """Seconds to wait until `due` (0 when it is already due)."""
    return max(0.0, (due - now).total_seconds())


def next_tick_s(upcoming: datetime, now: datetime, longest_s: float) -> float:
    """Seconds until the next look for due jobs: when `upcoming` falls due, within bounds.

    Never longer than `longest_s` (stalled jobs and new stores are looked for
    then too) and never shorter than `MIN_TICK_S`.
    """
    return min(longest_s, max(MIN_TICK_S, wait_seconds(upcoming, now)))
