"""Fixtures for the WooCommerce client tests (helpers live in woo_helpers.py)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import KEY, SECRET, STORE, RecordingSleep

from storebridge.retry import RetryPolicy
from storebridge.woocommerce import WooClient, WooConnection


@pytest.fixture
def connection() -> WooConnection:
    # verify_tls=False only spares loading the CA bundle per client: respx answers every call.
    return WooConnection(
        url=STORE,
        consumer_key=SecretStr(KEY),
        consumer_secret=SecretStr(SECRET),
        verify_tls=False,
    )


@pytest.fixture
def sleeper() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_client(connection: WooConnection, sleeper: RecordingSleep) -> Callable[..., WooClient]:
    def factory(**overrides: Any) -> WooClient:
        options: dict[str, Any] = {
            "sleep": sleeper,
            "rng": random.Random(1234),
            "retry_policy": RetryPolicy(max_attempts=4, base=0.5, cap=8.0),
        }
        options.update(overrides)
        conn = options.pop("connection", connection)
        return WooClient(conn, **options)

    return factory


@pytest.fixture
async def client(make_client: Callable[..., WooClient]) -> AsyncIterator[WooClient]:
    woo = make_client()
    async with woo:
        yield woo
