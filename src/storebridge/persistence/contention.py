"""What a writer does when SQLite says the database is busy: wait, then try again.

SQLite allows one writer at a time.  A write transaction begins with
``BEGIN IMMEDIATE`` (`persistence.db`), so the only moment a writer can meet
another is that first statement, before it has read or written anything; the
connection's busy timeout already makes it wait there.  Should the other
writer hold on for longer than that, `retry_when_busy` waits a little more,
with jitter so that writers who gave up together do not come back together,
and tries again, a bounded number of times.  Retrying is safe precisely
because nothing happened in the transaction yet.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import OperationalError

__all__ = ["BusyRetry", "is_busy", "retry_when_busy"]

T = TypeVar("T")

#: Messages of SQLITE_BUSY / SQLITE_LOCKED as Python's sqlite3 reports them.
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


@dataclass(frozen=True)
class BusyRetry:
    """How often and how long a writer retries a busy database.

    Attempt n (from 1) that fails sleeps a random time in
    ``[delay/2, delay]`` with ``delay = min(cap, base * 2**(n-1))``: half
    fixed so that the wait grows, half random so that writers spread out.
    """

    attempts: int = 5
    base: float = 0.05
    cap: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The pause after failed attempt `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


DEFAULT_BUSY_RETRY = BusyRetry()


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite refusing a lock (worth waiting for), not a real fault."""
    if not isinstance(error, OperationalError):
        return False
    message = str(error.orig if error.orig is not None else error).lower()
    return any(busy in message for busy in _BUSY_MESSAGES)


def retry_when_busy(
    action: Callable[[], T],
    *,
    policy: BusyRetry = DEFAULT_BUSY_RETRY,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run `action`, again after a jittered pause while the database is busy.

    Only call it with an action that can run twice, such as beginning a
    transaction.  Any other error, and the last busy one, goes to the caller.
    `sleep` defaults to `time.sleep`, looked up at each call.
    """
    jitter = rng or random.Random()
    pause = sleep or time.sleep
    for attempt in range(1, policy.attempts + 1):
        try:
            return action()
        except OperationalError as error:
            if attempt == policy.attempts or not is_busy(error):
                raise
            pause(policy.delay(attempt, jitter))
    raise AssertionError("unreachable: the last attempt returns or raises")
