"""`python -m bench.read_back`: what the link check's read-back of a first sync costs.

The first products run after a first sync of N items reads the N new
products back (`sync.catalogue.link_check`).  This runs, against the
sandbox in its own process (50 ms a request by default), a first sync of
`--items` into an empty store, then that read-back and the idle cycle
after it, each in a fresh worker process, and prints one line per step:
wall and CPU time, CPU per item, and the listing requests next to
ceil(N / 100).  Only figures: docs/benchmarks.md quotes them by hand.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.measure import Measured
from bench.runs import BigCatalogue, Lab
from bench.sandbox_process import SandboxProcess
from bench.sizes import FULL

__all__ = ["main", "step_line"]


def step_line(step: Measured) -> str:
    """One step as one line: wall, CPU, CPU per item, listings next to ceil(N / 100)."""
    result = step.result
    listings = step.count("GET /products")
    return (
        f"{step.label}: {result.wall_s:.1f} s wall, {result.cpu_s:.2f} s CPU "
        f"({1000 * result.cpu_s / step.items:.3f} ms an item), GET /products x{listings:,} "
        f"(ceil(N/100) = {math.ceil(step.items / 100):,}), writes {result.requests.writes}, "
        f"sandbox CPU {step.sandbox_cpu_s:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_back", description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=50.0, help="sandbox ms per request")
    parser.add_argument("--port", type=int, default=None, help="sandbox port (default: any free)")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sizes = replace(FULL, first_sync=(options.items,))
    with (
        tempfile.TemporaryDirectory(prefix="storebridge-read-back-") as scratch,
        SandboxProcess(latency_ms=options.latency, port=options.port) as sandbox,
    ):
        big = BigCatalogue(Lab(sandbox, Path(scratch), sizes))
        for step in (big.first_sync(), big.read_back(), big.idle()):
            print(step_line(step), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
