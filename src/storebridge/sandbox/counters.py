"""Request counters by method and route template, for benchmarks and tests.

"GET /products" and "PUT /products/{product_id}" are counted separately;
reads are GET/HEAD/OPTIONS, writes everything else. Injected faults are
counted too, by kind.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class RequestCounters:
    """Thread-safe counters of API requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def record(self, method: str, template: str) -> None:
        """Count one request."""
        with self._lock:
            self._requests[f"{method} {template}"] += 1

    def record_fault(self, kind: str) -> None:
        """Count one injected fault."""
        with self._lock:
            self._faults[kind] += 1

    def count(self, method: str, template: str) -> int:
        """How many requests hit one method + template."""
        with self._lock:
            return self._requests[f"{method} {template}"]

    def snapshot(self) -> dict[str, Any]:
        """All counters as JSON-ready data."""
        with self._lock:
            requests = dict(sorted(self._requests.items()))
            faults = dict(sorted(self._faults.items()))
        reads = sum(n for key, n in requests.items() if key.split(" ", 1)[0] in READ_METHODS)
        total = sum(requests.values())
        return {
            "requests": requests,
            "reads": reads,
            "writes": total - reads,
            "total": total,
            "faults": faults,
        }

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
