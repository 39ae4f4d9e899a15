"""How many batch requests a store should get at once: an AIMD controller (pure, no I/O).

A WooCommerce store serves a batch of 100 items in seconds, with a handful of
PHP workers.  Sending batches one at a time leaves workers idle; sending more
than the store can work on only queues them (each batch then takes longer and
nothing is gained), and a host's rate limiter or a tired PHP pool answers
429 or 5xx.  The useful level differs per store and per hour, so the client
finds it while it works, the way TCP finds a path's window:

- it starts at half the store's `max_concurrency` (at most 4; `AimdPolicy.start`
  sets it), or where the store's last run ended (`resume`: the level is
  remembered per store, in the runs table);
- **slow start**: until the store first pushes back, each good batch that ran
  with the limit in use raises the limit by one, as each ack grows TCP's
  window: a round of n batches doubles it.  A first sync of a few thousand
  items is only tens of batches, so the climb must take a round or two, not
  most of the run (measured on a real store: one doubling per round reached
  4 of 8 in 10 batches, 1.45x the best bare-batch time);
- **additive increase**: after the first back-off each such batch adds
  `increase / limit`, one step per round;
- **multiplicative decrease**: a 429, a 5xx, a timeout or dropped connection,
  or a batch showing that the store's *throughput* fell, multiplies the limit
  by `backoff`;
- a `Retry-After` pauses every new request until it has passed;
- the limit stays within [1, `max_concurrency`] (the store's setting).

**Throughput, not raw latency.**  On a store whose workers are busy, a batch
sent beside n others takes about n times as long, while the store gets just
as much done per second: rising latency is the price of concurrency, not a
sign of overload.  So a batch is judged by the throughput it shows, its
average concurrency over its life divided by its latency per item, against
the best throughput seen for its kind of batch: a batch that shows less than
``1 / tolerance`` of it (the same work now takes `tolerance` times as long)
means more concurrency made the store slower, and the limit backs off.  A
batch sent below the best level is expected to be no slower per item than the
best one.  Creates and updates are compared apart (creates cost WooCommerce
about twice as much), and a short tail chunk (under half the largest batch of
its kind) says little about load and moves nothing.

A batch that ran alone resets its kind's reference, so a store that became
slower for everyone (a backup, another tenant) is not mistaken for overload
forever.  Only a sample from a request *started after the limit was last
lowered* lowers it again, so one congested moment (several batches failing
together) backs off once.  A limit the caller does not fill (the batch ran
with fewer beside it than the limit allowed) is not raised.

The controller only decides; `throttle.BatchGate` makes coroutines wait by
it.  Time comes from an injected clock, so tests drive it by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["AimdPolicy", "ConcurrencyController", "ConcurrencyLevel", "Ticket"]

#: The highest default start: beyond it slow start gets there within a round anyway.
_START_CAP = 4


@dataclass(frozen=True, slots=True)
class AimdPolicy:
    """The controller's constants.

    Attributes:
        start: the limit before anything is known (capped by max_concurrency); None:
            half of max_concurrency, between 1 and 4.
        increase: added per round (`increase / limit` per good batch) after slow start.
        slow_start: raise by one per good batch instead, until the first back-off.
        backoff: the factor applied to the limit on overload (0 < backoff < 1).
        latency_tolerance: a batch taking this multiple of the time per item its
            concurrency explains counts as overload (2.0: the store's throughput halved).
        latency_slack: seconds a batch must lose beyond that before it counts, so that
            jitter on a store answering in milliseconds is not read as load.
        retry_after_cap: the longest pause a `Retry-After` may impose, in seconds.
    """

    start: int | None = None
    increase: float = 1.0
    slow_start: bool = True
    backoff: float = 0.7
    latency_tolerance: float = 2.0
    latency_slack: float = 0.05
    retry_after_cap: float = 300.0

    def __post_init__(self) -> None:
        if self.start is not None and self.start < 1:
            raise ValueError(f"start must be at least 1, got {self.start}")
        if self.increase <= 0:
            raise ValueError(f"increase must be positive, got {self.increase}")
        if not 0 < self.backoff < 1:
            raise ValueError(f"backoff must be between 0 and 1, got {self.backoff}")
        if self.latency_tolerance <= 1:
            raise ValueError(f"latency_tolerance must exceed 1, got {self.latency_tolerance}")
        if self.retry_after_cap < 0 or self.latency_slack < 0:
            raise ValueError("retry_after_cap and latency_slack must not be negative")

    def start_for(self, max_concurrency: int) -> int:
        """The first limit for a store allowing `max_concurrency` batches at once."""
        start = self.start if self.start is not None else min(max_concurrency // 2, _START_CAP)
        return max(1, min(start, max_concurrency))


@dataclass(frozen=True, slots=True)
class Ticket:
    """One batch request admitted by the controller.

    Attributes:
        started_at: the clock when it was admitted.
        in_flight: batch requests running once it started, itself included.
        limit: the limit when it started.
        serial: how many requests the controller had admitted, this one included.
        load: the controller's running total of requests x seconds when it started
            (its average concurrency is the growth of that total over its life).
    """

    started_at: float
    in_flight: int
    limit: int
    serial: int = 0
    load: float = 0.0


@dataclass(frozen=True, slots=True)
class ConcurrencyLevel:
    """What the controller chose, for run reports and the dashboard.

    Attributes:
        current: the limit now.
        peak: the highest limit reached.
        maximum: the store's `max_concurrency`.
        backoffs: how many times the limit was lowered.
        batches: batch requests admitted (0: the limit was never put to use).
    """

    current: int
    peak: int
    maximum: int
    backoffs: int = 0
    batches: int = 0


@dataclass(slots=True)
class _Reference:
    """For one kind of batch: the best throughput seen (as the concurrency and the time
    per item it was seen at) and the largest batch."""

    per_item: float
    concurrency: float
    largest: int

    def expected(self, concurrency: float) -> float:
        """Time per item a batch at `concurrency` should take, were the store as good as here.

        Below the reference's concurrency no slower per item; above it, slower in
        proportion (the same throughput shared by more batches).
        """
        return self.per_item * max(1.0, concurrency / self.concurrency)

    def beaten_by(self, per_item: float, concurrency: float) -> bool:
        return concurrency * self.per_item > self.concurrency * per_item


@dataclass
class ConcurrencyController:
    """AIMD limit on concurrent batch requests to one store (see the module docstring)."""

    max_concurrency: int
    policy: AimdPolicy = field(default_factory=AimdPolicy)
    clock: Callable[[], float] = time.monotonic
    _limit: float = field(init=False)
    _peak: int = field(init=False)
    _in_flight: int = field(init=False, default=0)
    _admitted: int = field(init=False, default=0)
    _lowered_at: float = field(init=False)
    _paused_until: float = field(init=False)
    _backoffs: int = field(init=False, default=0)
    _load: float = field(init=False, default=0.0)
    _load_at: float = field(init=False)
    _references: dict[str, _Reference] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency}")
        self._limit = float(self.policy.start_for(self.max_concurrency))
        self._peak = self.limit
        now = self.clock()
        self._lowered_at = now
        self._paused_until = now
        self._load_at = now

    def resume(self, level: int) -> None:
        """Start from `level` (where the store's last run ended) instead of the policy's start.

        Slow start stays on: the level is where the last run ended, not a ceiling.

        Raises:
            RuntimeError: a batch was already admitted (the level is chosen before any).
        """
        if self._admitted:
            raise RuntimeError("resume() comes before the first batch request")
        self._limit = float(max(1, min(self.max_concurrency, level)))
        self._peak = self.limit

    # -- what it decided ----------------------------------------------------------------

    @property
    def limit(self) -> int:
        """Batch requests allowed at once now (1 <= limit <= max_concurrency)."""
        return max(1, min(self.max_concurrency, int(self._limit)))

    @property
    def in_flight(self) -> int:
        """Batch requests admitted and not finished."""
        return self._in_flight

    @property
    def paused_until(self) -> float:
        """The clock value before which no request should start (a Retry-After)."""
        return self._paused_until

    def pause_remaining(self) -> float:
        """Seconds left of the current Retry-After pause (0 when none)."""
        return max(0.0, self._paused_until - self.clock())

    def level(self) -> ConcurrencyLevel:
        """The limit now, the highest it reached, the store's maximum, backoffs and batches."""
        return ConcurrencyLevel(
            self.limit, self._peak, self.max_concurrency, self._backoffs, self._admitted
        )

    # -- admitting requests --------------------------------------------------------------

    def try_start(self) -> Ticket | None:
        """Admit one batch request, or None while the limit is used.

        Pauses are the caller's to wait out first (`pause_remaining`): a request that
        already slept through a Retry-After for its own retry must not wait twice.
        """
        if self._in_flight >= self.limit:
            return None
        now = self._count_load()
        self._in_flight += 1
        self._admitted += 1
        return Ticket(now, self._in_flight, self.limit, self._admitted, self._load)

    def release(self, ticket: Ticket) -> None:
        """The request ended without saying anything about load (a 400, a 413...)."""
        del ticket  # the ticket is the caller's proof of admission; only the count matters
        self._count_load()
        self._in_flight = max(0, self._in_flight - 1)

    # -- what the store said ---------------------------------------------------------------

    def succeeded(self, ticket: Ticket, *, items: int, kind: str) -> None:
        """A batch of `items` objects of `kind` (e.g. ``"/products/batch create"``) succeeded."""
        self.release(ticket)
        if items < 1:
            return
        elapsed = max(self._load_at - ticket.started_at, 0.0)
        per_item = elapsed / items
        # Requests in flight on average over its life, itself included.
        concurrency = (self._load - ticket.load) / elapsed if elapsed > 0 else ticket.in_flight
        concurrency = max(1.0, concurrency)
        reference = self._references.get(kind)
        if reference is None:
            reference = self._references[kind] = _Reference(per_item, concurrency, items)
        elif items > reference.largest:
            reference.largest = items
        if 2 * items < reference.largest:
            return  # a tail chunk: its fixed cost per request skews the time per item
        excess = per_item - reference.expected(concurrency) * self.policy.latency_tolerance
        # Jitter of a few milliseconds on a very fast store is not load: the rise must
        # also cost the request `latency_slack` seconds in all.
        if excess > 0 and excess * items > self.policy.latency_slack:
            if ticket.started_at >= self._lowered_at:  # else sent before the last back-off
                self._back_off()
        elif concurrency >= ticket.limit - 0.5:  # the limit was in use: it may rise
            slow_start = self.policy.slow_start and self._backoffs == 0
            self._set_limit(
                self._limit + (1.0 if slow_start else self.policy.increase / self._limit)
            )
        alone = ticket.in_flight == 1 and self._admitted == ticket.serial
        if alone:
            # Alone, the store was unloaded by us: whatever it took is its unloaded latency.
            reference.per_item, reference.concurrency = per_item, 1.0
        elif reference.beaten_by(per_item, concurrency):
            reference.per_item, reference.concurrency = per_item, concurrency

    def overloaded(self, started_at: float, *, retry_after: float | None = None) -> None:
        """A request started at `started_at` met a 429, a 5xx or a timeout.

        Any request may report this, batch or not: the store is overloaded either way.
        """
        if retry_after is not None:
            pause = min(max(retry_after, 0.0), self.policy.retry_after_cap)
            self._paused_until = max(self._paused_until, self.clock() + pause)
        if started_at >= self._lowered_at:
            self._back_off()

    # -- internals ---------------------------------------------------------------------------

    def _count_load(self) -> float:
        """Add the requests in flight since the last count, x the time, to the running total."""
        now = self.clock()
        self._load += self._in_flight * max(now - self._load_at, 0.0)
        self._load_at = now
        return now

    def _back_off(self) -> None:
        self._backoffs += 1
        self._set_limit(self._limit * self.policy.backoff)
        self._lowered_at = self.clock()

    def _set_limit(self, value: float) -> None:
        self._limit = max(1.0, min(float(self.max_concurrency), value))
        self._peak = max(self._peak, self.limit)
