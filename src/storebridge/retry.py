"""How long to wait before trying a remote call again: a pure value object.

`RetryPolicy` answers one question, "attempt *n* failed, how long do I sleep
before attempt *n + 1*?", with capped exponential backoff and *full jitter*
(a uniform draw between 0 and the capped exponential bound), so that many
workers hitting the same store do not retry in lock-step.  When the server
(or a proxy, CDN or WAF in front of it) says how long to wait with
`Retry-After`, that answer wins over the formula.

Nothing here sleeps, reads a clock or draws from a global random source: the
caller passes the random generator and, for HTTP dates, the current time.
That keeps every decision reproducible in tests.

Example::

    policy = RetryPolicy(max_attempts=6, base=0.5, cap=30.0)
    delay = policy.delay_for(attempt=1, retry_after=None, rng=random.Random(7))
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter that honours `Retry-After`.

    Attributes:
        max_attempts: total tries, the first one included (1 means never retry).
        base: the bound of the first backoff, in seconds.
        cap: the largest bound the exponential may reach, in seconds.
        retry_after_cap: the longest server-requested wait we accept; a host asking
            for an hour must not park a sync job for an hour.
    """

    max_attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    retry_after_cap: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base <= 0 or self.cap <= 0 or self.retry_after_cap < 0:
            raise ValueError("base and cap must be positive and retry_after_cap not negative")

    def can_retry(self, attempt: int) -> bool:
        """Whether another try is allowed after `attempt` (1-based) failed."""
        return attempt < self.max_attempts

    def delay_for(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to sleep after the failed try number `attempt` (1-based).

        Args:
            attempt: the try that just failed; 1 for the first request.
            retry_after: the server's `Retry-After` in seconds, when it sent one.
            rng: the random source for the jitter (injected for reproducibility).

        Returns:
            The `Retry-After` value (bounded by `retry_after_cap`) when given,
            otherwise a uniform draw in `[0, min(cap, base * 2 ** (attempt - 1))]`.
        """
        if attempt < 1:
            raise ValueError(f"attempt is 1-based, got {attempt}")
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        # The exponent is bounded first so a huge attempt number cannot overflow.
        exponent = min(attempt - 1, 62)
        bound = min(self.cap, self.base * float(2**exponent))
        return rng.uniform(0.0, bound)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Read a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3).

    Args:
        value: the raw header value, or None when the header is absent.
        now: the current time, timezone-aware, used to turn a date into seconds.

    Returns:
        The wait in seconds (0 for a date in the past), or None when the header is
        absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP dates are always GMT; parsedate_to_datetime returns a naive value for "-0000".
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
