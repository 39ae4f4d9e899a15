"""Everything at once: the runner's jobs, webhook deliveries, 50 logins and page loads.

The runner (its own thread, event loop and engine, as its own process has)
runs every shipped job in rounds against the sandbox and the demo POS, while
the dashboard (another engine) takes 50 logins with their page loads and a
stream of signed webhook deliveries, replays included.  On SQLite (a file)
and on PostgreSQL: no answer is a 5xx, no delivery is lost, and every job run
is in the runs table, finished.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from tests.runner.runner_support import demo_connector, run_rows, runner_settings, sandbox_shop
from tests.web.web_support import PASSWORD, WEBHOOK_SECRET, csrf_of

from storebridge.bootstrap import Services, build_services
from storebridge.persistence.repositories import users
from storebridge.persistence.tables import ProductLink, User, WebhookDelivery
from storebridge.runner.execution import Execution, Ran
from storebridge.runner.jobs import JOB_NAMES, default_jobs
from storebridge.runner.scheduler import Scheduler
from storebridge.sandbox import Sandbox, sign
from storebridge.web import create_web_app, security

LOGINS = 50
USERS = [f"clerk{n}" for n in range(5)]
PAGES = ["/", "/products", "/orders", "/runs", "/quarantine"]
ORDERS = 8
STORE = "main"


@dataclass
class World:
    runner: Services
    web: Services
    sandbox: Sandbox
    sandbox_app: object


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Argon2 at its lowest cost: this test is about the database, not about hashing.

    At the default cost 50 logins take most of a minute on a loaded machine.
    The hashes are made with the same parameters, so no login rehashes.
    """
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", hasher)
    return hasher


@pytest.fixture
def world(migrated_db_url: str, tmp_path: Path, cheap_argon2: PasswordHasher) -> Iterator[World]:
    settings = runner_settings(
        migrated_db_url,
        tmp_path,
        (STORE,),
        secret=WEBHOOK_SECRET,
        connector=demo_connector(tmp_path),
    )
    shop = sandbox_shop()

    # Two engines on one database, as the runner and the dashboard processes have.
    with (
        build_services(settings, woo_factory=shop.woo_factory) as runner,
        build_services(settings, woo_factory=shop.woo_factory) as web,
    ):
        hashed = cheap_argon2.hash(PASSWORD)
        with web.sessions.begin() as session:
            for name in USERS:
                users.add_user(session, username=name, password_hash=hashed)
        yield World(runner, web, shop.sandbox, shop.app)
    shop.sandbox.close()


async def _place_orders(world: World) -> list[bytes]:
    """Orders placed in the shop, as the bodies of their order.created deliveries."""
    with world.runner.sessions() as session:
        skus = sorted(
            session.scalars(
                select(ProductLink.sku).where(
                    ProductLink.kind == "simple", ProductLink.woo_parent_id.is_(None)
                )
            )
        )
    assert skus, "the first products run linked no simple product"
    bodies = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.sandbox_app),  # type: ignore[arg-type]
        base_url="https://shop.test",
    ) as shop:
        for n in range(ORDERS):
            placed = await shop.post(
                "/_sandbox/orders",
                json={"sku": skus[n % len(skus)], "quantity": 1, "status": "processing"},
            )
            assert placed.status_code == 201, placed.text
            bodies.append(json.dumps(placed.json()).encode())
    return bodies


@dataclass
class RunnerThread:
    """The runner: every shipped job in rounds, until the dashboard load is over."""

    services: Services
    min_rounds: int = 2
    stop: threading.Event = field(default_factory=threading.Event)
    executions: list[tuple[str, Execution]] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._main, name="runner")

    def _main(self) -> None:
        try:
            asyncio.run(self._rounds())
        except BaseException as error:  # noqa: BLE001 (reported by join)
            self.error = error

    async def _rounds(self) -> None:
        scheduler = Scheduler(self.services, default_jobs())
        rounds = 0
        while rounds < self.min_rounds or not self.stop.is_set():
            for job in JOB_NAMES:
                self.executions.append((job, await scheduler.run_now(STORE, job)))
            rounds += 1

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self.stop.set()
        self._thread.join(timeout=120)
        assert not self._thread.is_alive(), "the runner did not finish its round"
        assert self.error is None, repr(self.error)


async def _visit(app: object, n: int) -> list[int]:
    """Log in as one of the clerks and load every page; the status codes."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        form = await client.get("/login")
        login = await client.post(
            "/login",
            data={
                "username": USERS[n % len(USERS)],
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/",
            },
        )
        statuses = [form.status_code, login.status_code]
        for page in PAGES:
            statuses.append((await client.get(page)).status_code)
        assert login.status_code == 303, login.text[:300]
        return statuses


async def _deliver(app: object, body: bytes, delivery: str) -> int:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            f"/webhooks/woocommerce/{STORE}",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-WC-Webhook-Topic": "order.created",
                "X-WC-Webhook-Resource": "order",
                "X-WC-Webhook-Event": "created",
                "X-WC-Webhook-ID": "7",
                "X-WC-Webhook-Delivery-ID": delivery,
                "X-WC-Webhook-Signature": sign(WEBHOOK_SECRET, body),
            },
        )
        return response.status_code


async def test_jobs_webhooks_and_fifty_logins_at_once_give_no_5xx_and_lose_no_run(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    first = await Scheduler(world.runner, default_jobs()).run_now(STORE, "products")
    assert isinstance(first, Ran) and first.outcome == "ok", first
    bodies = await _place_orders(world)
    app = create_web_app(world.web)
    runner = RunnerThread(world.runner)

    runner.start()
    try:
        visits = [_visit(app, n) for n in range(LOGINS)]
        # Every delivery twice (WooCommerce redelivers): the replay must change nothing.
        deliveries = [_deliver(app, body, f"d-{n}") for n, body in enumerate(bodies)] * 2
        answers = await asyncio.gather(*visits, *deliveries)
    finally:
        runner.join()

    statuses = [s for visit in answers[:LOGINS] for s in visit] + list(answers[LOGINS:])  # type: ignore[arg-type]
    assert len(statuses) == LOGINS * (2 + len(PAGES)) + 2 * ORDERS
    assert [s for s in statuses if s >= 500] == []
    assert set(answers[LOGINS:]) == {200}
    ran = [(job, e) for job, e in runner.executions if isinstance(e, Ran)]
    assert len(ran) >= 2 * len(JOB_NAMES)
    assert [(job, e.outcome, e.error) for job, e in ran if e.outcome != "ok"] == []
    rows = {row.id: row for row in run_rows(world.web, STORE)}
    for job, execution in ran:
        assert execution.run_id in rows, f"{job} run not recorded"
        assert rows[execution.run_id].finished_at is not None
    assert [row.job for row in rows.values() if row.outcome == "running"] == []
    with world.web.sessions() as session:
        deliveries_seen = session.execute(
            select(WebhookDelivery.delivery_id, WebhookDelivery.outcome)
        ).all()
        logged_in = session.scalars(select(User.username).where(User.last_login_at.is_not(None)))
        assert set(logged_in) == set(USERS)
    # Recorded once each, under WooCommerce's id plus a digest of the body.
    assert sorted(d.split(":")[0] for d, _ in deliveries_seen) == sorted(
        f"d-{n}" for n in range(ORDERS)
    )
    assert all(outcome is not None for _, outcome in deliveries_seen)
    # StoreBridge's own loggers only: the pool of another test's engine may log as it is collected.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors if r.name.startswith("storebridge")] == []
