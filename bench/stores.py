"""`python -m bench.stores` (`make bench-stores`): one StoreBridge serving many shops.

50 stores x 2,000 items (the demo POS each, their own WooCommerce each: one
`multi_sandbox` process, 50 ms a request) on PostgreSQL, served by two
``storebridge worker`` processes (procrastinate; as `bench.soak` launches
them).  After the warm-up (every store's first sync), the till keeps
selling in random stores while the workers run every job on its interval
for `--minutes`.  Then, from StoreBridge's own run log:

* every store's products cycle stays within its interval: the longest run,
  and the longest gap between two starts (a worker looks for due jobs every
  `tick` seconds, so a start may come up to one tick late);
* no store starves another: products runs per store, fewest and most;
* CPU (share of one core) and RSS (now and peak) of each worker.

The figures go to their own section of docs/benchmarks.md (`make bench`
carries it over).  About 15 minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import tomli_w
from sqlalchemy import select

from bench.sandbox_process import free_port
from bench.sections import Section
from bench.soak.world import Proc, Storage
from bench.table import markdown_table
from bench.tryton_section import SECTION_HEADING as TRYTON_HEADING
from storebridge.bootstrap import build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.settings import DemoPosSettings
from storebridge.persistence.db import upgrade
from storebridge.persistence.tables import Run
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from storebridge.settings import load_settings

__all__ = ["END", "START", "keep_section", "main"]

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = Section("stores")
START = SECTION.start
END = SECTION.end
INTERVALS = {"products": 60, "orders": 30, "export": 60, "reconcile": 3600}
TICK_S = 15.0  # half the shortest interval (`DistributedRunner.tick_seconds`)
WARM_RUNS = 2  # products runs per store before the window: first sync, read-back


def keep_section(report: str, previous: Path) -> str:
    """`report` with the many-stores section of the `previous` page carried over."""
    return SECTION.keep(report, previous, before=(TRYTON_HEADING,))


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run from the run log."""

    store: str
    job: str
    started: datetime
    finished: datetime | None
    outcome: str


@dataclass(frozen=True, slots=True)
class WorkerUse:
    """One worker's CPU over the window and its memory."""

    name: str
    cpu_s: float
    rss_mb: float
    peak_rss_mb: float


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _config(root: Path, storage: Storage, urls: list[str]) -> Path:
    config = {
        "storage": {"url": storage.url},
        "web": {"secret_key": "b" * 40},
        "runner": {"intervals": INTERVALS},
        "stores": {
            f"s{n}": {
                "selection": "all",
                "woocommerce": {
                    "url": url,
                    "consumer_key": DEMO_CONSUMER_KEY,
                    "consumer_secret": DEMO_CONSUMER_SECRET,
                    "timeout_s": 60.0,
                },
                "connector": {
                    "type": "demo",
                    "path": str(root / f"pos-{n}.sqlite3"),
                    "incremental": True,
                },
            }
            for n, url in enumerate(urls, start=1)
        },
    }
    path = root / "storebridge.toml"
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    return path


def _seed(root: Path, stores: int, items: int) -> None:
    """One seeded catalogue, copied to every store (the seeding is not what is measured)."""
    template = root / "pos-template.sqlite3"
    DemoPos(DemoPosSettings(path=template, seed_items=items, seed_styles=0, random_seed=11))
    for n in range(1, stores + 1):
        shutil.copyfile(template, root / f"pos-{n}.sqlite3")


def _wait_for_sandbox(url: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/wp-json/wc/v3/products", timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"the multi-store sandbox did not answer within {timeout_s} s")


def _runs(config: Path, since: datetime, job: str | None = None) -> list[RunRow]:
    """Runs started since `since` (of one job), by store, oldest first."""
    services = build_services(load_settings(config, environ={}))
    try:
        with services.sessions() as session:
            query = select(Run.store, Run.job, Run.started_at, Run.finished_at, Run.outcome)
            query = query.where(Run.started_at >= since)
            if job is not None:
                query = query.where(Run.job == job)
            rows = session.execute(query.order_by(Run.store, Run.job, Run.started_at)).all()
    finally:
        services.close()
    return [RunRow(*row) for row in rows]


def _products_runs(
    config: Path, since: datetime
) -> list[tuple[str, datetime, datetime | None, str]]:
    return [(r.store, r.started, r.finished, r.outcome) for r in _runs(config, since, "products")]


def job_rows(runs: list[RunRow]) -> list[list[str]]:
    """Per job: runs, duration and how late each run started after it fell due."""
    rows = []
    for job in sorted({r.job for r in runs}):
        mine = [r for r in runs if r.job == job]
        durations = [(r.finished - r.started).total_seconds() for r in mine if r.finished]
        interval = INTERVALS.get(job, INTERVALS["products"])
        gaps = [
            (b.started - a.started).total_seconds() - interval
            for a, b in itertools.pairwise(mine)
            if a.store == b.store
        ]
        late = [gap for gap in gaps if gap >= 0]  # a triggered run comes early: not scheduled
        rows.append(
            [
                job,
                f"{interval} s",
                f"{len(mine):,}",
                f"{_median(durations):.1f} / {max(durations, default=0.0):.1f}",
                f"{_median(late):.1f} / {max(late, default=float('nan')):.1f}",
            ]
        )
    return rows


def _log(message: str) -> None:
    print(f"[bench.stores {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _till_life(root: Path, stores: int, until: float, rng: random.Random) -> int:
    """Sales, receipts and price changes in random stores until `until`; returns the steps."""
    steps = 0
    while time.monotonic() < until:
        n = rng.randint(1, stores)
        pos = DemoPos(DemoPosSettings(path=root / f"pos-{n}.sqlite3", seed_items=0))
        pos.simulate_step(rng, 5)
        steps += 1
        time.sleep(2.0)
    return steps


def run(stores: int, items: int, minutes: float, latency_ms: float, concurrency: int) -> str:
    """The whole benchmark; returns its section."""
    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="storebridge-stores-"))
    storage = Storage.create("postgresql", root)
    ports = sorted({free_port() for _ in range(stores * 2)})[:stores]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.multi_sandbox",
            "--ports",
            ",".join(map(str, ports)),
            "--latency",
            f"{latency_ms:g}",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=(root / "sandbox.log").open("wb"),
    )
    workers: list[Proc] = []
    try:
        for url in urls:
            _wait_for_sandbox(url)
        _log(f"seeding {stores} POS catalogues of {items:,} items")
        _seed(root, stores, items)
        config = _config(root, storage, urls)
        upgrade(storage.url)
        started = datetime.now(UTC)
        workers = [
            Proc(
                f"worker-{n}",
                [
                    "worker",
                    "--config",
                    str(config),
                    "--grace",
                    "5",
                    "--concurrency",
                    f"{concurrency}",
                ],
                root / f"worker-{n}.log",
            )
            for n in (1, 2)
        ]
        for worker in workers:
            worker.start()
        # The first sync, then the run that reads its writes back (the link check lists
        # every product changed since it last looked: once, all 2,000 of each store).
        _log("warm-up: every store's first sync and read-back")
        warm_deadline = time.monotonic() + 3600
        while time.monotonic() < warm_deadline:
            ok = [s for s, _, f, o in _products_runs(config, started) if f and o == "ok"]
            if all(ok.count(f"s{n}") >= WARM_RUNS for n in range(1, stores + 1)):
                break
            if not all(w.alive for w in workers):
                raise RuntimeError(f"a worker died during the warm-up; see {root}")
            time.sleep(5)
        warm_s = (datetime.now(UTC) - started).total_seconds()
        _log(f"warm-up done in {warm_s:.0f} s; measuring {minutes:g} min")
        pids = {w.name: w.process.pid for w in workers if w.process is not None}
        cpu_before = {name: _proc_cpu_s(pid) for name, pid in pids.items()}
        window_start = datetime.now(UTC)
        clock = time.monotonic()
        steps = _till_life(root, stores, clock + minutes * 60, random.Random(5))
        window_s = time.monotonic() - clock
        use = []
        for name, pid in pids.items():
            rss, peak = _proc_rss_mb(pid)
            use.append(WorkerUse(name, _proc_cpu_s(pid) - cpu_before[name], rss, peak))
        alive = all(w.alive for w in workers)
        every_run = _runs(config, window_start)
        runs = [
            (r.store, r.started, r.finished, r.outcome) for r in every_run if r.job == "products"
        ]
    finally:
        for worker in workers:
            worker.stop()
        sandbox.terminate()
        sandbox.wait(timeout=30)
        storage.drop()
        shutil.rmtree(root, ignore_errors=True)
    load = " / ".join(f"{x:.2f}" for x in load_before) + " -> "
    load += " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return _section(
        stores,
        items,
        concurrency,
        warm_s,
        window_s,
        steps,
        use,
        runs,
        job_rows(every_run),
        alive,
        load,
    )


def _section(
    stores: int,
    items: int,
    concurrency: int,
    warm_s: float,
    window_s: float,
    steps: int,
    use: list[WorkerUse],
    runs: list[tuple[str, datetime, datetime | None, str]],
    jobs: list[list[str]],
    alive: bool,
    load: str,
) -> str:
    interval = INTERVALS["products"]
    by_store: dict[str, list[tuple[datetime, datetime | None, str]]] = {
        f"s{n}": [] for n in range(1, stores + 1)
    }
    for store, start, finish, outcome in runs:
        by_store.setdefault(store, []).append((start, finish, outcome))
    durations = [
        (finish - start).total_seconds()
        for entries in by_store.values()
        for start, finish, _ in entries
        if finish is not None
    ]
    gaps = [
        (b[0] - a[0]).total_seconds()
        for entries in by_store.values()
        for a, b in itertools.pairwise(entries)
    ]
    counts = [len(entries) for entries in by_store.values()]
    failed = sum(1 for _, _, _, outcome in runs if outcome not in ("ok", "running"))
    longest = max(durations, default=0.0)
    widest = max(gaps, default=float("nan"))  # nan: no store ran twice (never "met")
    expected = int(window_s // (interval + TICK_S))
    fewest, most = min(counts), max(counts)
    targets = [
        (
            "every products run shorter than its interval",
            f"longest {longest:.1f} s of {interval} s",
            longest <= interval,
        ),
        (
            f"every store's products runs start within interval + one tick ({interval:.0f} + "
            f"{TICK_S:.0f} s)",
            f"widest gap {widest:.1f} s",
            widest <= interval + TICK_S,
        ),
        (
            "no store starves another: every store ran about as often",
            f"{fewest}-{most} runs per store in {window_s / 60:.1f} min (at least {expected} due)",
            fewest >= max(1, expected),
        ),
        (
            "no failed run, no worker lost",
            f"{failed} failed; workers alive: {alive}",
            failed == 0 and alive,
        ),
    ]
    met = sum(1 for _, _, ok in targets if ok)
    lines = [
        START,
        f"## Many stores: {stores} stores x {items:,} items, two workers on PostgreSQL",
        "",
        f"Written by `python -m bench.stores` (`make bench-stores`) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {stores} stores, each its own demo POS "
        f"(SQLite, {items:,} items, incremental reads) and its own sandbox WooCommerce (its own "
        f"port of one `bench.multi_sandbox` process, 50 ms a request); StoreBridge's storage on the local "
        f"PostgreSQL; two `storebridge worker` processes (procrastinate, {concurrency} jobs at once "
        f"each). "
        f"Intervals: {', '.join(f'{k} {v} s' for k, v in INTERVALS.items())}; a worker looks "
        f"for due jobs when the next one falls due, at least every {TICK_S:.0f} s. "
        f"Warm-up (every store's first sync, "
        f"{stores * items:,} creates, and the run after it, which reads them back): "
        f"{warm_s:.0f} s. Then {window_s / 60:.1f} min measured "
        f"while the till played {steps} bursts of 5 events (sales, receipts, price changes) in "
        f"random stores. Load average before -> after: {load}.",
        "",
        f"### Targets ({met} of {len(targets)} met)",
        "",
        markdown_table(
            ["target", "figure", "verdict"],
            [[name, figure, "met" if ok else "missed"] for name, figure, ok in targets],
        ),
        "",
        "### Workers",
        "",
        markdown_table(
            [
                "worker",
                "CPU s in the window",
                "share of one core",
                "RSS MB at the end",
                "peak RSS MB",
            ],
            [
                [
                    u.name,
                    f"{u.cpu_s:.1f}",
                    f"{u.cpu_s / window_s:.0%}",
                    f"{u.rss_mb:.0f}",
                    f"{u.peak_rss_mb:.0f}",
                ]
                for u in use
            ],
        ),
        "",
        "### Products runs in the window",
        "",
        markdown_table(
            [
                "runs",
                "per store (fewest / most)",
                "duration s (median / longest)",
                "gap between starts s (median / widest)",
            ],
            [
                [
                    f"{len(runs):,}",
                    f"{fewest} / {most}",
                    f"{_median(durations):.1f} / {longest:.1f}",
                    f"{_median(gaps):.1f} / {widest:.1f}",
                ]
            ],
        ),
        "",
        "### Every job in the window",
        "",
        markdown_table(
            [
                "job",
                "interval",
                "runs",
                "duration s (median / longest)",
                "scheduled runs started late s (median / most)",
            ],
            jobs,
        ),
        "",
        "- Late: start - previous start - interval, for runs the schedule started (a run "
        "triggered by a webhook or a POS change comes early and is left out). A run starts late "
        "when it waits in the queue for a free slot or for its store's lock.",
        END,
    ]
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stores", description=__doc__)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--latency", type=float, default=50.0)
    parser.add_argument(
        "--concurrency", type=int, default=8, help="jobs at once per worker (8: they mostly wait)"
    )
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="'-' prints the section")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    text = run(options.stores, options.items, options.minutes, options.latency, options.concurrency)
    if options.output == "-":
        print(text)
        return 0
    output = Path(options.output)
    page = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    output.write_text(SECTION.splice(page, text, before=(TRYTON_HEADING,)), encoding="utf-8")
    _log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
