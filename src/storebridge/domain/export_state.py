"""The export record of one WooCommerce order, as pure transitions (design.md §5).

    (none) ──observe──> seen ──observe (trigger status)──> eligible
    eligible ──succeeded──> exported(pos_ref)
    eligible ──failed──> failed(attempts, next_retry_at)  ──failed──> ... parked
    failed ──retry_now──> eligible            (a human pressed "retry")
    seen | eligible | failed ──skip──> skipped(reason)
    skipped ──unskip──> seen                  (a human asked to export it after all)
    exported ──after_export_change(edited)──> review ──resolve_review──> exported

`exported` never goes back to `seen`/`eligible`: exactly-once export depends
on it.  `skipped` only does when a human asks (the idempotency key still
guards the POS write).  A refund or cancellation after export does not
change the record; it asks for a credit document (`AfterExport.credit_needed`).
Each function returns a new record and raises `ValueError` naming the state
and the transition when the move is not allowed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "CREDIT_STATUSES",
    "AfterExport",
    "BackoffPolicy",
    "ExportRecord",
    "ExportState",
    "after_export_change",
    "due",
    "failed",
    "observe",
    "resolve_review",
    "retry_now",
    "skip",
    "succeeded",
    "unskip",
]

#: Order statuses that, after export, call for a credit document in the POS.
CREDIT_STATUSES = frozenset({"refunded", "cancelled"})


class ExportState(StrEnum):
    SEEN = "seen"
    ELIGIBLE = "eligible"
    EXPORTED = "exported"
    FAILED = "failed"
    SKIPPED = "skipped"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class ExportRecord:
    state: ExportState
    attempts: int = 0
    next_retry_at: datetime | None = None  # None while failed = parked, waits for a human
    last_error: str | None = None
    pos_ref: str | None = None
    skip_reason: str | None = None
    exported_at: datetime | None = None

    @property
    def parked(self) -> bool:
        return self.state is ExportState.FAILED and self.next_retry_at is None


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Capped exponential backoff: base_s, 2*base_s, 4*base_s... at most cap_s.

    Deterministic on purpose (no jitter): exports are few and per order, so
    synchronised retries are not a concern, and tests stay exact.
    """

    max_attempts: int = 8
    base_s: float = 60.0
    cap_s: float = 6 * 3600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError(
                "BackoffPolicy needs max_attempts >= 1 and 0 < base_s <= cap_s, "
                f"got {self.max_attempts}, {self.base_s}, {self.cap_s}"
            )

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failure (1-based)."""
        exponent = min(max(attempts - 1, 0), 62)  # 2**62 * base is beyond any cap
        return timedelta(seconds=min(self.cap_s, self.base_s * 2.0**exponent))


@dataclass(frozen=True, slots=True)
class AfterExport:
    """What an order change after export means."""

    record: ExportRecord
    credit_needed: bool


def _illegal(record: ExportRecord, transition: str, allowed: Collection[ExportState]) -> ValueError:
    names = ", ".join(sorted(state.value for state in allowed))
    return ValueError(
        f"cannot {transition} an export in state {record.state.value!r} (allowed from: {names})"
    )


def observe(
    record: ExportRecord | None, order_status: str, trigger_statuses: Collection[str]
) -> ExportRecord:
    """Record the order's current status.

    A new order is ``seen``, or ``eligible`` when its status triggers export
    (completed, or a configured "shipped").  An order that leaves the
    trigger status before being exported goes back to ``seen`` (keeping its
    failure history).  Exported, skipped and review records never change here.
    """
    triggered = order_status in trigger_statuses
    if record is None:
        return ExportRecord(ExportState.ELIGIBLE if triggered else ExportState.SEEN)
    if record.state in (ExportState.EXPORTED, ExportState.SKIPPED, ExportState.REVIEW):
        return record
    if record.state is ExportState.SEEN:
        return replace(record, state=ExportState.ELIGIBLE) if triggered else record
    if triggered:
        return record  # eligible stays eligible, failed keeps its retry schedule
    return replace(record, state=ExportState.SEEN, next_retry_at=None)


def succeeded(record: ExportRecord, pos_ref: str, at: datetime) -> ExportRecord:
    """The POS accepted the document (or already had it under the idempotency key).

    Repeating the success with the same `pos_ref` is harmless (a crash
    between writing and recording replays it); another `pos_ref` for an
    exported order would mean a second document and is refused.
    """
    if record.state is ExportState.EXPORTED and record.pos_ref == pos_ref:
        return record
    allowed = (ExportState.ELIGIBLE, ExportState.FAILED)
    if record.state not in allowed:
        raise _illegal(record, "mark as exported", allowed)
    if not pos_ref:
        raise ValueError("an exported order needs the POS document reference")
    return replace(
        record,
        state=ExportState.EXPORTED,
        pos_ref=pos_ref,
        exported_at=at,
        next_retry_at=None,
        last_error=None,
    )


def failed(record: ExportRecord, error: str, at: datetime, policy: BackoffPolicy) -> ExportRecord:
    """An export attempt failed: count it and schedule the next one, or park it."""
    allowed = (ExportState.ELIGIBLE, ExportState.FAILED)
    if record.state not in allowed:
        raise _illegal(record, "record a failure for", allowed)
    attempts = record.attempts + 1
    next_retry = None if attempts >= policy.max_attempts else at + policy.delay(attempts)
    return replace(
        record,
        state=ExportState.FAILED,
        attempts=attempts,
        next_retry_at=next_retry,
        last_error=error,
    )


def due(record: ExportRecord, now: datetime) -> bool:
    """Whether the exporter should try this order now."""
    if record.state is ExportState.ELIGIBLE:
        return True
    return (
        record.state is ExportState.FAILED
        and record.next_retry_at is not None
        and record.next_retry_at <= now
    )


def retry_now(record: ExportRecord) -> ExportRecord:
    """A manual retry: eligible again at once, attempts and last error kept for the record."""
    allowed = (ExportState.FAILED,)
    if record.state not in allowed:
        raise _illegal(record, "retry", allowed)
    return replace(record, state=ExportState.ELIGIBLE, next_retry_at=None)


def skip(record: ExportRecord, reason: str) -> ExportRecord:
    """Never export this order (a human decided, or it can never be exported)."""
    allowed = (ExportState.SEEN, ExportState.ELIGIBLE, ExportState.FAILED)
    if record.state not in allowed:
        raise _illegal(record, "skip", allowed)
    if not reason.strip():
        raise ValueError("skipping an export needs a reason to show on the dashboard")
    return replace(record, state=ExportState.SKIPPED, skip_reason=reason, next_retry_at=None)


def unskip(record: ExportRecord) -> ExportRecord:
    """A human wants a skipped order exported after all: ``seen`` again, reason dropped.

    The next `observe` makes it ``eligible`` once its status triggers export.
    """
    allowed = (ExportState.SKIPPED,)
    if record.state not in allowed:
        raise _illegal(record, "unskip", allowed)
    return replace(record, state=ExportState.SEEN, skip_reason=None, next_retry_at=None)


def after_export_change(record: ExportRecord, order_status: str, edited: bool) -> AfterExport:
    """Judge a change to an already exported order.

    A refund or cancellation needs a credit document in the POS (the record
    stays exported).  Any other edit (lines, totals, address) cannot be
    re-exported automatically and puts the record under ``review``.
    """
    allowed = (ExportState.EXPORTED, ExportState.REVIEW)
    if record.state not in allowed:
        raise _illegal(record, "judge a post-export change of", allowed)
    if order_status in CREDIT_STATUSES:
        return AfterExport(record, credit_needed=True)
    if edited:
        return AfterExport(replace(record, state=ExportState.REVIEW), credit_needed=False)
    return AfterExport(record, credit_needed=False)


def resolve_review(record: ExportRecord) -> ExportRecord:
    """A human has reconciled the edited order in the POS."""
    allowed = (ExportState.REVIEW,)
    if record.state not in allowed:
        raise _illegal(record, "resolve the review of", allowed)
    return replace(record, state=ExportState.EXPORTED)
