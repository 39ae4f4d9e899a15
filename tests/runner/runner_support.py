"""Helpers of the runner tests: settings, a sandbox shop, a manual clock, and jobs the test controls."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from storebridge.bootstrap import Services, build_services
from storebridge.persistence.tables import Run
from storebridge.retry import RetryPolicy
from storebridge.runner.jobs import Job, JobResult
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    Sandbox,
    SandboxConfig,
    create_sandbox_app,
)
from storebridge.settings import Settings, parse_settings
from storebridge.woocommerce import WooClient, WooConnection

SHOP = "https://shop.test"


def runner_settings(
    db_url: str,
    tmp_path: Path,
    stores: Iterable[str] = ("main",),
    *,
    intervals: dict[str, int] | None = None,
    secret: str | None = "whsec-test-0123456789",
    **store_options: Any,
) -> Settings:
    """Stores over the demo POS and a fake shop URL, with the given job intervals."""
    tables: dict[str, Any] = {}
    for name in stores:
        table: dict[str, Any] = {
            "woocommerce": {
                "url": SHOP,
                "consumer_key": DEMO_CONSUMER_KEY,
                "consumer_secret": DEMO_CONSUMER_SECRET,
                "max_retries": 0,
            },
            "connector": {
                "type": "demo",
                "path": str(tmp_path / f"{name}-pos.sqlite3"),
                "seed_items": 0,
                "seed_styles": 0,
            },
        }
        if secret is not None:
            table["webhook_secret"] = secret
        table.update(store_options)
        tables[name] = table
    data: dict[str, Any] = {
        "storage": {"url": db_url},
        "web": {"secret_key": "k" * 40},
        "stores": tables,
    }
    if intervals:
        data["runner"] = {"intervals": intervals}
    return parse_settings(data)


def demo_connector(tmp_path: Path, *, seed_items: int = 12, seed_styles: int = 1) -> dict[str, Any]:
    """A store's ``connector`` table: the demo POS in `tmp_path`, seeded with items and styles."""
    return {
        "type": "demo",
        "path": str(tmp_path / "pos.sqlite3"),
        "seed_items": seed_items,
        "seed_styles": seed_styles,
    }


async def no_sleep(_seconds: float) -> None:
    """Client retries never wait in tests."""


@dataclass(frozen=True)
class SandboxShop:
    """An in-process WooCommerce sandbox, and WooCommerce clients that reach it."""

    sandbox: Sandbox
    app: FastAPI

    def woo_factory(self, _store: str, connection: WooConnection) -> WooClient:
        """`build_services`' woo_factory: up to 3 attempts per request, retries never wait."""
        return WooClient(
            connection,
            transport=httpx.ASGITransport(app=self.app),
            sleep=no_sleep,
            retry_policy=RetryPolicy(max_attempts=3),
        )


@contextmanager
def copied_sqlite_services(
    template: Path, tmp_path: Path, intervals: dict[str, int] | None = None
) -> Iterator[Services]:
    """Stores "main" and "outlet" on a copy of the migrated SQLite `template`."""
    target = tmp_path / "db.sqlite3"
    shutil.copyfile(template, target)
    settings = runner_settings(
        f"sqlite:///{target}", tmp_path, ("main", "outlet"), intervals=intervals
    )
    with build_services(settings) as services:
        yield services


def sandbox_shop() -> SandboxShop:
    """A fresh sandbox over HTTPS that delivers webhooks only when told to; close its sandbox."""
    sandbox = Sandbox(SandboxConfig(webhook_auto_deliver=False, assume_https=True))
    return SandboxShop(sandbox, create_sandbox_app(sandbox=sandbox))


class ManualClock:
    """Time that moves only when the test calls `advance`; sleepers wake when it passes."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + timedelta(seconds=seconds), future)
        self._sleepers.append(entry)
        try:
            await future
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    async def advance(self, seconds: float) -> None:
        """Move time forward and let the woken tasks run."""
        self._now += timedelta(seconds=seconds)
        for due, future in list(self._sleepers):
            if due <= self._now and not future.done():
                future.set_result(None)
        await settle()


async def settle(rounds: int = 50) -> None:
    """Let every ready task run until the loop is quiet."""
    for _ in range(rounds):
        await asyncio.sleep(0)


@dataclass
class ScriptedJob:
    """A job whose runs the test observes and, with `gate`, holds open."""

    name: str = "products"
    clock: ManualClock | None = None
    gate: asyncio.Event | None = None
    fail_with: Exception | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"updated": 3})
    calls: list[tuple[str, datetime | None]] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)
    max_active: int = 0
    started: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    async def __call__(self, services: Services, store: str) -> JobResult:
        self.calls.append((store, self.clock.now() if self.clock else None))
        self.active[store] = self.active.get(store, 0) + 1
        self.max_active = max(self.max_active, self.active[store])
        self.started.put_nowait(store)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.fail_with is not None:
                raise self.fail_with
            self.finished.append(store)
            return JobResult(outcome="ok", counts=dict(self.counts))
        finally:
            self.active[store] -= 1

    def job(self, lock: str = "") -> Job:
        return Job(self.name, self, lock=lock)


def run_rows(services: Services, store: str | None = None) -> list[Run]:
    """Every run-log row (of one store), oldest first."""
    with services.sessions() as session:
        query = select(Run).order_by(Run.id)
        if store is not None:
            query = query.where(Run.store == store)
        return list(session.scalars(query))
