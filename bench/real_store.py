"""StoreBridge against a real WooCommerce, next to what the store itself can do.

On a real store the middleware's wall time is set by WooCommerce's PHP
workers (a batch of 100 creates takes seconds), so the figure that matters is
how close StoreBridge comes to the store's own limit.  In one run, against the
store given by WOO_URL / WOO_KEY / WOO_SECRET:

1. **The store's own limit**, first (`bare_batches`): the same create payloads
   StoreBridge sends, 100 per ``POST /products/batch``, from a bare loop at a
   fixed concurrency of 1, 2, 4 and 8: plain httpx, no retries, no StoreBridge
   logic; then one bare update batch (the 5 % price change) and a bare read of
   the items back, 100 a page.  Each level's products are deleted before the
   next, so every level and StoreBridge's first sync start from the same store.
2. **StoreBridge** (`bench.worker`, a fresh process per step, as in the sandbox
   run): the first sync of the catalogue; the first cycle after it, which reads
   back the products the first sync created (the link check's first look at
   them), reported as its own step so that it does not pollute the next; a 5 %
   price change; and an idle cycle.
3. **The ratios** StoreBridge wall / bare wall (first sync against the best
   bare create loop, the price change against the bare update batch; target
   <= 1.10), and StoreBridge's CPU per item next to WooCommerce's own time per
   item.  Each step also says how long it ran before its first batch request and
   how many batch requests it kept in flight on average (`BatchTiming`).

Everything the run creates carries a unique SKU and name prefix and is deleted
afterwards with batch deletes (always permanent); categories are not created
(`create_categories = false`), so a shared store keeps none of it.

`python -m bench.real_store` (`make bench-woo`) writes its section of
docs/benchmarks.md; `python -m bench` runs it too when WOO_URL is set, and
otherwise keeps the last section (or says it was skipped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from bench.sections import Section
from bench.sql_read import SECTION as SQL_SECTION
from bench.steps import StepResult, run_step
from bench.store_events import change_prices
from bench.table import Target, fmt_int, fmt_s, markdown_table
from bench.tryton_section import SECTION_HEADING as TRYTON_HEADING
from bench.worker import run_isolated
from bench.workspace import Workspace
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.settings import DemoPosSettings
from storebridge.domain.ownership import create_payload
from storebridge.domain.validation import validate_feed
from storebridge.woocommerce import AimdPolicy, WooConnection, build_auth

__all__ = [
    "LEVELS",
    "SECTION",
    "BareRun",
    "RealFigures",
    "RealStoreRun",
    "StoreAccess",
    "bare_batches",
    "ids_named",
    "main",
    "measure_real_store",
    "place",
    "real_section",
    "skipped_section",
]

SECTION = Section("real-woo")
HEADING = "## Real WooCommerce: StoreBridge next to the store's own limit"
_FIGURES = "<!-- real-woo:figures "
#: Concurrency levels of the bare loop.
LEVELS = (1, 2, 4, 8)
ITEMS = 2_000
PRICE_SHARE = 0.05
RATIO_TARGET = 1.10
CPU_SHARE_TARGET = 0.10
#: StoreBridge's ceiling: the same as the bare loop's highest level.
MAX_CONCURRENCY = 8
#: Where StoreBridge's adaptive batch concurrency starts on a store it has no run for.
_START = AimdPolicy().start_for(MAX_CONCURRENCY)
BATCH = 100
_TIMEOUT_S = 300.0


@dataclass(frozen=True, slots=True)
class StoreAccess:
    """The store to measure, from WOO_URL, WOO_KEY and WOO_SECRET."""

    url: str
    key: str
    secret: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StoreAccess | None:
        """The store the environment names, or None when WOO_URL is unset."""
        url = environ.get("WOO_URL", "").strip()
        if not url:
            return None
        key, secret = environ.get("WOO_KEY", "").strip(), environ.get("WOO_SECRET", "").strip()
        if not key or not secret:
            raise SystemExit("WOO_URL is set: WOO_KEY and WOO_SECRET (read_write) are needed too")
        return cls(url, key, secret)

    def connection(self) -> WooConnection:
        """Connection settings for the bare loop (auth as StoreBridge would pick it)."""
        return WooConnection(
            url=self.url,
            consumer_key=SecretStr(self.key),
            consumer_secret=SecretStr(self.secret),
            timeout_s=_TIMEOUT_S,
        )


@dataclass(frozen=True, slots=True)
class BareRun:
    """One bare loop: `items` objects in `requests` requests at a fixed concurrency."""

    action: str
    concurrency: int
    items: int
    requests: int
    wall_s: float
    failed: int = 0
    ids: tuple[int, ...] = field(default=(), repr=False)
    #: Requests running at once on average over the wall time (below `concurrency`
    #: when the last round holds fewer requests than the level).
    in_flight: float = 0.0

    @property
    def per_item_s(self) -> float:
        """WooCommerce's wall time per item at this level."""
        return self.wall_s / self.items if self.items else 0.0


async def _send(
    http: httpx.AsyncClient,
    gate: asyncio.Semaphore,
    method: str,
    path: str,
    busy: list[float] | None = None,
    **options: Any,
) -> Any:
    async with gate:
        started = time.perf_counter()
        response = await http.request(method, path, **options)
        if busy is not None:
            busy.append(time.perf_counter() - started)
    response.raise_for_status()
    return response.json()


def _client(connection: WooConnection, transport: httpx.AsyncBaseTransport | None) -> Any:
    return httpx.AsyncClient(
        base_url=connection.api_base,
        auth=build_auth(connection),
        timeout=connection.timeout_s,
        transport=transport,
        headers={"User-Agent": "storebridge-bench-bare-loop"},
    )


async def bare_batches(
    connection: WooConnection,
    action: str,
    payloads: Sequence[Any],
    concurrency: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> BareRun:
    """Send `payloads` as `action` ("create", "update" or "delete": then they are ids) 100 per
    batch request, `concurrency` requests at a time: the store's own limit, without StoreBridge."""
    bodies = [
        {action: list(payloads[start : start + BATCH])} for start in range(0, len(payloads), BATCH)
    ]
    gate = asyncio.Semaphore(concurrency)
    busy: list[float] = []
    async with _client(connection, transport) as http:
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(_send(http, gate, "POST", "/products/batch", busy, json=body) for body in bodies)
        )
        wall = time.perf_counter() - started
    ids: list[int] = []
    failed = 0
    for answer in answers:
        for entry in answer.get(action, []):
            if isinstance(entry, dict) and "error" not in entry and entry.get("id"):
                ids.append(int(entry["id"]))
            else:
                failed += 1
    in_flight = sum(busy) / wall if wall > 0 else 0.0
    return BareRun(
        action, concurrency, len(payloads), len(bodies), wall, failed, tuple(ids), in_flight
    )


async def bare_read(
    connection: WooConnection,
    prefix: str,
    concurrency: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> BareRun:
    """Read back every product named with `prefix`, 100 a page, pages fetched concurrently."""
    gate = asyncio.Semaphore(concurrency)
    params = {"search": prefix, "per_page": BATCH, "status": "any", "orderby": "id"}
    async with _client(connection, transport) as http:
        started = time.perf_counter()
        first = await http.get("/products", params=params)
        first.raise_for_status()
        pages = int(first.headers.get("X-WP-TotalPages", "1"))
        rest = await asyncio.gather(
            *(
                _send(http, gate, "GET", "/products", params={**params, "page": page})
                for page in range(2, pages + 1)
            )
        )
        wall = time.perf_counter() - started
    items = len(first.json()) + sum(len(page) for page in rest)
    return BareRun("read", concurrency, items, pages, wall)


async def ids_named(
    connection: WooConnection, prefix: str, transport: httpx.AsyncBaseTransport | None = None
) -> list[int]:
    """Ids of the products whose SKU or name starts with `prefix`."""
    params = {"search": prefix, "per_page": BATCH, "status": "any", "_fields": "id,sku,name"}
    found: list[int] = []
    async with _client(connection, transport) as http:
        page = 1
        while True:
            response = await http.get("/products", params={**params, "page": page})
            response.raise_for_status()
            rows = response.json()
            # `search` matches any product whose text holds the prefix: keep only this run's.
            found += [
                int(r["id"])
                for r in rows
                if prefix in str(r.get("sku", "")) or prefix in str(r.get("name", ""))
            ]
            if page >= int(response.headers.get("X-WP-TotalPages", "1")):
                return found
            page += 1


async def delete_products(
    connection: WooConnection,
    ids: Sequence[int],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Delete `ids` for good with batch deletes; returns how many the store deleted."""
    if not ids:
        return 0
    run = await bare_batches(connection, "delete", list(ids), 4, transport=transport)
    return len(run.ids)


async def sweep(
    connection: WooConnection, prefix: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> int:
    """Delete every product this run left behind (named or SKU'd with `prefix`)."""
    deleted = 0
    for _ in range(10):  # again until none is left: a product created late may be missed
        ids = await ids_named(connection, prefix, transport)
        if not ids:
            break
        deleted += await delete_products(connection, ids, transport=transport)
    return deleted


# -- the catalogue ---------------------------------------------------------------------------


def prefix_catalogue(pos_path: Path, prefix: str) -> None:
    """Give every SKU and name of the demo POS the run's prefix (unique on a shared store)."""
    conn = sqlite3.connect(pos_path)
    try:
        with conn:  # one transaction; foreign keys stay off on a bare sqlite3 connection
            for table in ("webstore_prices", "stock", "stock_moves"):
                conn.execute(f"UPDATE {table} SET sku = ? || sku", (prefix,))
            conn.execute(
                "UPDATE items SET sku = ? || sku, sku_key = lower(? || sku), name = ? || ' ' || name",
                (prefix, prefix, prefix),
            )
    finally:
        conn.close()


def create_payloads(workspace: Workspace, sku_tag: str = "") -> list[dict[str, Any]]:
    """The create payloads StoreBridge's first sync sends for this catalogue (built untimed).

    `sku_tag` goes in front of the SKU and the name, so a bare level never collides with
    StoreBridge's own products and can be found apart from them.
    """
    pos = DemoPos(DemoPosSettings(path=workspace.pos_path, seed_items=0, seed_styles=0))
    feed = validate_feed(pos.read_items())
    payloads = []
    for item in feed.items:
        payload = dict(create_payload(item, sum(item.on_hand.values())))
        payload["sku"] = sku_tag + item.sku
        payload["name"] = sku_tag + item.name
        payloads.append(payload)
    return payloads


# -- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RealFigures:
    """WooCommerce's own time per item, read by the sandbox run's targets."""

    create_ms: float
    update_ms: float
    read_ms: float
    measured: str

    def comment(self) -> str:
        """The machine-readable line kept in the section."""
        return f"{_FIGURES}{json.dumps(asdict(self))} -->"

    @classmethod
    def from_page(cls, page: str) -> RealFigures | None:
        """The figures of a page's real-store section, if it has measured ones."""
        section = SECTION.find(page)
        if section is None or _FIGURES not in section:
            return None
        line = section.split(_FIGURES, 1)[1].split(" -->", 1)[0]
        return cls(**json.loads(line))


@dataclass
class RealStoreRun:
    """Everything one real-store run measured."""

    url: str
    items: int
    started: datetime
    bare: list[BareRun] = field(default_factory=list)
    bare_update: BareRun | None = None
    bare_read: BareRun | None = None
    #: The best level's bare loop once more, right after StoreBridge's first sync: on a
    #: shared machine the store's speed drifts, so the first sync is judged against the
    #: faster of the two (the stricter comparison).
    bare_again: BareRun | None = None
    first_sync: StepResult | None = None
    #: The cycle right after the first sync: it reads back what the first sync created.
    read_back: StepResult | None = None
    price_change: StepResult | None = None
    changed: int = 0
    idle: StepResult | None = None
    cleaned: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    note: str = ""
    #: False while the run goes on, and for good if it stopped half-way.
    finished: bool = False

    @property
    def best_bare(self) -> BareRun:
        """The fastest bare create loop, the repeat after the first sync included."""
        again = [self.bare_again] if self.bare_again is not None else []
        return min([*self.bare, *again], key=lambda run: run.wall_s)

    def woo_ms(self, action: str) -> float:
        """WooCommerce's own ms per created, updated or read item (0 until measured)."""
        bare = {
            "create": self.best_bare if self.bare else None,
            "update": self.bare_update,
            "read": self.bare_read,
        }[action]
        return bare.per_item_s * 1000 if bare else 0.0

    def figures(self) -> RealFigures | None:
        """WooCommerce's own time per created, updated and read item (once all are measured)."""
        if not self.bare or self.bare_update is None or self.bare_read is None:
            return None
        return RealFigures(
            create_ms=round(self.woo_ms("create"), 2),
            update_ms=round(self.woo_ms("update"), 2),
            read_ms=round(self.woo_ms("read"), 3),
            measured=f"{self.started:%Y-%m-%d %H:%M UTC}",
        )


def measure_real_store(
    access: StoreAccess,
    root: Path,
    *,
    items: int = ITEMS,
    levels: Sequence[int] = LEVELS,
    log: Callable[[str], None],
    isolate: bool = True,
    note: str = "",
    progress: Callable[[RealStoreRun], None] = lambda _run: None,
) -> RealStoreRun:
    """Run the bare loops and StoreBridge's steps against the store; clean up after.

    `progress` sees the run after each phase, so that a run stopped half-way (a store
    slower than planned) still leaves what it measured.
    """
    prefix = f"SBB{int(time.time()) % 1_000_000:06d}-"
    connection = access.connection()
    workspace = Workspace(
        root,
        access.url,
        size=items,
        max_concurrency=MAX_CONCURRENCY,
        keys_from_env=True,
        create_categories=False,
        timeout_s=_TIMEOUT_S,
    )
    run = RealStoreRun(access.url, items, datetime.now(UTC), load_before=os.getloadavg(), note=note)
    env = {"WOO_KEY": access.key, "WOO_SECRET": access.secret}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # the worker processes read the keys from here
    try:
        workspace.prepare()
        prefix_catalogue(workspace.pos_path, prefix)
        log(f"real store {access.url}: prefix {prefix}, {items:,} items")
        # The bare payloads are built before StoreBridge's price change moves the POS.
        bare_payloads = {level: create_payloads(workspace, f"B{level}-") for level in levels}
        again_payloads = create_payloads(workspace, "BA-")
        _bare_levels(run, connection, bare_payloads, log, progress)
        step = run_isolated if isolate else run_step
        log("StoreBridge: first sync")
        run.first_sync = _checked(step(workspace, "sync"), "first sync")
        progress(run)
        level = min(run.bare, key=lambda bare: bare.wall_s).concurrency
        log(f"bare loop again at concurrency {level}, right after the first sync")
        run.bare_again = asyncio.run(bare_batches(connection, "create", again_payloads, level))
        progress(run)
        asyncio.run(delete_products(connection, run.bare_again.ids))
        log("StoreBridge: the first cycle after it (reads its products back)")
        run.read_back = _checked(step(workspace, "sync"), "first cycle after the first sync")
        progress(run)
        run.changed = len(change_prices(workspace.pos_path, max(1, round(items * PRICE_SHARE))))
        log(f"StoreBridge: {run.changed} prices changed")
        run.price_change = _checked(step(workspace, "sync"), "price change")
        progress(run)
        log("StoreBridge: idle cycle")
        run.idle = _checked(step(workspace, "sync"), "idle cycle")
        progress(run)
        run.finished = True
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        log(f"deleting everything named {prefix}")
        run.cleaned = asyncio.run(sweep(connection, prefix))
        run.load_after = os.getloadavg()
    return run


def _bare_levels(
    run: RealStoreRun,
    connection: WooConnection,
    bare_payloads: Mapping[int, Sequence[Mapping[str, Any]]],
    log: Callable[[str], None],
    progress: Callable[[RealStoreRun], None],
) -> None:
    levels = list(bare_payloads)
    for level in levels:
        payloads = bare_payloads[level]
        log(f"bare loop: {len(payloads):,} creates at concurrency {level}")
        created = asyncio.run(bare_batches(connection, "create", payloads, level))
        run.bare.append(created)
        if level == levels[-1]:
            changed = max(1, round(len(created.ids) * PRICE_SHARE))
            step = max(1, len(created.ids) // changed)
            updates = [{"id": i, "regular_price": "12.34"} for i in created.ids[::step][:changed]]
            log(f"bare loop: {len(updates)} price updates, then reading {len(created.ids):,} back")
            run.bare_update = asyncio.run(bare_batches(connection, "update", updates, level))
            # Named apart from anything else on the store, read back alone.
            run.bare_read = asyncio.run(bare_read(connection, created_prefix(payloads), level))
        progress(run)
        asyncio.run(delete_products(connection, created.ids))


def created_prefix(payloads: Sequence[Mapping[str, Any]]) -> str:
    """The name prefix of these payloads (every name starts with it, then a space)."""
    return str(payloads[0]["name"]).split(" ", 1)[0] if payloads else ""


def _checked(result: StepResult, label: str) -> StepResult:
    if result.error is not None:
        raise RuntimeError(f"{label}: the StoreBridge run stopped: {result.error}")
    return result


# -- the section -----------------------------------------------------------------------------


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def _cpu_target(label: str, step: StepResult, items: int, woo_ms: float) -> Target:
    cpu_ms = step.cpu_s / items * 1000 if items else 0.0
    share = cpu_ms / woo_ms if woo_ms else 0.0
    met = bool(woo_ms) and share <= CPU_SHARE_TARGET
    why = "" if met else f"{cpu_ms:.2f} ms of CPU per item against {woo_ms:.1f} ms of WooCommerce"
    return Target(
        f"{label}: CPU per item <= 10% of WooCommerce's own time per item",
        f"{cpu_ms:.2f} ms vs {woo_ms:.1f} ms ({share:.1%})",
        met,
        why,
    )


def _batches(step: StepResult) -> str:
    """How the step's batches ran, for a sentence."""
    timing = step.batches
    return (
        f"{timing.before_s:.1f} s before its first batch request (reads, planning), then "
        f"{timing.span_s:.0f} s of batches with {timing.in_flight:.1f} in flight on average"
    )


def real_targets(run: RealStoreRun) -> list[Target]:
    """The real-store targets, judged on this run."""
    out: list[Target] = []
    if run.first_sync is not None and run.bare:
        ratio = run.first_sync.wall_s / run.best_bare.wall_s
        best = run.best_bare
        counts = run.first_sync.counts
        why = (
            ""
            if ratio <= RATIO_TARGET
            else f"StoreBridge {run.first_sync.wall_s:.1f} s against the bare loop's "
            f"{best.wall_s:.1f} s at concurrency {best.concurrency} ({best.in_flight:.1f} in "
            f"flight on average): {_batches(run.first_sync)}, the adaptive level peaking at "
            f"{counts.get('concurrency_peak', '?')} of {MAX_CONCURRENCY} and ending at "
            f"{counts.get('concurrency', '?')}; {run.first_sync.cpu_s:.1f} s of CPU"
        )
        out.append(
            Target(
                f"first sync of {run.items:,}: StoreBridge wall / best bare-batch wall <= 1.10",
                f"{ratio:.2f}",
                ratio <= RATIO_TARGET,
                why,
            )
        )
        out.append(_cpu_target("first sync", run.first_sync, run.items, run.woo_ms("create")))
    if run.price_change is not None and run.bare_update is not None:
        ratio = run.price_change.wall_s / run.bare_update.wall_s
        why = (
            ""
            if ratio <= RATIO_TARGET
            else f"the bare loop sends one batch of {run.bare_update.items} updates "
            f"({run.bare_update.wall_s:.1f} s); StoreBridge's cycle also reads the feed, the "
            f"orders and what changed in WooCommerce ({run.price_change.requests.reads} reads): "
            f"{_batches(run.price_change)}; {run.price_change.cpu_s:.1f} s of CPU over "
            f"{run.items:,} items"
        )
        out.append(
            Target(
                f"{run.changed} prices changed (5%): StoreBridge wall / bare update wall <= 1.10",
                f"{ratio:.2f}",
                ratio <= RATIO_TARGET,
                why,
            )
        )
        out.append(_cpu_target("price change", run.price_change, run.changed, run.woo_ms("update")))
    if run.idle is not None:
        writes = run.idle.requests.writes
        out.append(Target("idle cycle: 0 writes", f"{writes} writes", writes == 0))
    return out


def _steps_table(run: RealStoreRun) -> str:
    rows = []
    for label, step, items, woo_ms, bare in (
        (f"first sync of {run.items:,} items", run.first_sync, run.items, run.woo_ms("create"),
         run.best_bare if run.bare else None),
        ("first cycle after the first sync (reads its products back)", run.read_back, run.items,
         run.woo_ms("read"), run.bare_read),
        (f"{run.changed} prices changed (5%)", run.price_change, run.changed, run.woo_ms("update"),
         run.bare_update),
        ("idle cycle", run.idle, run.items, 0.0, None),
    ):  # fmt: skip
        if step is None:
            continue
        level = (
            f"{step.counts['concurrency']} (peak {step.counts['concurrency_peak']} "
            f"of {MAX_CONCURRENCY})"
            if "concurrency" in step.counts
            else "no batches"
        )
        sent = step.batches.span_s > 0
        rows.append(
            [
                label,
                fmt_s(step.wall_s),
                fmt_s(step.cpu_s),
                f"{step.cpu_s / items * 1000:.2f}" if items else "-",
                f"{woo_ms:.1f}" if woo_ms else "-",
                f"{step.peak_rss_mb:.0f}",
                fmt_int(step.requests.reads),
                fmt_int(step.requests.writes),
                fmt_s(step.batches.before_s) if sent else "-",
                f"{step.batches.in_flight:.1f}" if sent else "-",
                level,
                fmt_s(bare.wall_s) if bare else "-",
                f"{step.wall_s / bare.wall_s:.2f}" if bare else "-",
            ]
        )
    header = [
        "step",
        "wall s",
        "CPU s",
        "CPU ms per item",
        "WooCommerce ms per item (bare)",
        "peak RSS MB",
        "reads",
        "writes",
        "s before the first batch",
        "batches in flight (average)",
        "batches at once: end (peak of max)",
        "bare wall s",
        "StoreBridge / bare",
    ]
    return markdown_table(header, rows)


def _bare_row(bare: BareRun, speed_up: str) -> list[str]:
    return [
        f"{bare.action}, concurrency {bare.concurrency}",
        fmt_int(bare.items),
        fmt_int(bare.requests),
        fmt_s(bare.wall_s),
        f"{bare.in_flight:.1f}" if bare.in_flight else "-",
        fmt_int(bare.items / bare.wall_s) if bare.wall_s else "-",
        f"{bare.per_item_s * 1000:.1f}",
        speed_up,
        fmt_int(bare.failed),
    ]


def _bare_table(run: RealStoreRun) -> str:
    first = run.bare[0].wall_s if run.bare else 0.0
    rows = [_bare_row(b, f"{first / b.wall_s:.2f}x" if b.wall_s else "-") for b in run.bare]
    if run.bare_again is not None:
        again = _bare_row(run.bare_again, f"{first / run.bare_again.wall_s:.2f}x")
        again[0] += " again, right after StoreBridge's first sync"
        rows.append(again)
    rows += [_bare_row(extra, "-") for extra in (run.bare_update, run.bare_read) if extra]
    header = [
        "bare loop",
        "items",
        "requests",
        "wall s",
        "in flight (average)",
        "items/s",
        "ms per item",
        "speed-up vs concurrency 1",
        "items refused",
    ]
    return markdown_table(header, rows)


def real_section(run: RealStoreRun) -> str:
    """The real-store section of docs/benchmarks.md, markers included."""
    found = real_targets(run)
    met = sum(1 for t in found if t.met)
    levels = run.first_sync.counts if run.first_sync else {}
    figures = run.figures()
    best = (
        f"- Best: concurrency {run.best_bare.concurrency}"
        f"{' (the repeat)' if run.best_bare is run.bare_again else ''}, "
        f"{run.best_bare.wall_s:.1f} s for "
        f"{run.best_bare.items:,} creates ({run.woo_ms('create'):.1f} ms per item)."
        if run.bare
        else "- No bare loop finished."
    )
    stopped = (
        ""
        if run.finished
        else "\n\n**Incomplete**: the run stopped before all its steps ran; the tables hold "
        "what it measured."
    )
    lines = [
        HEADING,
        "",
        f"Measured by `python -m bench.real_store` (`make bench-woo`; `make bench` runs it when "
        f"WOO_URL is set) on {run.started:%Y-%m-%d %H:%M UTC} against {run.url}. The store "
        "serves PHP on this same machine, so StoreBridge, the bare loop and WooCommerce share "
        f"its cores with other work (load average before -> after: {_load(run.load_before)} "
        f"-> {_load(run.load_after)}).{' ' + run.note if run.note else ''}{stopped}",
        "",
        "- **Bare loop**, first: StoreBridge's own create payloads for the catalogue, "
        f"{BATCH} per `POST /products/batch`, sent by plain httpx at a fixed concurrency "
        f"({', '.join(str(b.concurrency) for b in run.bare)}), no retries and no StoreBridge "
        "logic; each level's products deleted before the next, so each level and "
        "StoreBridge's first sync start from the same store. Then one bare update batch "
        "(the same share of prices) and a bare read of the items back, 100 a page. The "
        "fastest level runs once more right after StoreBridge's first sync: the store's "
        "speed drifts with the machine's load, and the first sync is judged against the "
        "faster of the two.",
        "- **StoreBridge**: each step in a fresh process (`bench.worker`), demo POS, SQLite, "
        f"`max_concurrency = {MAX_CONCURRENCY}` with the adaptive batch concurrency, "
        f"`timeout_s = {_TIMEOUT_S:g}` (as the bare loop; a loaded store takes long over a "
        "batch), `create_categories = false` (a shared store keeps no categories of ours). "
        "Steps: the first sync; the first cycle after it, which reads back every product "
        "the first sync created (the link check's first look at them: a cost paid once, "
        "reported apart so that it does not weigh on the next step); 5% of the prices "
        "changed in the POS and synced; an idle cycle.",
        f"- Every product carries a unique SKU and name prefix; {run.cleaned:,} left at the end "
        "were deleted with batch deletes (permanent).",
        "",
        "### The store's own limit",
        "",
        _bare_table(run),
        "",
        best,
        "",
        "### StoreBridge on the same store",
        "",
        _steps_table(run),
        "",
        f"- The first sync's adaptive concurrency started at {_START} batches at once (half "
        f"of `max_concurrency` {MAX_CONCURRENCY}; the store had no earlier run to resume "
        "from), rose by one per batch that finished with the store's throughput holding "
        f"(slow start), peaked at {levels.get('concurrency_peak', '?')} and ended at "
        f"{levels.get('concurrency', '?')}; later runs start where it ended.",
        "- *s before the first batch*: from the step's start (services open) to its first "
        "batch request; *batches in flight*: batch requests running at once on average "
        "from the first one's start to the last one's end.",
        "",
        f"### Targets on the real store ({met} of {len(found)} met)",
        "",
        markdown_table(
            ["target", "figure", "verdict", "why (when missed)"],
            [[t.name, t.figure, f"**{t.verdict}**", t.why] for t in found],
        ),
        "",
        figures.comment() if figures else "",
    ]
    return SECTION.wrap("\n".join(lines))


def skipped_section() -> str:
    """The section when no real store was given and no earlier figures exist."""
    return SECTION.wrap(
        f"{HEADING}\n\nSkipped: WOO_URL is not set. Set WOO_URL, WOO_KEY and WOO_SECRET "
        "(a read_write key) and run `make bench-woo` (or `make bench`) to measure StoreBridge "
        "against a real WooCommerce."
    )


def place(page: str, section: str) -> str:
    """`page` with the real-store section in place: after the sandbox's scenarios, in front of
    the SQL and Tryton sections (the Tryton one runs to the next heading)."""
    return SECTION.splice(page, section, before=(SQL_SECTION.start, TRYTON_HEADING))


def write_section(page_path: Path, section: str) -> None:
    """Put `section` into the page at `page_path` (created when missing)."""
    page = page_path.read_text(encoding="utf-8") if page_path.exists() else "# Benchmarks\n"
    page_path.write_text(place(page, section), encoding="utf-8")


def _log(message: str) -> None:
    print(f"[bench.real_store {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.real_store [--items N] [--note TEXT] [--output PATH]`."""
    from bench.cli import DEFAULT_OUTPUT

    parser = argparse.ArgumentParser(prog="python -m bench.real_store", description=__doc__)
    parser.add_argument("--items", type=int, default=ITEMS, help=f"catalogue size ({ITEMS:,})")
    parser.add_argument("--note", default="", help="a sentence on the run's circumstances")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    access = StoreAccess.from_env(os.environ)
    if access is None:
        print("real WooCommerce: skipped (WOO_URL is not set)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="storebridge-real-") as scratch:
        run = measure_real_store(
            access,
            Path(scratch) / "ws",
            items=args.items,
            log=_log,
            note=args.note,
            progress=lambda partial: write_section(args.output, real_section(partial)),
        )
    write_section(args.output, real_section(run))
    _log(f"wrote the real-store section of {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
