"""Helpers of the doctor and webhook tests: a sandbox world with a real connector, and faults.

`setup_world` is `tests.sync.sync_helpers.make_world` with the store's own
(demo) connector, a webhook secret, a POS price basis, and the extra keys a
real shop may hand out: a write-only key and a shop manager's key.
`Intercept` sits in front of the sandbox's ASGI transport to answer some
requests itself (a plugin that lowers per_page, a site without WooCommerce,
an unreachable host).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from tests.sync.sync_helpers import STORE, World, make_world, no_sleep

from storebridge.domain.readiness import Verdict
from storebridge.retry import RetryPolicy
from storebridge.sandbox import SandboxConfig
from storebridge.sandbox.config import ApiKey, demo_keys
from storebridge.sync.setup.doctor import diagnose_store
from storebridge.woocommerce import WooClient, WooConnection

PUBLIC_URL = "https://bridge.example"
RECEIVER = f"{PUBLIC_URL}/webhooks/woocommerce/{STORE}"
WEBHOOK_SECRET = "whsec0123456789abcdefghij"
WRITE_ONLY_KEY, WRITE_ONLY_SECRET = "ck_write_only", "cs_write_only"
MANAGER_KEY, MANAGER_SECRET = "ck_shop_manager", "cs_shop_manager"

#: Answers a request instead of the sandbox (None: let the sandbox answer).
Answer = Callable[[httpx.Request], httpx.Response | None]


def keys() -> tuple[ApiKey, ...]:
    """The demo keys, a write-only key, and a read_write key of a shop manager."""
    return (
        *demo_keys(),
        ApiKey(
            consumer_key=WRITE_ONLY_KEY,
            consumer_secret=SecretStr(WRITE_ONLY_SECRET),
            permissions="write",
        ),
        ApiKey(
            consumer_key=MANAGER_KEY,
            consumer_secret=SecretStr(MANAGER_SECRET),
            user_id=2,
            user_name="manager",
            role="shop_manager",
        ),
    )


def woo_key(key: str, secret: str) -> dict[str, Any]:
    """A store's `woocommerce` table with this key."""
    return {"url": "https://shop.test", "consumer_key": key, "consumer_secret": secret}


@contextmanager
def setup_world(
    tmp_path: Path, template: Path, *, sandbox: SandboxConfig | None = None, **store: Any
) -> Iterator[World]:
    """A world whose store uses its configured connector, a webhook secret and net POS prices."""
    table: dict[str, Any] = {"webhook_secret": WEBHOOK_SECRET, "pos_prices": "net", **store}
    config = sandbox or SandboxConfig(webhook_auto_deliver=False, keys=keys())
    with make_world(tmp_path, template, sandbox_config=config, real_connector=True, **table) as w:
        yield w


class Intercept(httpx.AsyncBaseTransport):
    """The sandbox's ASGI transport, except for the requests `answer` answers itself."""

    def __init__(self, inner: httpx.AsyncBaseTransport, answer: Answer) -> None:
        self._inner = inner
        self._answer = answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answered = self._answer(request)
        if answered is not None:
            return answered
        return await self._inner.handle_async_request(request)


def intercept(world: World, answer: Answer) -> None:
    """Route the store's WooCommerce clients through `answer` first."""

    def factory(_store: str, connection: WooConnection) -> WooClient:
        inner = httpx.ASGITransport(app=world.app)
        return WooClient(
            connection,
            transport=Intercept(inner, answer),
            sleep=no_sleep,
            retry_policy=RetryPolicy(max_attempts=3, base=0.01, cap=0.01),
        )

    world.services.store(STORE).woo_factory = factory


async def diagnose(world: World, public_url: str | None = PUBLIC_URL) -> dict[str, Verdict]:
    """The doctor's verdicts for the world's store, by check name."""
    verdicts = await diagnose_store(world.services, STORE, public_url=public_url)
    return {verdict.check: verdict for verdict in verdicts}
