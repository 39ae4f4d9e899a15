"""The AIMD batch-concurrency controller, driven by a hand-moved clock (no I/O, no waiting)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.woocommerce.concurrency import AimdPolicy, ConcurrencyController, Ticket

KIND = "/products/batch update"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def controller(max_concurrency: int = 8, **policy: float) -> tuple[ConcurrencyController, Clock]:
    clock = Clock()
    return ConcurrencyController(max_concurrency, AimdPolicy(**policy), clock), clock  # type: ignore[arg-type]


def start_all(ctl: ConcurrencyController) -> list[Ticket]:
    """Admit as many batches as the limit allows, as a sync with work queued does."""
    tickets = []
    while (ticket := ctl.try_start()) is not None:
        tickets.append(ticket)
    return tickets


def wave(
    ctl: ConcurrencyController, clock: Clock, seconds_per_item: float, items: int = 100
) -> None:
    """One round: fill the limit, let every batch take `seconds_per_item` per item."""
    tickets = start_all(ctl)
    clock.now += seconds_per_item * items
    for ticket in tickets:
        ctl.succeeded(ticket, items=items, kind=KIND)


def alone(ctl: ConcurrencyController, clock: Clock, seconds: float) -> None:
    """One batch of 100 sent on its own, taking `seconds`."""
    ticket = ctl.try_start()
    assert ticket is not None
    clock.now += seconds
    ctl.succeeded(ticket, items=100, kind=KIND)


def refused(ctl: ConcurrencyController) -> None:
    """One batch request that met a 429, a 5xx or a timeout."""
    ticket = ctl.try_start()
    assert ticket is not None
    ctl.overloaded(ticket.started_at)
    ctl.release(ticket)


def busy_wave(ctl: ConcurrencyController, clock: Clock, alone_per_item: float) -> None:
    """One round on a store whose throughput is fixed: n batches at once each take n times
    as long as one alone (latency rises with concurrency; the work done per second does not)."""
    tickets = start_all(ctl)
    clock.now += alone_per_item * 100 * len(tickets)
    for ticket in tickets:
        ctl.succeeded(ticket, items=100, kind=KIND)


def test_it_starts_at_half_the_maximum_at_most_four_or_at_the_policys_start() -> None:
    assert controller(8)[0].limit == 4
    assert controller(4)[0].limit == 2
    assert controller(64)[0].limit == 4
    assert controller(1)[0].limit == 1
    assert controller(8, start=5)[0].limit == 5
    assert controller(3, start=5)[0].limit == 3


def test_no_more_batches_than_the_limit_are_admitted() -> None:
    ctl, _ = controller(8, start=2)

    tickets = start_all(ctl)

    assert len(tickets) == 2
    assert ctl.in_flight == 2
    ctl.release(tickets[0])
    assert ctl.try_start() is not None
    assert ctl.try_start() is None


def test_slow_start_raises_by_one_per_good_batch_so_each_round_doubles_the_limit() -> None:
    ctl, clock = controller(64, start=2)

    limits = []
    for _ in range(4):
        wave(ctl, clock, 0.025)
        limits.append(ctl.limit)

    assert limits == [4, 8, 16, 32]
    assert ctl.level().backoffs == 0


def test_latency_rising_in_proportion_to_concurrency_is_not_overload() -> None:
    # Each round's batches take twice as long as the last round's (the store's workers are
    # shared by twice as many), but the store gets as much done per second: keep climbing.
    ctl, clock = controller(16, start=2)

    limits = []
    for _ in range(3):
        busy_wave(ctl, clock, 0.025)
        limits.append(ctl.limit)

    assert limits == [4, 8, 16]
    assert ctl.level().backoffs == 0


def test_throughput_falling_as_concurrency_rises_backs_off() -> None:
    ctl, clock = controller(16, start=4, backoff=0.5)
    busy_wave(ctl, clock, 0.025)  # 4 at once: the reference; slow start raises to 8
    assert ctl.limit == 8

    tickets = start_all(ctl)  # 8 at once take 5x as long as 4 did: the store got slower
    clock.now += 0.025 * 100 * 4 * 5
    for ticket in tickets:
        ctl.succeeded(ticket, items=100, kind=KIND)

    assert ctl.limit == 4  # halved once, though all eight said so: one congested moment
    assert ctl.level().backoffs == 1


def test_after_a_backoff_the_limit_rises_one_step_per_round() -> None:
    ctl, clock = controller(16, start=8, backoff=0.5)
    refused(ctl)
    assert ctl.limit == 4

    limits = []
    for _ in range(3):
        clock.now += 1
        wave(ctl, clock, 0.025)
        limits.append(ctl.limit)

    assert limits == [4, 5, 6]  # 4 + 1/4 + 1/4.25 + ... : a step per round, not a doubling


def test_slow_start_stops_at_max_concurrency() -> None:
    ctl, clock = controller(6)

    for _ in range(3):
        wave(ctl, clock, 0.025)

    assert ctl.limit == 6


def test_it_never_rises_above_max_concurrency() -> None:
    ctl, clock = controller(3)

    for _ in range(6):
        wave(ctl, clock, 0.025)

    assert ctl.limit == 3
    assert ctl.level().peak == 3
    assert ctl.level().maximum == 3


def test_a_limit_the_caller_does_not_use_is_not_raised() -> None:
    ctl, clock = controller(8, start=2)

    for _ in range(5):  # one batch at a time while the limit allows two
        alone(ctl, clock, 2.5)

    assert ctl.limit == 2


def test_a_batch_is_judged_at_the_concurrency_it_ran_at_on_average() -> None:
    # The first batch starts alone; three more join halfway: it ran at 2.5 on average.
    ctl, clock = controller(8, start=4)
    first = ctl.try_start()
    assert first is not None
    clock.now += 1.0
    others = [ctl.try_start() for _ in range(3)]
    clock.now += 1.0

    ctl.succeeded(first, items=100, kind=KIND)

    # Not "alone": its 2 s are not taken as the store's unloaded time, and with 2.5 at once
    # on average (below the 4 allowed) the limit was not in use: no raise.
    assert ctl.limit == 4
    later = [t for t in others if t is not None]
    clock.now += 1.0
    for ticket in later:  # ran at 3.5 on average (3 of them, the first for a while): 2 s each
        ctl.succeeded(ticket, items=100, kind=KIND)
    assert ctl.level().backoffs == 0
    assert ctl.limit == 7  # each ran with the limit in use: slow start added one per batch


def test_rising_latency_at_the_same_concurrency_backs_off_multiplicatively() -> None:
    ctl, clock = controller(16, start=10, backoff=0.5, slow_start=False)
    wave(ctl, clock, 0.025)  # sets the reference; adds about one step
    assert ctl.limit == 10

    wave(ctl, clock, 0.025 * 2.5)  # 2.5x slower per item at the same level: beyond 2x

    assert ctl.limit == 5
    assert ctl.level().backoffs == 1


def test_latency_within_the_tolerance_still_raises() -> None:
    ctl, clock = controller(16, start=4)
    wave(ctl, clock, 0.025)
    assert ctl.limit == 8

    wave(ctl, clock, 0.025 * 2 * 1.8)  # twice as many at once, and 1.8x slower still: within 2x

    assert ctl.limit == 16
    assert ctl.level().backoffs == 0


def test_resume_starts_where_the_last_run_ended_within_the_maximum() -> None:
    ctl, clock = controller(8)
    ctl.resume(6)
    assert ctl.limit == 6
    assert ctl.level().peak == 6

    wave(ctl, clock, 0.025)  # slow start is still on: the level is no ceiling
    assert ctl.limit == 8

    capped, _ = controller(8)
    capped.resume(20)
    assert capped.limit == 8
    floored, _ = controller(8)
    floored.resume(0)
    assert floored.limit == 1


def test_resume_comes_before_the_first_batch() -> None:
    ctl, _ = controller(8)
    assert ctl.try_start() is not None

    with pytest.raises(RuntimeError, match="before the first batch"):
        ctl.resume(6)


@pytest.mark.parametrize("status", ["429", "503", "timeout"])
def test_an_overload_signal_backs_off(status: str) -> None:
    del status  # the session maps each of these to `overloaded`; the controller sees one signal
    ctl, _ = controller(16, start=10, backoff=0.7)

    refused(ctl)

    assert ctl.limit == 7


def test_one_congested_moment_backs_off_once() -> None:
    ctl, clock = controller(16, start=8, backoff=0.5)
    tickets = start_all(ctl)
    clock.now += 1

    for ticket in tickets:  # all eight fail together: they were sent under the old limit
        ctl.overloaded(ticket.started_at)
        ctl.release(ticket)

    assert ctl.limit == 4
    assert ctl.level().backoffs == 1


def test_a_request_started_after_a_backoff_can_back_off_again() -> None:
    ctl, clock = controller(16, start=8, backoff=0.5)
    first = ctl.try_start()
    assert first is not None
    clock.now += 1
    ctl.overloaded(first.started_at)
    ctl.release(first)
    clock.now += 1
    second = ctl.try_start()
    assert second is not None

    clock.now += 1
    ctl.overloaded(second.started_at)

    assert ctl.limit == 2


def test_it_never_goes_below_one() -> None:
    ctl, clock = controller(4, start=1)

    for _ in range(5):
        clock.now += 1
        ctl.overloaded(clock.now)

    assert ctl.limit == 1


def test_retry_after_pauses_new_requests_until_it_has_passed() -> None:
    ctl, clock = controller(8)

    ctl.overloaded(clock.now, retry_after=7.0)

    assert ctl.pause_remaining() == pytest.approx(7.0)
    assert ctl.paused_until == pytest.approx(107.0)
    clock.now += 5
    assert ctl.pause_remaining() == pytest.approx(2.0)
    clock.now += 2
    assert ctl.pause_remaining() == 0.0


def test_a_shorter_retry_after_does_not_shorten_a_running_pause() -> None:
    ctl, clock = controller(8)

    ctl.overloaded(clock.now, retry_after=30.0)
    ctl.overloaded(clock.now, retry_after=2.0)

    assert ctl.pause_remaining() == pytest.approx(30.0)


def test_a_huge_retry_after_is_capped() -> None:
    ctl, _ = controller(8, retry_after_cap=60.0)

    ctl.overloaded(ctl.clock(), retry_after=3_600.0)

    assert ctl.pause_remaining() == pytest.approx(60.0)


def test_a_tail_chunk_moves_nothing() -> None:
    ctl, clock = controller(8, start=2)
    wave(ctl, clock, 0.025)
    assert ctl.limit == 4

    ticket = ctl.try_start()
    assert ticket is not None
    clock.now += 1.0  # 7 items in 1 s: 0.14 s per item, but most of it is the request's own cost
    ctl.succeeded(ticket, items=7, kind=KIND)

    assert ctl.limit == 4
    assert ctl.level().backoffs == 0


def test_creates_and_updates_are_judged_against_their_own_latency() -> None:
    ctl, clock = controller(8, start=2)
    wave(ctl, clock, 0.025)  # updates: 25 ms per item, 2 at once

    tickets = start_all(ctl)  # 4 creates at once, 150 ms per item: slow for an update,
    clock.now += 15.0  # not for a create (judged against updates it would be overload)
    for ticket in tickets:
        ctl.succeeded(ticket, items=100, kind="/products/batch create")

    assert ctl.level().backoffs == 0
    assert ctl.limit == 8


def test_a_batch_that_ran_alone_resets_the_reference() -> None:
    ctl, clock = controller(8, start=1)
    for seconds in (2.5, 10.0, 10.0):  # the store became 4x slower for everyone
        alone(ctl, clock, seconds)

    # The first slow one backs off; the next is judged against the new normal.
    assert ctl.level().backoffs == 1
    assert ctl.limit == 2


def test_policy_values_are_checked() -> None:
    with pytest.raises(ValueError, match="backoff"):
        AimdPolicy(backoff=1.0)
    with pytest.raises(ValueError, match="start"):
        AimdPolicy(start=0)
    with pytest.raises(ValueError, match="tolerance"):
        AimdPolicy(latency_tolerance=1.0)
    with pytest.raises(ValueError, match="max_concurrency"):
        ConcurrencyController(0)


_events = st.lists(
    st.tuples(
        st.sampled_from(["start", "ok", "slow", "overload", "retry_after", "release", "tick"]),
        st.floats(min_value=0.0, max_value=50.0),
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(max_concurrency=st.integers(min_value=1, max_value=64), events=_events)
def test_the_limit_stays_between_one_and_the_maximum_whatever_happens(
    max_concurrency: int, events: list[tuple[str, float]]
) -> None:
    ctl, clock = controller(max_concurrency)
    running: list[Ticket] = []
    for event, value in events:
        if event == "start":
            ticket = ctl.try_start()
            if ticket is not None:
                running.append(ticket)
        elif event == "tick":
            clock.now += value
        elif running and event in ("ok", "slow"):
            clock.now += value if event == "ok" else value * 10
            ctl.succeeded(running.pop(0), items=1 + int(value), kind=KIND)
        elif running and event == "release":
            ctl.release(running.pop(0))
        elif event in ("overload", "retry_after"):
            started = running[0].started_at if running else clock.now
            ctl.overloaded(started, retry_after=value if event == "retry_after" else None)
        level = ctl.level()
        assert 1 <= level.current <= max_concurrency
        assert level.current <= level.peak <= max_concurrency
        assert ctl.in_flight == len(running) <= max_concurrency
