"""Fixtures of the sandbox tests: an in-process sandbox with a frozen clock.

`sandbox_client` talks to a fresh sandbox through httpx.ASGITransport over
https with the demo read_write key; webhook deliveries land in `deliveries`
instead of the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    ManualClock,
    Sandbox,
    SandboxConfig,
    create_sandbox_app,
)

API = "/wp-json/wc/v3"


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when the test says so."""
    return ManualClock(datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC))


@pytest.fixture
def deliveries() -> list[httpx.Request]:
    """Webhook requests the sandbox sent."""
    return []


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """Default config with webhooks delivered only on flush."""
    return SandboxConfig(webhook_auto_deliver=False)


@pytest.fixture
def sandbox_app(
    sandbox_config: SandboxConfig, clock: ManualClock, deliveries: list[httpx.Request]
) -> Iterator[FastAPI]:
    """A fresh sandbox app."""

    def receive(request: httpx.Request) -> httpx.Response:
        deliveries.append(request)
        return httpx.Response(200)

    app = create_sandbox_app(
        sandbox_config, clock=clock, webhook_transport=httpx.MockTransport(receive)
    )
    yield app
    app.state.sandbox.close()


@pytest.fixture
def sandbox(sandbox_app: FastAPI) -> Sandbox:
    """The Sandbox behind the app."""
    store: Sandbox = sandbox_app.state.sandbox
    return store


@pytest.fixture
async def sandbox_client(sandbox_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An https client with the demo read_write key."""
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url=f"https://shop.test{API}",
        auth=(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET),
    ) as client:
        yield client
