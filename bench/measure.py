"""A measured step seen from both ends: StoreBridge's counters and the sandbox's.

`measure(sandbox, workspace, step)` zeroes the sandbox's request counters,
runs the step (in a worker process by default, in this process for the
tests), and keeps what the sandbox counted and the CPU the sandbox spent
meanwhile.  `Measured.counts_agree` is the cross-check: the requests the
client says it sent equal the requests the store says it received.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.sandbox_process import SandboxProcess
from bench.steps import StepResult, run_step
from bench.worker import run_isolated
from bench.workspace import Workspace

__all__ = ["Measured", "batches", "measure"]


def batches(items: int, size: int = 100) -> int:
    """Requests needed to send `items` objects `size` at a time."""
    return math.ceil(items / size)


@dataclass(frozen=True, slots=True)
class Measured:
    """A step's result with the sandbox's view of the same traffic."""

    label: str
    items: int
    result: StepResult
    sandbox_requests: dict[str, int]
    sandbox_reads: int
    sandbox_writes: int
    sandbox_cpu_s: float

    @property
    def counts_agree(self) -> bool:
        """The client's and the store's request counts match, endpoint by endpoint."""
        return (
            self.result.requests.reads == self.sandbox_reads
            and self.result.requests.writes == self.sandbox_writes
            and _normalised(self.result.requests.by_endpoint) == _normalised(self.sandbox_requests)
        )

    def count(self, key: str) -> int:
        """Requests to one endpoint, e.g. ``count("POST /products/batch")``."""
        return self.result.requests.count(key)


def _normalised(by_endpoint: dict[str, int]) -> dict[str, int]:
    """Endpoint keys compared across both counters: the sandbox names ids after the route
    parameter (``/products/{product_id}``), the client writes ``{id}``."""
    merged: dict[str, int] = {}
    for key, count in by_endpoint.items():
        method, _, path = key.partition(" ")
        parts = ["{id}" if p.startswith("{") else p for p in path.strip("/").split("/")]
        name = f"{method} /{'/'.join(parts)}"
        merged[name] = merged.get(name, 0) + count
    return merged


def measure(
    sandbox: SandboxProcess,
    workspace: Workspace,
    step: str,
    *,
    label: str,
    items: int,
    isolate: bool = True,
    profile: bool = False,
) -> Measured:
    """Run `step` for `workspace` against `sandbox`, with both ends counting."""
    sandbox.reset_counters()
    cpu_before = sandbox.cpu_seconds()
    if isolate:
        # A million-item first sync takes hours on a shared machine: the limit grows with it.
        timeout = max(3_600.0, items * 0.02)
        result = run_isolated(workspace, step, profile=profile, timeout=timeout)
    else:
        result = run_step(workspace, step, profile=profile)
    cpu_after = sandbox.cpu_seconds()
    counters: dict[str, Any] = sandbox.counters()
    if result.error is not None:
        raise RuntimeError(f"{label}: the {step} run stopped: {result.error}")
    return Measured(
        label=label,
        items=items,
        result=result,
        sandbox_requests=dict(counters["requests"]),
        sandbox_reads=int(counters["reads"]),
        sandbox_writes=int(counters["writes"]),
        sandbox_cpu_s=cpu_after - cpu_before,
    )
