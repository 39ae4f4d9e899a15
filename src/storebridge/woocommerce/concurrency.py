"""How many batch requests a store should get at once: an AIMD controller (pure, no I/O).

A WooCommerce store serves a batch of 100 items in seconds, with a handful of
PHP workers.  Sending batches one at a time leaves workers idle; sending more
than the store has workers only queues them (each batch then takes longer and
nothing is gained), and a host's rate limiter or a tired PHP pool answers
429 or 5xx.  The useful level differs per store and per hour, so the client
finds it while it works, the way TCP finds a path's window:

- it starts low (`AimdPolicy.start`, 2 by default);
- **additive increase**: each batch that finishes with its latency per item
  within `latency_tolerance` x the store's unloaded latency, having run while
  the limit was fully used, raises the limit by `increase`;
- **multiplicative decrease**: a 429, a 5xx, a timeout or dropped connection,
  or a batch whose latency per item rose beyond the tolerance, multiplies
  the limit by `backoff`;
- a `Retry-After` pauses every new request until it has passed;
- the limit stays within [1, `max_concurrency`] (the store's setting).

Only a sample from a request *started after the limit last changed* moves the
limit, so one congested moment (several batches failing together) backs off
once, and a raise is judged at the level it created before the next one.

Latency is compared per item and per kind of batch (creates cost WooCommerce
about twice what updates do), against the fastest time per item seen for that
kind; a batch that ran alone resets that reference, so a store that became
slower for everyone (a backup, another tenant) is not mistaken for overload
forever.  A short tail chunk (under half the largest batch of its kind) says
little about load and moves nothing.

The controller only decides; `throttle.BatchGate` makes coroutines wait by
it.  Time comes from an injected clock, so tests drive it by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["AimdPolicy", "ConcurrencyController", "ConcurrencyLevel", "Ticket"]


@dataclass(frozen=True, slots=True)
class AimdPolicy:
    """The controller's constants.

    Attributes:
        start: the limit before anything is known (capped by max_concurrency).
        increase: added to the limit after a good sample taken at full use.
        backoff: the factor applied to the limit on overload (0 < backoff < 1).
        latency_tolerance: latency per item above this multiple of the reference
            counts as rising latency (2.0: the store takes twice as long as unloaded).
        latency_slack: seconds a batch must lose to rising latency before it counts,
            so that jitter on a store answering in milliseconds is not read as load.
        retry_after_cap: the longest pause a `Retry-After` may impose, in seconds.
    """

    start: int = 2
    increase: float = 1.0
    backoff: float = 0.7
    latency_tolerance: float = 2.0
    latency_slack: float = 0.05
    retry_after_cap: float = 300.0

    def __post_init__(self) -> None:
        if self.start < 1:
            raise ValueError(f"start must be at least 1, got {self.start}")
        if self.increase <= 0:
            raise ValueError(f"increase must be positive, got {self.increase}")
        if not 0 < self.backoff < 1:
            raise ValueError(f"backoff must be between 0 and 1, got {self.backoff}")
        if self.latency_tolerance <= 1:
            raise ValueError(f"latency_tolerance must exceed 1, got {self.latency_tolerance}")
        if self.retry_after_cap < 0 or self.latency_slack < 0:
            raise ValueError("retry_after_cap and latency_slack must not be negative")


@dataclass(frozen=True, slots=True)
class Ticket:
    """One batch request admitted by the controller.

    Attributes:
        started_at: the clock when it was admitted.
        in_flight: batch requests running once it started, itself included.
        limit: the limit when it started.
        serial: how many requests the controller had admitted, this one included.
    """

    started_at: float
    in_flight: int
    limit: int
    serial: int = 0


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
    """The fastest latency per item seen for one kind of batch, and its largest size."""

    per_item: float
    largest: int


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
    _changed_at: float = field(init=False)
    _paused_until: float = field(init=False)
    _backoffs: int = field(init=False, default=0)
    _references: dict[str, _Reference] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency}")
        self._limit = float(min(self.policy.start, self.max_concurrency))
        self._peak = self.limit
        now = self.clock()
        self._changed_at = now
        self._paused_until = now

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
        self._in_flight += 1
        self._admitted += 1
        return Ticket(self.clock(), self._in_flight, self.limit, self._admitted)

    def release(self, ticket: Ticket) -> None:
        """The request ended without saying anything about load (a 400, a 413...)."""
        del ticket  # the ticket is the caller's proof of admission; only the count matters
        self._in_flight = max(0, self._in_flight - 1)

    # -- what the store said ---------------------------------------------------------------

    def succeeded(self, ticket: Ticket, *, items: int, kind: str) -> None:
        """A batch of `items` objects of `kind` (e.g. ``"/products/batch create"``) succeeded."""
        self.release(ticket)
        if items < 1:
            return
        elapsed = max(self.clock() - ticket.started_at, 0.0)
        per_item = elapsed / items
        reference = self._references.get(kind)
        if reference is None:
            self._references[kind] = _Reference(per_item, items)
            reference = self._references[kind]
        elif items > reference.largest:
            reference.largest = items
        if 2 * items < reference.largest:
            return  # a tail chunk: its fixed cost per request skews the time per item
        judged = ticket.started_at >= self._changed_at  # else sent under an older limit
        excess = per_item - reference.per_item * self.policy.latency_tolerance
        # Jitter of a few milliseconds on a very fast store is not load: the rise must
        # also cost the request `latency_slack` seconds in all.
        rising = excess > 0 and excess * items > self.policy.latency_slack
        if judged and rising:
            self._back_off()
        elif judged and ticket.in_flight >= ticket.limit:
            self._set_limit(self._limit + self.policy.increase)
        alone = ticket.in_flight == 1 and self._admitted == ticket.serial
        if alone or per_item < reference.per_item:
            # Alone, the store was unloaded by us: whatever it took is its unloaded latency.
            reference.per_item = per_item

    def overloaded(self, started_at: float, *, retry_after: float | None = None) -> None:
        """A request started at `started_at` met a 429, a 5xx or a timeout.

        Any request may report this, batch or not: the store is overloaded either way.
        """
        if retry_after is not None:
            pause = min(max(retry_after, 0.0), self.policy.retry_after_cap)
            self._paused_until = max(self._paused_until, self.clock() + pause)
        if started_at >= self._changed_at:
            self._back_off()

    # -- internals ---------------------------------------------------------------------------

    def _back_off(self) -> None:
        self._backoffs += 1
        self._set_limit(self._limit * self.policy.backoff)

    def _set_limit(self, value: float) -> None:
        self._limit = max(1.0, min(float(self.max_concurrency), value))
        self._peak = max(self._peak, self.limit)
        self._changed_at = self.clock()
