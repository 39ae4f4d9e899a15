"""One soak: store life and chaos for a given time, a settle with the faults off, the checks.

`Soak.run` plays, concurrently (asyncio tasks in the harness process):

* store life (`runner.demo_life.StoreLife`): till sales, receipts and price
  changes in the demo POS; shoppers' web orders and the merchant completing
  or cancelling them in the sandbox;
* tracked price changes: a linked item's POS price moves and the harness
  times how long WooCommerce takes to show it;
* kills: a StoreBridge process (the runner, or one of the workers) is
  SIGKILLed at a random moment and restarted at once;
* POS outages: the demo POS's offline marker file exists for a while;
* malformed rows added to the POS, forged webhooks (a wrong HMAC) sent to
  the receiver, and dashboard probes (logins and page loads) every second.

The sandbox injects API faults (`FAULTS`, 20% of requests) and webhook chaos
(`WEBHOOK_FAULTS`) throughout.  Then the faults stop, the system settles,
and `checks` decides.  Every figure lands in `Findings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, text

from bench.soak.checks import CONVERGENT, Invariant, Observed, Snapshot, check, gather
from bench.soak.world import STORE, USERNAME, SoakWorld
from storebridge.bootstrap import Services
from storebridge.persistence.tables import Order, ProductLink
from storebridge.runner.demo_life import StoreLife
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from storebridge.woocommerce import WooClient, WooConnection

__all__ = ["FAULTS", "WEBHOOK_FAULTS", "Findings", "Plan", "Soak"]

#: API faults: 20% of requests fail one way or another.
FAULTS: dict[str, float] = {
    "rate_429": 0.06,
    "rate_500": 0.03,
    "rate_502": 0.02,
    "rate_503": 0.03,
    "rate_drop": 0.03,
    "rate_timeout": 0.02,
    "rate_drop_after": 0.01,
}
#: Webhook chaos: lost, duplicated, and late enough to arrive out of order.
WEBHOOK_FAULTS: dict[str, float] = {
    "webhook_drop_rate": 0.15,
    "webhook_duplicate_rate": 0.15,
    "webhook_max_extra_delay_seconds": 5.0,
}
BAD_ROWS = (
    ("negative price", {"price": "-4.00"}),
    ("price that is not a number", {"price": "twelve"}),
    ("sale price above the regular price", {"price": "10.00", "sale_price": "15.00"}),
    ("empty name", {"name": ""}),
)
PAGES = ("/", "/products", "/orders", "/runs", "/quarantine")


@dataclass(frozen=True, slots=True)
class Plan:
    """How hard and how long to shake."""

    minutes: float = 10.0
    seed: int = 12
    kill_every_s: tuple[float, float] = (20.0, 60.0)
    outage_every_s: float = 150.0
    outage_s: tuple[float, float] = (15.0, 35.0)
    bad_row_every_s: float = 90.0
    forged_every_s: float = 5.0
    price_change_every_s: float = 8.0
    life_every_s: float = 2.0
    settle_timeout_s: float = 300.0


@dataclass
class Findings:
    """Everything the report shows."""

    storage: str
    plan: Plan
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    chaos_s: float = 0.0
    settle_s: float = 0.0
    settled: bool = False
    kills: Counter[str] = field(default_factory=Counter)
    restarts_ok: int = 0
    outages: list[float] = field(default_factory=list)
    life: Counter[str] = field(default_factory=Counter)
    price_lags: list[float] = field(default_factory=list)
    price_changes_superseded: int = 0
    requests: dict[str, Any] = field(default_factory=dict)
    harness_requests: int = 0
    webhooks_dropped: list[dict[str, Any]] = field(default_factory=list)
    webhooks_recovered: int = 0
    observed: Observed = field(default_factory=Observed)
    invariants: list[Invariant] = field(default_factory=list)
    #: procrastinate's jobs by status at the end (PostgreSQL workers only).
    queue: dict[str, int] = field(default_factory=dict)

    @property
    def green(self) -> bool:
        """All invariants held."""
        return bool(self.invariants) and all(i.ok for i in self.invariants)


def _life_kind(line: str) -> str:
    """The kind of a `StoreLife` event line: "till sale", "web order", "order completed"..."""
    if line.startswith("in store: "):
        return "till " + line.removeprefix("in store: ").split(" ", 1)[0].replace("_", " ")
    if line.startswith("web order"):
        return "web order"
    if line.startswith("merchant: order"):
        return "order " + line.rsplit(" ", 1)[1]
    return "draft published" if line.startswith("merchant: published") else "other"


@dataclass
class _Tracked:
    sku: str
    price: Decimal
    at: float


class Soak:
    """One soak over a prepared, started `SoakWorld`."""

    def __init__(self, world: SoakWorld, plan: Plan, log: Callable[[str], None]) -> None:
        self.world = world
        self.plan = plan
        self.log = log
        self.rng = random.Random(plan.seed)
        self.found = Findings(world.storage.kind, plan)
        self.services: Services = world.services()
        self.life = StoreLife(
            self.services, STORE, world.sandbox.url, rng=random.Random(plan.seed + 1)
        )
        self.tracked: dict[str, _Tracked] = {}
        self.restarting = 0
        self._stop = asyncio.Event()
        self._woo = WooClient(
            WooConnection(
                url=world.sandbox.url,
                consumer_key=DEMO_CONSUMER_KEY,
                consumer_secret=DEMO_CONSUMER_SECRET,
                max_retries=10,
            )
        )

    # -- the whole run -------------------------------------------------------------------

    async def run(self) -> Findings:
        """Chaos for `plan.minutes`, then the settle and the checks."""
        self._sandbox(
            "PUT",
            "/faults",
            {"seed": self.plan.seed, "timeout_seconds": 3.0, **FAULTS, **WEBHOOK_FAULTS},
        )
        self._sandbox("DELETE", "/counters")  # count the soak, not the set-up
        clock = time.monotonic()
        try:
            async with (
                httpx.AsyncClient(timeout=15.0) as client,
                httpx.AsyncClient(base_url=self.world.web_url, timeout=15.0) as dashboard,
            ):
                tasks = [
                    self._every(self.plan.life_every_s, lambda: self._life_step(client)),
                    self._every(self.plan.price_change_every_s, self._change_price),
                    self._every(2.0, self._observe_prices),
                    self._every(self.plan.forged_every_s, lambda: self._forge(client)),
                    self._every(1.0, lambda: self._probe(dashboard)),
                    self._every(self.plan.bad_row_every_s, self._bad_row, first_after=5.0),
                    self._killer(),
                    self._outages(),
                ]
                runner = asyncio.gather(*tasks)
                await asyncio.sleep(self.plan.minutes * 60)
                self._stop.set()
                await runner
                self.found.chaos_s = time.monotonic() - clock
                await self._settle(client)
        finally:
            await self._woo.aclose()
            self.services.close()
        return self.found

    async def _every(
        self,
        period_s: float,
        action: Callable[[], Coroutine[Any, Any, object]],
        *,
        first_after: float | None = None,
    ) -> None:
        wait = period_s if first_after is None else first_after
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
            if self._stop.is_set():
                return
            try:
                await action()
            except Exception as error:  # noqa: BLE001 - the harness shakes on through its own hiccups
                self.log(f"{getattr(action, '__name__', 'task')}: {type(error).__name__}: {error}")
            wait = period_s

    def _sandbox(self, method: str, path: str, payload: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.world.sandbox.url}/_sandbox{path}", json=payload, timeout=60.0
        )
        response.raise_for_status()
        return response.json()

    # -- store life ----------------------------------------------------------------------

    async def _life_step(self, client: httpx.AsyncClient) -> None:
        for line in await self.life.step(client):
            self.found.life[_life_kind(line)] += 1

    def _linked_plain_skus(self) -> list[str]:
        with self.services.sessions() as session:
            return list(
                session.scalars(
                    select(ProductLink.sku).where(
                        ProductLink.store == STORE,
                        ProductLink.state == "linked",
                        ProductLink.kind == "simple",
                    )
                )
            )

    def _pos(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.world.pos_path, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    async def _change_price(self) -> None:
        """Move the price of one linked, web, not-on-sale item, and start timing."""
        candidates = [sku for sku in self._linked_plain_skus() if sku not in self.tracked]
        if not candidates:
            return
        sku = self.rng.choice(candidates)

        def write() -> Decimal | None:
            conn = self._pos()
            try:
                row = conn.execute(
                    "SELECT price FROM items WHERE sku = ? AND web = 1 AND sale_price IS NULL",
                    (sku,),
                ).fetchone()
                if row is None:
                    return None
                price = Decimal(row["price"]) + Decimal("1.00")
                conn.execute("UPDATE items SET price = ? WHERE sku = ?", (f"{price:.2f}", sku))
                return price
            finally:
                conn.close()

        price = await asyncio.to_thread(write)
        if price is not None:
            self.tracked[sku] = _Tracked(sku, price, time.monotonic())
            self.found.life["tracked price change"] += 1

    async def _observe_prices(self) -> None:
        if not self.tracked:
            return
        skus = ",".join(self.tracked)
        found = await self._woo.request_json(
            "GET", "/products", params={"sku": skus, "_fields": "sku,regular_price"}
        )
        now = time.monotonic()
        current = await asyncio.to_thread(self._pos_prices, list(self.tracked))
        for product in found if isinstance(found, list) else []:
            change = self.tracked.get(product["sku"])
            if change is None:
                continue
            if current.get(change.sku) != change.price:
                self.found.price_changes_superseded += 1  # store life moved it again
                del self.tracked[change.sku]
            elif Decimal(product["regular_price"] or "0") == change.price:
                self.found.price_lags.append(now - change.at)
                del self.tracked[change.sku]

    def _pos_prices(self, skus: list[str]) -> dict[str, Decimal]:
        conn = self._pos()
        try:
            marks = ",".join("?" * len(skus))
            rows = conn.execute(f"SELECT sku, price FROM items WHERE sku IN ({marks})", skus)
            return {row["sku"]: Decimal(row["price"]) for row in rows}
        finally:
            conn.close()

    async def _bad_row(self) -> None:
        """A malformed item the POS lets through (web-flagged, so the sync reads it)."""
        number = len(self.found.observed.bad_rows)
        what, values = BAD_ROWS[number % len(BAD_ROWS)]
        sku = f"BAD-{number + 1:03d}"
        row = {"name": f"Broken item {number + 1}", "price": "5.00", "sale_price": None, **values}

        def insert() -> None:
            conn = self._pos()
            try:
                conn.execute(
                    "INSERT INTO items (sku, sku_key, name, category, price, sale_price, web)"
                    " VALUES (?, ?, ?, 'Misc', ?, ?, 1)",
                    (sku, sku.lower(), row["name"], row["price"], row["sale_price"]),
                )
                conn.execute(
                    "INSERT INTO stock (sku, location, on_hand) VALUES (?, 'store-1', 3)", (sku,)
                )
            finally:
                conn.close()

        await asyncio.to_thread(insert)
        self.found.observed.bad_rows[sku] = what

    # -- attacks on the receiver and the dashboard ---------------------------------------

    async def _forge(self, client: httpx.AsyncClient) -> None:
        """A delivery signed with the wrong key, claiming an order was cancelled."""
        delivery = f"forged-{len(self.found.observed.forged_ids) + 1}"
        body = b'{"id":1,"status":"cancelled","line_items":[]}'
        try:
            response = await client.post(
                f"{self.world.web_url}/webhooks/woocommerce/{STORE}",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-WC-Webhook-Topic": "order.updated",
                    "X-WC-Webhook-Resource": "order",
                    "X-WC-Webhook-Event": "updated",
                    "X-WC-Webhook-Delivery-ID": delivery,
                    "X-WC-Webhook-Signature": "bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsIQ==",
                },
            )
        except httpx.HTTPError:
            return  # the runner is restarting: nothing was delivered
        self.found.observed.forged_ids.append(delivery)
        self.found.observed.forged_answers[str(response.status_code)] += 1

    async def _probe(self, dashboard: httpx.AsyncClient) -> None:
        """One dashboard probe: a login every tenth time (a fresh session), else a page."""
        observed = self.found.observed
        turn = observed.probes + observed.probes_while_restarting + len(observed.probe_failures)
        try:
            if turn % 10 == 0:
                dashboard.cookies.clear()
                await self._login(dashboard)
            else:
                page = PAGES[turn % len(PAGES)]
                self._judge(f"GET {page}", await dashboard.get(page))
            observed.probes += 1
        except httpx.HTTPError as error:
            if self.restarting:
                observed.probes_while_restarting += 1
            else:
                observed.probe_failures.append(
                    f"{type(error).__name__} at {datetime.now(UTC):%H:%M:%S}"
                )

    async def _login(self, dashboard: httpx.AsyncClient) -> None:
        form = await dashboard.get("/login")
        self._judge("GET /login", form)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        response = await dashboard.post(
            "/login",
            data={
                "username": USERNAME,
                "password": self.world.password,
                "csrf_token": token.group(1) if token else "",
            },
        )
        self._judge("POST /login", response)
        if response.status_code < 500 and response.status_code != 303:
            self.found.observed.probe_failures.append(f"login answered {response.status_code}")

    def _judge(self, what: str, response: httpx.Response) -> None:
        if response.status_code >= 500:
            self.found.observed.probe_failures.append(
                f"{what} answered {response.status_code} at {datetime.now(UTC):%H:%M:%S}"
            )

    # -- kills and outages ---------------------------------------------------------------

    async def _killer(self) -> None:
        low, high = self.plan.kill_every_s
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.rng.uniform(low, high))
            if self._stop.is_set():
                return
            victim = self.rng.choice(self.world.killable)
            is_web = victim is self.world.server
            self.restarting += is_web
            try:
                await asyncio.to_thread(victim.kill)
                self.found.observed.kill_times.append(datetime.now(UTC))
                self.found.kills[victim.name] += 1
                self.log(f"SIGKILL {victim.name}; restarting")
                victim.start()
                if is_web:
                    await asyncio.to_thread(self.world.wait_for_web)
                self.found.restarts_ok += 1
            finally:
                self.restarting -= is_web

    async def _outages(self) -> None:
        marker = self.world.pos_path.with_name(self.world.pos_path.name + ".unavailable")
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stop.wait(), timeout=self.rng.uniform(0.5, 1.5) * self.plan.outage_every_s
                )
            if self._stop.is_set():
                return
            length = self.rng.uniform(*self.plan.outage_s)
            self.log(f"POS unavailable for {length:.0f} s")
            marker.touch()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=length)
            finally:
                marker.unlink(missing_ok=True)
            self.found.outages.append(length)

    # -- settle and check ----------------------------------------------------------------

    async def _settle(self, client: httpx.AsyncClient) -> None:
        """Faults off, then check until the convergent invariants hold (or time runs out)."""
        self._sandbox("PUT", "/faults", {"seed": self.plan.seed})
        self.found.requests = self._sandbox("GET", "/counters")
        usage = self._woo.stats.snapshot()
        self.found.harness_requests = usage.reads + usage.writes
        for proc in self.world.processes:
            if not proc.alive:
                proc.start()
        self.found.observed.settle_started = datetime.now(UTC)
        self.log("settling: faults off")
        started = time.monotonic()
        snap: Snapshot | None = None
        passes = 0
        while time.monotonic() - started < self.plan.settle_timeout_s:
            await asyncio.sleep(10.0)
            snap = await self._snapshot()
            found = check(snap, self.found.observed, self.world.secrets)
            waiting = [i for i in found if i.name in CONVERGENT and not i.ok]
            passes = passes + 1 if not waiting else 0
            self.log(
                "settle check: "
                + (
                    "caught up"
                    if not waiting
                    else "; ".join(f"{i.name}: {i.detail}" for i in waiting)
                )
            )
            if passes >= 2:
                self.found.settled = True
                break
        self.found.settle_s = time.monotonic() - started
        if self.world.storage.kind == "postgresql":
            self.found.queue = self._queue()
        self.world.stop()
        snap = await self._snapshot()
        self.found.invariants = check(snap, self.found.observed, self.world.secrets)
        self.found.invariants.append(self._recovered(snap))

    def _queue(self) -> dict[str, int]:
        """procrastinate's jobs by status ("doing" ones were cut by a kill, never finished)."""
        with self.services.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
            )
            return {str(status): int(count) for status, count in rows}

    async def _snapshot(self) -> Snapshot:
        writes = self._sandbox("GET", "/writes")["writes"]
        return await gather(
            self.services, self._woo, writes, self.world.pos_path, self.world.logs()
        )

    def _recovered(self, snap: Snapshot) -> Invariant:
        """Orders whose webhook was lost: polling must have brought StoreBridge up to date."""
        dropped = self._sandbox("GET", "/webhooks/deliveries")["dropped"]
        self.found.webhooks_dropped = dropped
        status = {o["id"]: o["status"] for o in snap.orders}
        lost = {d["resource_id"] for d in dropped if d["topic"].startswith("order.")}
        with self.services.sessions() as session:
            known = {
                o.woo_order_id: o.status
                for o in session.scalars(
                    select(Order).where(Order.store == STORE, Order.woo_order_id.in_(lost))
                )
            }
        behind = [
            f"order {oid}: StoreBridge {known.get(oid)}, WooCommerce {status.get(oid)}"
            for oid in sorted(lost)
            if known.get(oid) != status.get(oid)
        ]
        self.found.webhooks_recovered = len(lost) - len(behind)
        return Invariant(
            "every order whose webhook was lost was caught up by polling",
            not behind,
            f"{len(lost)} orders lost a delivery; StoreBridge's ledger matches WooCommerce for all"
            if not behind
            else "; ".join(behind[:5]),
        )
