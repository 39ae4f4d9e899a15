"""A store's health at a glance: green, amber or red, and the reasons (pure).

* **red**: something is broken and nothing will fix it by waiting: the last
  run of a job failed, or a job has not run for three of its intervals (is the
  runner running?);
* **amber**: it works, but something waits for a human or is running late:
  runs with failed items, quarantined rows, parked or failed exports, broken,
  deleted or parked product links, a job two intervals late, WooCommerce
  answering more than 5 % of requests with errors, or a job that never ran yet;
* **green**: every job ran on time and nothing waits.

The reasons are sentences for the overview page, worst first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["ERROR_RATE_AMBER", "Health", "JobFacts", "StoreFacts", "judge"]

Level = Literal["green", "amber", "red"]

#: Share of failed WooCommerce requests above which a store is amber.
ERROR_RATE_AMBER = 0.05


@dataclass(frozen=True, slots=True)
class JobFacts:
    """The last run of one job, and how often it should run."""

    job: str
    interval: timedelta
    started_at: datetime | None = None
    outcome: str | None = None  # running | ok | partial | failed
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoreFacts:
    """What the health judgement looks at."""

    jobs: Sequence[JobFacts]
    quarantined: int = 0
    link_problems: Mapping[str, int] = field(default_factory=dict)  # broken/deleted/parked
    failed_exports: int = 0
    parked_exports: int = 0
    review_exports: int = 0
    error_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict and why."""

    level: Level
    reasons: tuple[str, ...]


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def judge(facts: StoreFacts, now: datetime) -> Health:
    """Green, amber or red, with the reasons, worst first."""
    red: list[str] = []
    amber: list[str] = []
    for job in facts.jobs:
        if job.started_at is None:
            amber.append(f"{job.job} has not run yet")
            continue
        late = now - job.started_at
        if job.outcome == "failed":
            red.append(f"the last {job.job} run failed: {job.error or 'no error recorded'}")
        elif job.outcome == "partial":
            amber.append(f"the last {job.job} run had failed items: {job.error or 'see Runs'}")
        if job.outcome != "running" and late > 3 * job.interval:
            red.append(
                f"{job.job} last ran {_ago(late)} ago (every {_ago(job.interval)}): "
                "is `storebridge run` running?"
            )
        elif job.outcome != "running" and late > 2 * job.interval:
            amber.append(f"{job.job} is late: last ran {_ago(late)} ago")
    if facts.parked_exports:
        amber.append(f"{facts.parked_exports} order export(s) parked: retry or skip them")
    if facts.failed_exports > facts.parked_exports:
        amber.append(
            f"{facts.failed_exports - facts.parked_exports} order export(s) failed, retrying"
        )
    if facts.review_exports:
        amber.append(f"{facts.review_exports} exported order(s) edited afterwards: review them")
    for state in ("broken", "deleted", "parked"):
        count = facts.link_problems.get(state, 0)
        if count:
            amber.append(f"{count} product link(s) {state}")
    if facts.quarantined:
        amber.append(f"{facts.quarantined} POS row(s) quarantined")
    if facts.error_rate is not None and facts.error_rate > ERROR_RATE_AMBER:
        amber.append(f"WooCommerce answered {facts.error_rate:.0%} of requests with an error")
    if red:
        return Health("red", tuple(red + amber))
    if amber:
        return Health("amber", tuple(amber))
    return Health("green", ("every job ran on time and nothing waits for a human",))
