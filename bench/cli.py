"""`python -m bench [--quick] [SCENARIO ...]`: run the benchmarks and write docs/benchmarks.md.

With no scenario named, every scenario runs; the full-size run rewrites
docs/benchmarks.md.  `--quick` runs reduced sizes (a smoke run of a few
minutes) and, like a selection of scenarios, prints the report instead of
overwriting the committed one (pass `--output` to write it somewhere).

With WOO_URL, WOO_KEY and WOO_SECRET set, a run that writes the page also
measures that real WooCommerce (`bench.real_store`) and writes its section;
without them the last real-store section is kept, or a line says it was skipped.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.comparison import run_baseline
from bench.dashboard import keep_dashboard_section
from bench.oversell import STRATEGIES, busy_day, simulate
from bench.profiling import profile_first_sync
from bench.real_store import ITEMS as REAL_ITEMS
from bench.real_store import SECTION as REAL_SECTION
from bench.real_store import RealFigures, StoreAccess, measure_real_store, real_section
from bench.real_store import place as place_real_section
from bench.real_store import skipped_section as real_store_skipped
from bench.report import RunInfo, machine, render
from bench.runs import BigCatalogue, Lab
from bench.sandbox_process import SandboxProcess
from bench.scale import keep_sections as keep_scale_sections
from bench.scenarios import SCENARIOS, Findings, tables, targets
from bench.sizes import FULL, QUICK, Sizes
from bench.sql_read import keep_section as keep_sql_section
from bench.stores import keep_section as keep_stores_section
from bench.tryton_section import keep_section as keep_tryton_section

__all__ = ["DEFAULT_OUTPUT", "main", "run_scenarios"]

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
#: Catalogue of the real-store run under `--quick`.
QUICK_REAL_ITEMS = 200
_STOREBRIDGE = {"first-sync", "idle", "changes", "orders", "reconcile", "variable", "baseline"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark StoreBridge against the sandbox."
    )
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO",
        help=f"scenarios to run (default: all): {', '.join(SCENARIOS)}",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="reduced sizes, for a smoke run")
    parser.add_argument(
        "--latency", type=float, default=50.0, help="sandbox latency per request, ms (50)"
    )
    parser.add_argument(
        "--output", type=Path, default=None,
        help="where to write the report (default: docs/benchmarks.md for a full run of "
        "every scenario, else stdout)",
    )  # fmt: skip
    parser.add_argument(
        "--in-process", action="store_true",
        help="run StoreBridge's steps in this process (faster start; CPU and RSS then include "
        "the harness)",
    )  # fmt: skip
    return parser


def run_scenarios(
    selected: Sequence[str],
    sizes: Sizes,
    *,
    latency_ms: float,
    root: Path,
    log: Callable[[str], None],
    isolate: bool = True,
) -> Findings:
    """Run the `selected` scenarios at `sizes`; scratch files go under `root`."""
    chosen = set(selected)
    found = Findings()
    if chosen & _STOREBRIDGE:
        with SandboxProcess(latency_ms=latency_ms) as sandbox:
            lab = Lab(sandbox, root, sizes, isolate=isolate, log=log)
            if "first-sync" in chosen:
                if isolate:  # in-process, the profile would include the harness
                    log("profiling a small first sync (for the CPU breakdown) ...")
                    found.cpu_profile = profile_first_sync(lab, min(sizes.first_sync[0], 2_000))
                for items in sizes.first_sync[:-1]:
                    log(f"first sync of {items:,} items")
                    found.first_syncs.append(lab.first_sync(items))
            big = BigCatalogue(lab)
            if chosen & {"first-sync", "baseline"}:
                log(f"first sync of {big.size:,} items")
                found.first_syncs.append(big.first_sync())
            if "idle" in chosen:
                found.read_back = big.read_back()
                found.idle = big.idle()
                found.idle_full = big.idle_full()
                found.sale = big.till_sale()
            if chosen & {"changes", "baseline"}:
                found.prices = big.price_change()
            if "changes" in chosen:
                found.stock = big.stock_change()
            if "orders" in chosen:
                found.burst = big.order_burst()
            if "reconcile" in chosen:
                found.reconcile = big.reconcile()
            if "variable" in chosen:
                log("variable products")
                found.variable = lab.variable_sync()
    if "baseline" in chosen:
        log("baseline (the woocommerce package)")
        found.baseline = run_baseline(root, sizes, latency_ms, log)
    if "oversell" in chosen:
        log("oversell simulation")
        day = busy_day(sizes.oversell_web_orders, sizes.oversell_store_sales, sizes.oversell_skus)
        found.oversell = (day, [simulate(day, strategy) for strategy in STRATEGIES])
    return found


def _log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run, and write or print the report."""
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    arguments = list(sys.argv[1:] if argv is None else argv)
    sizes = QUICK if args.quick else FULL
    selected = [s for s in SCENARIOS if s in args.scenarios] if args.scenarios else list(SCENARIOS)
    output = args.output
    if output is None and not args.quick and len(selected) == len(SCENARIOS):
        output = DEFAULT_OUTPUT
    started, clock = datetime.now(UTC), time.perf_counter()
    load_before = os.getloadavg()
    access = StoreAccess.from_env(os.environ)
    real: str | None = None
    with tempfile.TemporaryDirectory(prefix="storebridge-bench-") as scratch:
        found = run_scenarios(
            selected,
            sizes,
            latency_ms=args.latency,
            root=Path(scratch),
            log=_log,
            isolate=not args.in_process,
        )
        if access is None:
            _log("real WooCommerce: skipped (WOO_URL is not set)")
        elif output is not None:  # a real store is measured only for the page
            items = QUICK_REAL_ITEMS if args.quick else REAL_ITEMS
            real_run = measure_real_store(access, Path(scratch) / "real", items=items, log=_log)
            real = real_section(real_run)
            found.real = real_run.figures()
    if found.real is None and output is not None and output.exists():
        found.real = RealFigures.from_page(output.read_text(encoding="utf-8"))
    info = RunInfo(
        started=started,
        duration_s=time.perf_counter() - clock,
        command=" ".join(["python -m bench", *arguments]),
        sizes=f"{sizes.name}: first sync of {', '.join(f'{n:,}' for n in sizes.first_sync)} items",
        latency_ms=args.latency,
        concurrency=4,
        load_before=load_before,
        load_after=os.getloadavg(),
    )
    text = render(info, machine(), targets(found), tables(found))
    if output is None or str(output) == "-":
        print(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        # The SQL, dashboard, scale, many-stores and Tryton sections are measured by their
        # own commands (`python -m bench.sql_read`, `bench.dashboard`, `bench.scale`,
        # `bench.stores`, `bench.tryton`): carry them over.
        text = keep_sql_section(text, output)
        text = keep_dashboard_section(text, output)
        text = keep_scale_sections(text, output)
        text = keep_stores_section(text, output)
        if output.exists():
            text = keep_tryton_section(output.read_text(encoding="utf-8"), text)
        # The real store: this run's figures, else the last run's, else a line saying why not.
        if real is None:
            previous = output.read_text(encoding="utf-8") if output.exists() else ""
            real = REAL_SECTION.find(previous) or real_store_skipped()
        text = place_real_section(text, real)
        output.write_text(text, encoding="utf-8")
        _log(f"wrote {output}")
    return 0
