"""Incremental reads of WooCommerce lists by modification time, without gaps or repeats.

WooCommerce dates have one-second resolution and its ``modified_after`` /
``modified_before`` filters are strict (woocommerce-rest-api.md §2.5, §6.4).
Several orders are often modified in the same second, and more can be
modified in that second after we read it.  So the cursor is a *closed* start:

* `Cursor(value, boundary_ids)`: everything modified before ``value`` has
  been delivered, and so have the ids in ``boundary_ids`` at ``value``;
* `query_from(cursor)` is ``value - 1 s``: the strict filter then returns the
  records *at* ``value`` again, so late arrivals in that second are seen;
* `advance(cursor, records)` drops what was already delivered (older than
  ``value``, or at ``value`` with a boundary id) and moves the cursor.

Paging must not use offsets while data changes (a record modified during the
walk moves to the end and shifts the rest, so one is skipped).  `Sweep`
drives a correct walk: every request starts at the cursor with offset 0
(keyset paging), ordered by ``modified`` ascending.  WooCommerce breaks no
tie of ``modified`` (records of one second come back in any order, a
different one per request), and the walk does not need it to: a page never
ends inside a second the next request skips, because the next request
starts at that second again and drops what was delivered.  One case
needs more: when a whole page holds records already delivered in the
cursor's second (more than a page of orders modified in one second), the
sweep *drains* that second with ``exclude=`` the delivered ids, then asks for
anything newer.  Seeing a newer record proves the server clock has left that
second, so a last drain catches late arrivals and the cursor moves past it.

The engine persists `sweep.cursor` with the data it covers (same
transaction), and starts each run with ``Sweep(cursor)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "Cursor",
    "PageQuery",
    "Record",
    "Sweep",
    "SweepStep",
    "advance",
    "query_from",
    "seal_past",
]

#: (id, modified), with `modified` an aware datetime in whole seconds (date_modified_gmt).
Record = tuple[int, datetime]

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far an incremental read has got (None: from the beginning)."""

    value: datetime | None = None
    boundary_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.value is None:
            if self.boundary_ids:
                raise ValueError("a cursor without a value cannot have boundary ids")
        elif self.value.tzinfo is None:
            raise ValueError("cursor values must be timezone-aware (UTC)")


def query_from(cursor: Cursor) -> datetime | None:
    """The strict ``modified_after`` to send: one second before the cursor (closed start)."""
    return None if cursor.value is None else cursor.value - _SECOND


def advance(cursor: Cursor, records: Iterable[Record]) -> tuple[Cursor, list[Record]]:
    """Drop already-delivered records and move the cursor past the fresh ones.

    Records may come in any order.  The cursor only moves forward; it moves
    to the newest fresh modification time, remembering the ids seen there.
    Callers must pass records from a read that started at `query_from` with
    no gap (offset 0); `Sweep` guarantees that.

    Raises:
        ValueError: a naive `modified` datetime.
    """
    value = cursor.value
    fresh: list[Record] = []
    delivered: set[Record] = set()
    for record_id, modified in records:
        if modified.tzinfo is None:
            raise ValueError(f"record {record_id}: modified time must be timezone-aware (UTC)")
        if value is not None and (
            modified < value or (modified == value and record_id in cursor.boundary_ids)
        ):
            continue
        if (record_id, modified) in delivered:
            continue
        delivered.add((record_id, modified))
        fresh.append((record_id, modified))
    if not fresh:
        return cursor, fresh
    top = max(modified for _, modified in fresh)
    at_top = frozenset(record_id for record_id, modified in fresh if modified == top)
    if value is not None and top == value:
        return Cursor(value, cursor.boundary_ids | at_top), fresh
    return Cursor(top, at_top), fresh


def seal_past(cursor: Cursor, server_now: datetime | None, margin: timedelta) -> Cursor:
    """The cursor moved past its second once the server's clock has left it by `margin`.

    A sweep that ends while nothing newer than the cursor's second exists
    cannot move past that second (more records might still be stamped in
    it), so every later read starts by re-reading it: with 100 or more
    records there (one batch), three requests instead of one.  But when the
    server's own clock, read *before* a sweep that then ran to completion,
    was already `margin` past the second, every write stamped in it was
    committed before the sweep began and has been delivered: the cursor can
    move to the next second.  `server_now` is None when the server did not
    say (no ``Date`` header): the cursor stays.
    """
    if cursor.value is None or server_now is None or not cursor.boundary_ids:
        return cursor
    if server_now.tzinfo is None:
        raise ValueError("the server time must be timezone-aware (UTC)")
    if server_now < cursor.value + _SECOND + margin:
        return cursor
    return Cursor(cursor.value + _SECOND)


@dataclass(frozen=True, slots=True)
class PageQuery:
    """One list request: always page 1, ``orderby=modified&order=asc`` (ties in any order).

    Bounds are WooCommerce's strict ``modified_after``/``modified_before``,
    sent with ``dates_are_gmt=true``; `exclude` is the ``exclude`` id list.
    """

    modified_after: datetime | None
    modified_before: datetime | None
    exclude: frozenset[int]
    per_page: int


Phase = Literal["normal", "drain", "beyond", "seal"]


@dataclass(frozen=True, slots=True)
class SweepStep:
    """The sweep after one page, the records to process, and whether the read caught up."""

    sweep: Sweep
    fresh: list[Record]
    done: bool


@dataclass(frozen=True, slots=True)
class Sweep:
    """A gap-free, repeat-free incremental read, one page at a time.

    Loop: ``query = sweep.query()`` -> fetch -> ``step = sweep.receive(page)``
    -> process ``step.fresh`` and persist ``step.sweep.cursor`` -> stop when
    ``step.done``, else continue with ``step.sweep``.

    Phases: ``normal`` reads from the cursor; ``drain`` reads the cursor's
    second excluding delivered ids; ``beyond`` asks for anything newer (only
    as proof that the second is over; those records are read again);
    ``seal`` drains the second one last time, then the cursor moves to the
    next second.
    """

    cursor: Cursor = Cursor()
    per_page: int = 100
    phase: Phase = "normal"

    def __post_init__(self) -> None:
        if self.per_page < 1:
            raise ValueError("per_page must be at least 1")
        if self.phase != "normal" and self.cursor.value is None:
            raise ValueError(f"phase {self.phase!r} needs a cursor with a value")

    def query(self) -> PageQuery:
        """The next request to send."""
        value = self.cursor.value
        if self.phase == "normal" or value is None:
            return PageQuery(query_from(self.cursor), None, frozenset(), self.per_page)
        if self.phase == "beyond":
            return PageQuery(value, None, frozenset(), self.per_page)
        # drain / seal: only the cursor's second, minus what was delivered.
        return PageQuery(value - _SECOND, value + _SECOND, self.cursor.boundary_ids, self.per_page)

    def receive(self, page: Sequence[Record]) -> SweepStep:
        """Account for the answer to `query()`."""
        full = len(page) >= self.per_page
        if self.phase == "beyond":
            if not page:
                # Nothing newer yet: the second may still receive records. Stop here;
                # the next run drains it again.
                return SweepStep(self._to("normal", self.cursor), [], done=True)
            return SweepStep(self._to("seal", self.cursor), [], done=False)
        cursor, fresh = advance(self.cursor, page)
        if self.phase == "normal":
            if not full:
                return SweepStep(self._to("normal", cursor), fresh, done=True)
            if not fresh:
                # A full page of records already delivered in this second: drain it.
                return SweepStep(self._to("drain", cursor), fresh, done=False)
            return SweepStep(self._to("normal", cursor), fresh, done=False)
        more = full and bool(fresh)
        if self.phase == "drain":
            return SweepStep(self._to("drain" if more else "beyond", cursor), fresh, done=False)
        # seal: the server clock has passed the cursor's second, nothing can join it now.
        if more:
            return SweepStep(self._to("seal", cursor), fresh, done=False)
        assert cursor.value is not None
        return SweepStep(self._to("normal", Cursor(cursor.value + _SECOND)), fresh, done=False)

    def _to(self, phase: Phase, cursor: Cursor) -> Sweep:
        return Sweep(cursor, self.per_page, phase)
