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
A full page whose newest second already holds half a page of delivered
records drains that second at once: re-reading it from its start would
return mostly the same records, in a new order each time.

**The sealed horizon.**  Re-reading the cursor's second costs a page slot
per record already delivered there, and a second holding hundreds of
records (one batch of writes) costs several requests.  Once the caller
knows the server's clock (`Sweep.sealed_before`), seconds older than
``horizon`` (the clock at the sweep's first answer, minus a margin in which
every write commits) are *sealed*: no record can be stamped in them any
more, and a record the sweep delivered that is modified again gets a
stamp at or after the horizon.  Below the horizon the walk is therefore
``modified_after=<cursor - 1 s>&modified_before=<horizon>&exclude=<ids this
sweep delivered at the cursor's second>``: every page holds only records
never delivered, so N records cost about N / per_page requests.  Only ids
*this sweep* delivered may be excluded that way (an id a previous run
delivered may since have been modified to a later, still sealed second: it
is re-read, never excluded outside its own second).  A page that is not
full proves everything before the horizon delivered, and the cursor jumps
to the horizon; from there on (the newest, unsealed seconds) the walk
above applies.  With no id of its own to exclude, a read below the horizon
needs no bound either, and a short page ends the sweep as usual (an idle
check stays one request).

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

    Phases: ``normal`` reads from the cursor (below the `horizon`, minus
    the ids this sweep delivered at the cursor's second); ``drain`` reads
    the cursor's second excluding delivered ids; ``beyond`` asks for
    anything newer (only as proof that the second is over; those records
    are read again); ``seal`` drains the second one last time, then the
    cursor moves to the next second.  A drained second below the horizon
    needs neither ``beyond`` nor ``seal``.

    `horizon`: seconds before it are sealed (see the module docstring), None
    until the caller knows the server's clock.  `ours`: the boundary ids
    this sweep delivered (a subset of ``cursor.boundary_ids``).
    """

    cursor: Cursor = Cursor()
    per_page: int = 100
    phase: Phase = "normal"
    horizon: datetime | None = None
    ours: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.per_page < 1:
            raise ValueError("per_page must be at least 1")
        if self.phase != "normal" and self.cursor.value is None:
            raise ValueError(f"phase {self.phase!r} needs a cursor with a value")
        if self.horizon is not None and self.horizon.tzinfo is None:
            raise ValueError("the horizon must be timezone-aware (UTC)")
        if not self.ours <= self.cursor.boundary_ids:
            raise ValueError("the sweep's own ids must be boundary ids of its cursor")

    def sealed_before(self, horizon: datetime | None) -> Sweep:
        """This sweep, told that no record can be stamped before `horizon` any more.

        Call it once, on the sweep that `receive` returned for the first
        answer, with the server's clock at that answer minus the margin in
        which a write commits (None: the server did not say; nothing is
        sealed).  A later clock would be wrong: records delivered before it
        could have been modified again below it.  (On the first sweep it
        would be wrong too: `receive` must judge the answer to the query
        that was sent.)
        """
        if horizon is None:
            return self
        sealed = Sweep(
            self.cursor, self.per_page, self.phase, horizon.replace(microsecond=0), self.ours
        )
        if (
            sealed.phase == "drain"
            and sealed._below_horizon
            and self.ours == self.cursor.boundary_ids
        ):
            # Below the horizon the normal read is this drain, widened up to the horizon.
            return Sweep(sealed.cursor, sealed.per_page, "normal", sealed.horizon, sealed.ours)
        return sealed

    @property
    def _below_horizon(self) -> bool:
        value = self.cursor.value
        return self.horizon is not None and value is not None and value < self.horizon

    @property
    def _bounded(self) -> bool:
        """The normal read excludes this sweep's ids, so it must stop at the horizon (without
        ids to exclude it needs no bound, and a short page then proves the sweep done)."""
        return self._below_horizon and bool(self.ours)

    def query(self) -> PageQuery:
        """The next request to send."""
        value = self.cursor.value
        if self.phase == "normal" or value is None:
            if self._bounded:
                return PageQuery(query_from(self.cursor), self.horizon, self.ours, self.per_page)
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
                if self._bounded:
                    # Everything stamped before the horizon is delivered, and nothing
                    # can be stamped there any more: on to the unsealed seconds.
                    assert self.horizon is not None
                    return SweepStep(self._jump(self.horizon), fresh, done=False)
                return SweepStep(self._to("normal", cursor), fresh, done=True)
            if not fresh or (
                not self._below_horizon and 2 * len(cursor.boundary_ids) >= self.per_page
            ):
                # The newest second holds at least half a page already delivered (a whole
                # page: nothing fresh); re-reading it from its start would mostly repeat.
                return SweepStep(self._to("drain", cursor, fresh), fresh, done=False)
            return SweepStep(self._to("normal", cursor, fresh), fresh, done=False)
        more = full and bool(fresh)
        value = cursor.value
        assert value is not None
        if more:
            return SweepStep(self._to(self.phase, cursor, fresh), fresh, done=False)
        if self.phase == "seal" or (self.horizon is not None and value < self.horizon):
            # Drained, and no record can join the second any more: the seal
            # phase knows the server clock left it, a sealed second is older
            # than the horizon.
            return SweepStep(self._jump(value + _SECOND), fresh, done=False)
        return SweepStep(self._to("beyond", cursor, fresh), fresh, done=False)

    def _to(self, phase: Phase, cursor: Cursor, fresh: Sequence[Record] = ()) -> Sweep:
        if cursor.value == self.cursor.value:
            ours = self.ours | {record_id for record_id, at in fresh if at == cursor.value}
        else:
            ours = cursor.boundary_ids  # a new second: every id there is this sweep's
        return Sweep(cursor, self.per_page, phase, self.horizon, ours)

    def _jump(self, value: datetime) -> Sweep:
        """The cursor moved to `value` with everything before it delivered."""
        return Sweep(Cursor(value), self.per_page, "normal", self.horizon)
