"""RunReport: what one engine run did, for the CLI, the dashboard, the runs table and benchmarks.

A report carries counts (what was planned and what WooCommerce confirmed),
the API requests made, by ``"METHOD /endpoint/template"`` (from the client's
`RequestStats`), the rows quarantined, and one `ItemProblem` per item that
failed or needs a human (broken link, deleted product, parked, conflict).
It also carries the batch concurrency the client settled on (`ConcurrencyLevel`:
the level at the end, the highest reached, the store's maximum), stored in the
run's counts as ``concurrency``, ``concurrency_peak`` and ``concurrency_max``
when the run sent batches.
The outcome is ``ok`` when nothing failed, ``partial`` when some items did,
``failed`` when the run stopped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from storebridge.domain.model import Quarantined
from storebridge.woocommerce import ConcurrencyLevel, StatsSnapshot

__all__ = [
    "CONCURRENCY",
    "CONCURRENCY_MAX",
    "CONCURRENCY_PEAK",
    "Drift",
    "ItemProblem",
    "Outcome",
    "RunReport",
    "requests_by_kind",
]

#: Keys of the run's counts for the batch concurrency the client chose.
CONCURRENCY = "concurrency"
CONCURRENCY_PEAK = "concurrency_peak"
CONCURRENCY_MAX = "concurrency_max"

Outcome = Literal["ok", "partial", "failed"]


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """One item that did not go through, or waits for a human."""

    sku: str
    kind: str  # this run: failed | parked | broken | deleted | conflict; earlier: waiting
    detail: str
    woo_id: int | None = None


@dataclass(frozen=True, slots=True)
class Drift:
    """A POS-owned field WooCommerce holds differently from StoreBridge (reconcile)."""

    sku: str
    woo_id: int
    field: str
    ours: str
    theirs: str


def requests_by_kind(snapshot: StatsSnapshot) -> dict[str, int]:
    """Request counts keyed ``"POST /products/batch"``, sorted by key."""
    return {
        f"{method} {template}": count
        for (method, template), count in sorted(snapshot.by_endpoint.items())
    }


@dataclass
class RunReport:
    """The result of one run of one job for one store."""

    store: str
    job: str
    started_at: datetime
    dry_run: bool = False
    finished_at: datetime | None = None
    counts: Counter[str] = field(default_factory=Counter)
    planned: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0
    retries: int = 0
    concurrency: ConcurrencyLevel | None = None
    quarantined: list[Quarantined] = field(default_factory=list)
    problems: list[ItemProblem] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    error: str | None = None
    run_id: int | None = None

    @property
    def failed_items(self) -> int:
        """Items whose write failed in this run."""
        return sum(1 for p in self.problems if p.kind in ("failed", "parked"))

    @property
    def outcome(self) -> Outcome:
        """``failed`` if the run stopped, ``partial`` if items failed, else ``ok``."""
        if self.error is not None:
            return "failed"
        return "partial" if self.failed_items else "ok"

    def add_requests(
        self, snapshot: StatsSnapshot, concurrency: ConcurrencyLevel | None = None
    ) -> None:
        """Take the request counters and the batch concurrency of the run's client."""
        self.requests = requests_by_kind(snapshot)
        self.reads = snapshot.reads
        self.writes = snapshot.writes
        self.retries = snapshot.retries
        if concurrency is not None and concurrency.batches:
            self.concurrency = concurrency

    @property
    def concurrency_text(self) -> str:
        """``"3 (peak 4 of 8)"``: batch requests at once at the end, the highest, the maximum."""
        level = self.concurrency
        if level is None:
            return "no batches"
        return f"{level.current} (peak {level.peak} of {level.maximum})"

    def problem(self, sku: str, kind: str, detail: str, woo_id: int | None = None) -> None:
        """Record one item problem and count it under `kind`."""
        self.problems.append(ItemProblem(sku, kind, detail, woo_id))
        self.counts[kind] += 1

    def summary_counts(self) -> dict[str, int]:
        """Counts for the runs table: what happened, and the plan's non-zero entries."""
        counts = {key: value for key, value in sorted(self.counts.items()) if value}
        counts.update({f"planned_{key}": n for key, n in sorted(self.planned.items()) if n})
        counts["quarantined"] = len(self.quarantined)
        if self.concurrency is not None:
            counts[CONCURRENCY] = self.concurrency.current
            counts[CONCURRENCY_PEAK] = self.concurrency.peak
            counts[CONCURRENCY_MAX] = self.concurrency.maximum
        return counts
