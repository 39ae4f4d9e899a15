"""The store under contract: the in-process sandbox always, a real WooCommerce on demand.

Set WOO_URL (e.g. https://shop.example), WOO_KEY and WOO_SECRET to run the
same suite against a real store (a read_write key; WOO_READONLY_KEY and
WOO_READONLY_SECRET add the read-only checks). Everything the suite creates
is force-deleted afterwards. Without those variables the real-store half of
every test is skipped and the sandbox half runs.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tests.contract.contract_support import API, Store, credentials_for

from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    DEMO_READONLY_KEY,
    DEMO_READONLY_SECRET,
    ManualClock,
    SandboxConfig,
    create_sandbox_app,
)

SANDBOX_BASE = "https://shop.test"


@pytest.fixture(params=["sandbox", "woocommerce"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """The store a contract test runs against."""
    if request.param == "sandbox":
        async for store in _sandbox_store():
            yield store
    else:
        async for store in _real_store():
            yield store


async def _sandbox_store() -> AsyncIterator[Store]:
    clock = ManualClock(datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC))
    received: list[httpx.Request] = []

    def listener(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    app = create_sandbox_app(
        SandboxConfig(webhook_auto_deliver=False),
        clock=clock,
        webhook_transport=httpx.MockTransport(listener),
    )
    transport = httpx.ASGITransport(app=app)

    def client(auth: httpx.Auth | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE + API, auth=auth)

    async def advance(seconds: float) -> None:
        clock.advance(seconds)

    async def flush() -> list[dict[str, Any]]:
        return list(app.state.sandbox.flush_webhooks())

    main = client(httpx.BasicAuth(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET))
    anonymous = client(None)
    readonly = client(httpx.BasicAuth(DEMO_READONLY_KEY, DEMO_READONLY_SECRET))
    store = Store(
        name="sandbox",
        client=main,
        anonymous=anonymous,
        with_secret=lambda secret: client(httpx.BasicAuth(DEMO_CONSUMER_KEY, secret)),
        readonly=readonly,
        advance=advance,
        prefix="CT",
        flush_webhooks=flush,
        received=received,
    )
    try:
        yield store
    finally:
        for open_client in (main, anonymous, readonly):
            await open_client.aclose()
        app.state.sandbox.close()


async def _real_store() -> AsyncIterator[Store]:
    url, key, secret = (os.environ.get(name, "") for name in ("WOO_URL", "WOO_KEY", "WOO_SECRET"))
    if not (url and key and secret):
        pytest.skip(
            "real-store contract run skipped: set WOO_URL, WOO_KEY and WOO_SECRET to run this "
            "suite against a real WooCommerce (the sandbox run needs nothing)"
        )
    base = url.rstrip("/") + API

    def client(auth: httpx.Auth | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base, auth=auth, timeout=60.0)

    async def advance(seconds: float) -> None:
        await asyncio.sleep(seconds)

    ro_key, ro_secret = os.environ.get("WOO_READONLY_KEY"), os.environ.get("WOO_READONLY_SECRET")
    readonly = client(credentials_for(url, ro_key, ro_secret)) if ro_key and ro_secret else None
    main = client(credentials_for(url, key, secret))
    anonymous = client(None)
    store = Store(
        name="woocommerce",
        client=main,
        anonymous=anonymous,
        with_secret=lambda wrong: client(credentials_for(url, key, wrong)),
        readonly=readonly,
        advance=advance,
        prefix=f"SBCT{secrets.token_hex(3).upper()}",
    )
    try:
        yield store
    finally:
        await store.cleanup()
        for open_client in (main, anonymous, readonly):
            if open_client is not None:
                await open_client.aclose()


def sandbox_only(store: Store, reason: str) -> None:
    """Skip a check the real store cannot support in this setup."""
    if not store.is_sandbox:
        pytest.skip(reason)
