"""`python -m bench.soak [--minutes N] [--storage sqlite|postgresql]`: run one soak.

Starts the sandbox and StoreBridge in a scratch folder, shakes for
`--minutes` (default 10), settles, checks the invariants, writes this
storage's figures into docs/reliability.md (or `--output`; ``-`` prints
them) and exits 0 only when every invariant held.  Progress goes to stderr;
`--keep` leaves the scratch folder (config, logs, databases) for a post-mortem.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.sandbox_process import SandboxProcess
from bench.soak.chaos import Findings, Plan, Soak
from bench.soak.report import render_storage, write_section
from bench.soak.world import SoakWorld, Storage, StorageKind

__all__ = ["DEFAULT_OUTPUT", "main", "soak"]

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def _log(message: str) -> None:
    print(f"[soak {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def soak(
    storage: StorageKind, plan: Plan, root: Path, log: Callable[[str], None] = _log
) -> Findings:
    """Prepare a world under `root`, run the soak on it, tear it down; returns the findings."""
    world_storage = Storage.create(storage, root)
    try:
        with SandboxProcess(latency_ms=20.0, webhook_delay_s=0.5) as sandbox:
            world = SoakWorld(root, sandbox, world_storage)
            asyncio.run(world.prepare())
            world.start()
            log(f"StoreBridge on {world.web_url} ({storage}), sandbox on {sandbox.url}")
            try:
                return asyncio.run(Soak(world, plan, log).run())
            finally:
                world.stop()
    finally:
        world_storage.drop()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="time under chaos (10)")
    parser.add_argument(
        "--storage",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="StoreBridge's database",
    )
    parser.add_argument("--seed", type=int, default=12, help="seed of every random draw (12)")
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="report file, or - to print (docs/reliability.md)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    # The harness's own client retries the injected faults too: that is noise here.
    logging.getLogger("storebridge").setLevel(logging.ERROR)
    command = " ".join(["python -m bench.soak", *(sys.argv[1:] if argv is None else argv)])
    plan = replace(Plan(), minutes=args.minutes, seed=args.seed)
    root = Path(tempfile.mkdtemp(prefix="storebridge-soak-"))
    try:
        found = soak(args.storage, plan, root)
    finally:
        if args.keep:
            _log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if args.output == "-":
        print(render_storage(found, command))
    else:
        write_section(Path(args.output), found, command)
        _log(f"wrote {args.output}")
    for invariant in found.invariants:
        _log(f"{'held  ' if invariant.ok else 'FAILED'} {invariant.name}: {invariant.detail}")
    return 0 if found.green else 1
