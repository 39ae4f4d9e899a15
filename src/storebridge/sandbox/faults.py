"""Fault injection: what a flaky host or proxy does to API requests.

Random faults are drawn from one generator seeded by `FaultConfig.seed`, so
a sequential client sees the same faults run after run. `fail_next` queues
deterministic faults ("the next 2 POSTs to /products/batch get a 503") that
take precedence over the random draw. Kinds:

- "429" (with Retry-After), "500", "502", "503" (with Retry-After): an error
  answer, nothing processed;
- "drop": the connection is closed before the request is processed;
- "timeout": the request stalls for `timeout_seconds`, then is dropped;
- "drop_after": the request is processed (writes applied), then the answer is
  lost as the connection closes.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from storebridge.sandbox.config import FaultConfig

FAULT_KINDS = ("429", "500", "502", "503", "drop", "timeout", "drop_after")


@dataclass
class FailNext:
    """A queued deterministic fault."""

    kind: str
    remaining: int
    method: str | None = None
    path_contains: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_contains is None or self.path_contains in path


class FaultInjector:
    """Decides, per API request, whether and how it fails."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self._queue: list[FailNext] = []
        self.config = config
        self._random = random.Random(config.seed)

    def configure(self, config: FaultConfig) -> None:
        """Replace the random fault rates (and restart the seeded sequence)."""
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)

    def fail_next(
        self,
        kind: str,
        count: int = 1,
        *,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Make the next `count` matching requests fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._queue.append(FailNext(kind, count, method, path_contains))

    def queued(self) -> list[FailNext]:
        """The deterministic faults still waiting."""
        with self._lock:
            return [FailNext(r.kind, r.remaining, r.method, r.path_contains) for r in self._queue]

    def reset(self) -> None:
        """Drop queued faults and restart the random sequence."""
        with self._lock:
            self._queue.clear()
            self._random = random.Random(self.config.seed)

    def decide(self, method: str, path: str) -> str | None:
        """The fault for this request, or None."""
        with self._lock:
            for rule in self._queue:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._queue.remove(rule)
                    return rule.kind
            config = self.config
            rates = (
                ("429", config.rate_429),
                ("500", config.rate_500),
                ("502", config.rate_502),
                ("503", config.rate_503),
                ("drop", config.rate_drop),
                ("timeout", config.rate_timeout),
                ("drop_after", config.rate_drop_after),
            )
            if not any(rate for _, rate in rates):
                return None
            draw = self._random.random()
            cumulative = 0.0
            for kind, rate in rates:
                cumulative += rate
                if draw < cumulative:
                    return kind
            return None
