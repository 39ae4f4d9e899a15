"""`python -m bench.scale`: memory and idle cost at catalogue scale; its section of docs/benchmarks.md.

Against the sandbox (50 ms a request, its own process), one catalogue of
`--items` (100,000 by default) goes through the steps of `runs.BigCatalogue`
that the scale targets are about, each in a fresh worker process:

* the first sync (peak RSS: target below 200 MB at 100,000 items);
* an idle cycle (the demo POS reads incrementally: target <= 1 s of CPU),
  then the periodic full read of an unchanged catalogue (source digests);
* one till sale and the next products run (target: on WooCommerce within
  10 s with the products job every 5 s).

Between the first sync and the idle cycle runs the read-back (the link
check listing every product the first sync created); `--no-read-back`
moves the check's cursor past them instead, unmeasured, for a run about
memory and idle cost alone.  `--items 1000000` is the million-item row
(`make bench-million`, without the read-back: hours on two shared cores).  The section lies between two markers; `make bench`
carries it over (`Section.keep`), and each size keeps its own section.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.real_store import RealFigures
from bench.runs import BigCatalogue, Lab
from bench.sandbox_process import SandboxProcess
from bench.scenarios import Findings, tables, targets
from bench.sections import Section
from bench.sizes import FULL
from bench.table import markdown_table
from bench.tryton_section import SECTION_HEADING as TRYTON_HEADING

__all__ = ["end_marker", "keep_sections", "main", "start_marker"]

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SIZES = (100_000, 1_000_000)


def _section(items: int) -> Section:
    return Section(f"scale-{items}")


def start_marker(items: int) -> str:
    return _section(items).start


def end_marker(items: int) -> str:
    return _section(items).end


def keep_sections(report: str, previous: Path) -> str:
    """`report` with every scale section of the `previous` page carried over."""
    for items in SIZES:
        report = _section(items).keep(report, previous, before=(TRYTON_HEADING,))
    return report


def measure(
    items: int,
    root: Path,
    latency_ms: float,
    log: Callable[[str], None],
    *,
    read_back: bool = True,
    port: int | None = None,
) -> Findings:
    """The scale steps on one catalogue of `items` (`read_back`: see `BigCatalogue`)."""
    sizes = replace(FULL, first_sync=(items,))
    with SandboxProcess(latency_ms=latency_ms, port=port) as sandbox:
        lab = Lab(sandbox, root, sizes, log=log)
        big = BigCatalogue(lab)
        found = Findings(first_syncs=[big.first_sync()])
        if read_back:
            found.read_back = big.read_back()
        else:
            big.skip_read_back()
        found.idle = big.idle()
        found.idle_full = big.idle_full()
        found.sale = big.till_sale()
    return found


def section(
    items: int, found: Findings, latency_ms: float, load: str, *, read_back: bool = True
) -> str:
    """The markdown section of one run."""
    verdicts = [
        t
        for t in targets(found)
        if not t.name.startswith(("CPU < 10%", "first sync of"))  # the main run judges those
    ]
    met = sum(1 for t in verdicts if t.met)
    lines = [
        start_marker(items),
        f"## Scale: {items:,} items (memory, idle cost, a till sale)",
        "",
        f"Written by `python -m bench.scale --items {items}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Sandbox latency {latency_ms:.0f} ms a request; "
        f"each step in a fresh worker process; demo POS (SQLite, incremental reads), selection "
        f"`all`, SQLite storage. The machine is shared (load average before -> after: {load}).",
        "",
    ]
    if not read_back:
        lines += [
            f"Run with `--no-read-back`: the first cycle after the first sync (the link check "
            f"reading the {items:,} new products back, one listing request per 100) was not run; "
            "the check's cursor was moved past the first sync's writes, unmeasured, so the idle "
            "cycles below are idle for WooCommerce too.",
            "",
        ]
    lines += [
        f"### Targets ({met} of {len(verdicts)} met)",
        "",
        markdown_table(
            ["target", "figure", "verdict", "why (when missed)"],
            [[t.name, t.figure, t.verdict, t.why] for t in verdicts],
        ),
        "",
    ]
    for table in tables(found):
        lines += [table.markdown(), ""]
    lines.append(end_marker(items))
    return "\n".join(lines)


def _log(message: str) -> None:
    print(f"[bench.scale {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=50.0, help="sandbox ms per request")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="'-' prints the section")
    parser.add_argument(
        "--no-read-back",
        dest="read_back",
        action="store_false",
        help="skip the first cycle after the first sync (the link check reading every new "
        "product back); move the check past the first sync's writes instead",
    )
    parser.add_argument("--port", type=int, help="the sandbox's port (default: a free one)")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="storebridge-scale-") as scratch:
        found = measure(
            options.items,
            Path(scratch),
            options.latency,
            _log,
            read_back=options.read_back,
            port=options.port,
        )
    load = " / ".join(f"{x:.2f}" for x in before) + " -> "
    load += " / ".join(f"{x:.2f}" for x in os.getloadavg())
    output = Path(options.output)
    page = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    # CPU per item is judged against the real store's own time per item, from its section.
    found.real = RealFigures.from_page(page)
    text = section(options.items, found, options.latency, load, read_back=options.read_back)
    if options.output == "-":
        print(text)
        return 0
    output.write_text(
        _section(options.items).splice(page, text, before=(TRYTON_HEADING,)), encoding="utf-8"
    )
    _log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
