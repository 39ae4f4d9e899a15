"""The incremental cursor: closed start, boundary dedup, and a gap-free paged sweep."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storebridge.domain.cursor import (
    Cursor,
    PageQuery,
    Record,
    Sweep,
    advance,
    query_from,
    seal_past,
)

T0 = datetime(2024, 6, 1, 12, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_new_cursor_reads_from_the_beginning() -> None:
    assert query_from(Cursor()) is None


def test_the_query_starts_one_second_before_the_cursor_because_modified_after_is_strict() -> None:
    assert query_from(Cursor(at(10), frozenset({1}))) == at(9)


def test_advance_moves_to_the_newest_time_and_remembers_the_ids_seen_there() -> None:
    cursor, fresh = advance(Cursor(), [(1, at(5)), (2, at(7)), (3, at(7))])
    assert fresh == [(1, at(5)), (2, at(7)), (3, at(7))]
    assert cursor == Cursor(at(7), frozenset({2, 3}))


def test_records_already_delivered_at_the_boundary_or_before_it_are_dropped() -> None:
    cursor = Cursor(at(7), frozenset({2, 3}))
    new, fresh = advance(cursor, [(1, at(5)), (2, at(7)), (4, at(7)), (3, at(8))])
    assert fresh == [(4, at(7)), (3, at(8))]
    assert new == Cursor(at(8), frozenset({3}))


def test_late_records_in_the_cursors_second_are_added_to_the_boundary() -> None:
    new, fresh = advance(Cursor(at(7), frozenset({2})), [(2, at(7)), (9, at(7))])
    assert fresh == [(9, at(7))]
    assert new == Cursor(at(7), frozenset({2, 9}))


def test_a_page_with_nothing_fresh_leaves_the_cursor_alone() -> None:
    cursor = Cursor(at(7), frozenset({2}))
    assert advance(cursor, [(2, at(7)), (1, at(3))]) == (cursor, [])


def test_a_record_repeated_within_a_page_is_delivered_once() -> None:
    assert advance(Cursor(), [(1, at(1)), (1, at(1))])[1] == [(1, at(1))]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        advance(Cursor(), [(1, datetime(2024, 1, 1))])
    with pytest.raises(ValueError, match="timezone-aware"):
        Cursor(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="boundary"):
        Cursor(None, frozenset({1}))


def test_a_sweep_drains_a_second_holding_more_than_a_page_of_records() -> None:
    server = {1: 5, 2: 5, 3: 5, 4: 5, 5: 9}
    sweep = Sweep(Cursor(), per_page=2)
    first = sweep.receive(serve(server, sweep.query()))
    assert first.fresh == [(1, at(5)), (2, at(5))]
    # A full page of one second: re-reading it from its start would repeat it, so drain it.
    assert first.sweep.phase == "drain"
    assert first.sweep.query() == PageQuery(at(4), at(6), frozenset({1, 2}), 2)
    delivered = list(first.fresh)
    step = first
    while not step.done:
        step = step.sweep.receive(serve(server, step.sweep.query()))
        delivered += step.fresh
    assert sorted(delivered) == [(1, at(5)), (2, at(5)), (3, at(5)), (4, at(5)), (5, at(9))]


def serve(
    server: dict[int, int], query: PageQuery, ties: random.Random | None = None
) -> list[Record]:
    """A WooCommerce list: strict date bounds, exclude, ordered by modified, page 1.

    Ties of `modified` come in id order, or shuffled by `ties` (a new order per
    request, as WooCommerce, which breaks no tie, may answer).
    """
    rows = sorted(
        (modified, ties.random() if ties else record_id, record_id)
        for record_id, modified in server.items()
        if (query.modified_after is None or at(modified) > query.modified_after)
        and (query.modified_before is None or at(modified) < query.modified_before)
        and record_id not in query.exclude
    )
    return [(record_id, at(modified)) for modified, _, record_id in rows[: query.per_page]]


@dataclass
class Store:
    clock: int
    records: dict[int, int]
    versions: set[tuple[int, int]] = field(default_factory=set)

    def modify(self, record_id: int, tick: int) -> None:
        self.clock += tick
        self.records[record_id] = self.clock


# Few ids and mostly same-second changes: the hard cases are busy seconds.
modifications = st.lists(st.tuples(st.integers(0, 5), st.sampled_from([0, 0, 1, 2])), max_size=3)
restarts = st.sampled_from([False, False, False, True])
#: The seal margin of the sweep's horizon (None: the server sends no clock, nothing is sealed).
margins = st.sampled_from([None, 0, 1, 2])


@settings(max_examples=200, deadline=None)
@example(  # a record joins a drained second, then the clock moves on (the "seal" case)
    initial={0: 3, 1: 3},
    schedule=[([], False)] * 4 + [([(2, 0), (3, 1)], False)],
    per_page=1,
    margin=None,
    ties=random.Random(0),
)
@example(  # a record delivered below the horizon is modified again while the sweep runs
    initial={0: 2, 1: 2, 2: 3, 3: 3},
    schedule=[([], False), ([(0, 0), (4, 2)], False)],
    per_page=1,
    margin=0,
    ties=random.Random(0),
)
@given(
    initial=st.dictionaries(st.integers(0, 5), st.integers(2, 3), max_size=6),
    schedule=st.lists(st.tuples(modifications, restarts), max_size=40),
    per_page=st.integers(1, 3),
    margin=margins,
    ties=st.randoms(use_true_random=False),
)
def test_every_version_is_delivered_once_whatever_the_interleaving_of_changes_and_pages(
    initial: dict[int, int],
    schedule: list[tuple[list[tuple[int, int]], bool]],
    per_page: int,
    margin: int | None,
    ties: random.Random,
) -> None:
    store = Store(max(initial.values(), default=0), dict(initial))
    delivered: list[Record] = []
    sweep = Sweep(Cursor(), per_page)
    first_page = True  # of a run: its answer tells the server's clock (the horizon)

    def step_once(sweep: Sweep) -> tuple[Sweep, bool]:
        nonlocal first_page
        step = sweep.receive(serve(store.records, sweep.query(), ties))
        if first_page and margin is not None:
            # Writes are instant here, so a margin of 0 is enough for the model.
            step = replace(step, sweep=step.sweep.sealed_before(at(store.clock - margin)))
        first_page = False
        delivered.extend(step.fresh)
        # The cursor's promise, checked after every page: each current version
        # before its value, or at its value with a boundary id, was delivered.
        cursor = step.sweep.cursor
        if cursor.value is not None:
            for record_id, modified in store.records.items():
                when = at(modified)
                if when < cursor.value or (
                    when == cursor.value and record_id in cursor.boundary_ids
                ):
                    assert (record_id, when) in delivered, (
                        "the cursor passed an undelivered version"
                    )
        return step.sweep, step.done

    for changes, restart in schedule:
        for record_id, tick in changes:
            store.modify(record_id, tick)
        sweep, done = step_once(sweep)
        if done or restart:
            # A new run (or a crash and restart) resumes from the persisted cursor only.
            sweep = Sweep(sweep.cursor, per_page)
            first_page = True
    # Quiet store: one more run must catch up completely.
    for _ in range(500):
        sweep, done = step_once(sweep)
        if done:
            break
    else:
        pytest.fail("the sweep did not catch up with a quiet store")

    assert len(delivered) == len(set(delivered)), "a version was delivered twice"
    final_versions = {(record_id, at(modified)) for record_id, modified in store.records.items()}
    assert final_versions <= set(delivered), "a current version was never delivered"


def test_a_record_joining_a_drained_second_before_the_clock_moves_on_is_not_lost() -> None:
    server = {0: 3, 1: 3}
    sweep = Sweep(Cursor(), per_page=1)
    delivered: list[Record] = []
    for _ in range(2):  # page -> drain, drain
        step = sweep.receive(serve(server, sweep.query()))
        delivered += step.fresh
        sweep = step.sweep
    step = sweep.receive(serve(server, sweep.query()))  # drain finds nothing more
    assert step.sweep.phase == "beyond"
    sweep = step.sweep
    server[2] = 3  # joins second 3 while the clock is still there...
    server[3] = 4  # ...then the clock moves on
    while True:
        step = sweep.receive(serve(server, sweep.query()))
        delivered += step.fresh
        sweep = step.sweep
        if step.done:
            break
    assert sorted(delivered) == [(0, at(3)), (1, at(3)), (2, at(3)), (3, at(4))]


MARGIN = timedelta(seconds=10)


def test_a_cursor_is_sealed_past_its_second_only_once_the_server_clock_left_it_by_the_margin() -> (
    None
):
    crowded = Cursor(at(0), frozenset({1, 2, 3}))
    assert seal_past(crowded, None, MARGIN) == crowded  # the server did not say
    assert seal_past(crowded, at(10), MARGIN) == crowded  # within the second + margin
    assert seal_past(crowded, at(11), MARGIN) == Cursor(at(1))
    assert query_from(Cursor(at(1))) == at(0)  # strict: the sealed second is not read again
    assert seal_past(Cursor(), at(99), MARGIN) == Cursor()
    assert seal_past(Cursor(at(0)), at(99), MARGIN) == Cursor(at(0))  # nothing delivered there
    with pytest.raises(ValueError, match="timezone-aware"):
        seal_past(crowded, datetime(2024, 6, 1, 13), MARGIN)


@given(
    ids=st.frozensets(st.integers(1, 50), min_size=1),
    second=st.integers(0, 100),
    server=st.integers(0, 200),
)
def test_a_sealed_cursor_never_moves_back_and_never_skips_a_later_second(
    ids: frozenset[int], second: int, server: int
) -> None:
    cursor = Cursor(at(second), ids)
    sealed = seal_past(cursor, at(server), MARGIN)
    assert sealed in (cursor, Cursor(at(second + 1)))
    if sealed != cursor:
        assert at(server) >= at(second + 1) + MARGIN


def test_below_the_horizon_a_page_holds_only_records_never_delivered() -> None:
    # 250 records in second 5 (one batch of writes), 50 in second 6; the clock is at 30.
    server = {i: 5 for i in range(250)} | {i: 6 for i in range(250, 300)}
    ties = random.Random(7)
    sweep, requests, delivered = Sweep(Cursor(), per_page=100), 0, []
    while True:
        step = sweep.receive(serve(server, sweep.query(), ties))
        requests += 1
        delivered += step.fresh
        sweep = step.sweep.sealed_before(at(20)) if requests == 1 else step.sweep
        if step.done:
            break
    assert sorted(delivered) == sorted((i, at(s)) for i, s in server.items())
    # Three full pages, one that finds nothing more below the horizon, one beyond it.
    assert requests == 5
    assert sweep.cursor == Cursor(at(20))


def test_an_id_a_previous_run_delivered_is_excluded_only_within_its_own_second() -> None:
    # 1 and 2 were delivered at second 5 by an earlier run (1 was modified again at 8
    # since), 4 by this sweep.
    earlier = Cursor(at(5), frozenset({1, 2, 4}))
    sweep = Sweep(earlier, ours=frozenset({4})).sealed_before(at(20))
    assert sweep.query() == PageQuery(at(4), at(20), frozenset({4}), 100)
    step = sweep.receive(serve({1: 8, 2: 5, 3: 5, 4: 5}, sweep.query()))
    assert step.fresh == [(3, at(5)), (1, at(8))]
    assert (step.sweep.cursor, step.done) == (Cursor(at(20)), False)
    # With none of its own ids to exclude, the read needs no bound: a short page ends it.
    alone = Sweep(earlier).sealed_before(at(20))
    assert alone.query() == PageQuery(at(4), None, frozenset(), 100)
    with pytest.raises(ValueError, match="own ids"):
        Sweep(earlier, ours=frozenset({9}))
