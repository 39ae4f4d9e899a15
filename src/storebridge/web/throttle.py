"""Login throttling: failed logins slow down, then lock, an account and a client address.

Each failed login counts against two keys: the submitted account name and
the client address.  A key's first `Policy.free_failures` failures cost
nothing; every further one locks the key for an exponentially growing delay
(``base_delay_s * 2**n``, at most ``max_delay_s``).  While any of a request's
keys is locked, the login is answered ``429 Too Many Requests`` with a
``Retry-After`` header *without checking the password* (so a locked-out
guesser learns nothing and costs no argon2 time).  A successful login forgets
the account's failures and the address's; a key with no failure for
``forget_after_s`` is forgotten too.

The account key is the name as typed (trimmed, case-folded), whether or not
the user exists, so the throttle itself does not reveal which names exist.

State lives in memory, shared by every request the process serves (one
`LoginThrottle` per app, guarded by a lock because the password check runs in
threads).  It is not shared between processes: `storebridge run` is one
process; a multi-process deployment multiplies the budget by the process count
(docs/operations.md says so).  The `limits` library was considered: it counts
hits per fixed or moving window, but has no notion of a delay that doubles
with each failure or of a reset on success, which is what this needs.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "Lockout",
    "LoginThrottle",
    "Policy",
    "ThrottleKey",
    "retry_after_header",
]

logger = logging.getLogger("storebridge.web.throttle")

KeyKind = Literal["account", "address"]
ACCOUNT: KeyKind = "account"
ADDRESS: KeyKind = "address"


@dataclass(frozen=True)
class Policy:
    """How many failures a key gets for free, and how the lock grows after them."""

    free_failures: int
    base_delay_s: float = 1.0
    max_delay_s: float = 900.0
    forget_after_s: float = 3600.0

    def delay_after(self, failures: int) -> float:
        """The lock after the `failures`-th consecutive failure (0: not locked)."""
        over = failures - self.free_failures
        if over <= 0:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** (over - 1))


#: An account gets few tries; an address (maybe an office behind one NAT) more.
DEFAULT_POLICIES: dict[KeyKind, Policy] = {
    ACCOUNT: Policy(free_failures=5),
    ADDRESS: Policy(free_failures=20),
}


@dataclass(frozen=True)
class ThrottleKey:
    """One thing failures count against: an account name or a client address."""

    kind: KeyKind
    value: str

    @classmethod
    def account(cls, username: str) -> ThrottleKey:
        return cls(ACCOUNT, username.strip().casefold()[:150])

    @classmethod
    def address(cls, host: str | None) -> ThrottleKey:
        return cls(ADDRESS, host or "unknown")

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r}"


@dataclass(frozen=True)
class Lockout:
    """A key locked right now, for the dashboard."""

    key: ThrottleKey
    failures: int
    retry_after_s: float


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0
    locked: bool = field(default=False)


#: Called with ("lockout" | "unlock", key, detail) so the app can keep an audit trail.
LockListener = Callable[[str, ThrottleKey, str], None]


class LoginThrottle:
    """Counts failed logins per key and says how long a login must wait (see the module)."""

    def __init__(
        self,
        policies: dict[KeyKind, Policy] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: LockListener | None = None,
    ) -> None:
        self.policies = policies or DEFAULT_POLICIES
        self._clock = clock
        self._records: dict[ThrottleKey, _Record] = {}
        self._lock = threading.Lock()
        self.on_change = on_change

    def retry_after(self, keys: Iterable[ThrottleKey]) -> float:
        """Seconds before a login with these keys may be tried (0: now)."""
        now = self._clock()
        unlocked: list[ThrottleKey] = []
        wait = 0.0
        with self._lock:
            for key in keys:
                record = self._records.get(key)
                if record is None:
                    continue
                if record.locked and record.locked_until <= now:
                    record.locked = False
                    unlocked.append(key)
                wait = max(wait, record.locked_until - now)
        for key in unlocked:
            self._notify("unlock", key, "lock expired")
        return max(0.0, wait)

    def failed(self, keys: Iterable[ThrottleKey]) -> float:
        """Count a failed login against `keys`; the lock it earned (0: none yet)."""
        now = self._clock()
        locked: list[tuple[ThrottleKey, int, float]] = []
        longest = 0.0
        with self._lock:
            self._forget_stale(now)
            for key in keys:
                record = self._records.setdefault(key, _Record())
                record.failures += 1
                record.last_failure = now
                delay = self.policies[key.kind].delay_after(record.failures)
                if delay > 0:
                    record.locked_until = now + delay
                    record.locked = True
                    locked.append((key, record.failures, delay))
                    longest = max(longest, delay)
        for key, failures, delay in locked:
            self._notify("lockout", key, f"{failures} failed logins, locked for {delay:.0f} s")
        return longest

    def succeeded(self, keys: Iterable[ThrottleKey]) -> None:
        """Forget the failures of `keys` (a right password was given)."""
        cleared: list[ThrottleKey] = []
        with self._lock:
            for key in keys:
                record = self._records.pop(key, None)
                if record is not None and record.locked:
                    cleared.append(key)
        for key in cleared:
            self._notify("unlock", key, "successful login")

    def lockouts(self) -> list[Lockout]:
        """The keys locked right now, longest wait first."""
        now = self._clock()
        with self._lock:
            current = [
                Lockout(key, record.failures, record.locked_until - now)
                for key, record in self._records.items()
                if record.locked_until > now
            ]
        return sorted(current, key=lambda lockout: -lockout.retry_after_s)

    def _forget_stale(self, now: float) -> None:
        stale = [
            key
            for key, record in self._records.items()
            if record.locked_until <= now
            and now - record.last_failure > self.policies[key.kind].forget_after_s
        ]
        for key in stale:
            del self._records[key]

    def _notify(self, event: str, key: ThrottleKey, detail: str) -> None:
        # The account name and the address are not secrets; the password never gets here.
        if event == "lockout":
            logger.warning("login throttle: %s locked: %s", key, detail)
        else:
            logger.info("login throttle: %s unlocked (%s)", key, detail)
        if self.on_change is not None:
            self.on_change(event, key, detail)


def retry_after_header(seconds: float) -> str:
    """`Retry-After` in whole seconds, never 0 while locked."""
    return str(max(1, math.ceil(seconds)))
