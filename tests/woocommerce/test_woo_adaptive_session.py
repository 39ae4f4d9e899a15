"""Adaptive batch concurrency inside the client: what the store sees and what the client reports."""

from __future__ import annotations

import asyncio
import json
import logging
import random

import httpx
import pytest
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import KEY, SECRET, STORE, RecordingSleep

from storebridge.retry import RetryPolicy
from storebridge.woocommerce import AimdPolicy, WooClient, WooConnection
from storebridge.woocommerce.session import WooSession, batch_shape


def _connection(max_concurrency: int) -> WooConnection:
    return WooConnection(
        url=STORE,
        consumer_key=SecretStr(KEY),
        consumer_secret=SecretStr(SECRET),
        max_concurrency=max_concurrency,
        verify_tls=False,
    )


class BatchStore:
    """Answers /products/batch after a delay, recording how many requests ran at once."""

    def __init__(self, *, seconds: float = 0.02, fail_first: int | None = None) -> None:
        self.seconds = seconds
        self.fail_first = fail_first
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail_first is not None and self.calls == 1:
            return httpx.Response(self.fail_first, json={"code": "busy", "message": "busy"})
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(self.seconds)
        self.in_flight -= 1
        body = json.loads(request.content)
        return httpx.Response(200, json={"update": body.get("update", [])})


def _client(store: BatchStore, max_concurrency: int, **options: object) -> WooClient:
    return WooClient(
        _connection(max_concurrency),
        transport=httpx.MockTransport(store),
        sleep=RecordingSleep(),
        rng=random.Random(1),
        retry_policy=RetryPolicy(max_attempts=3, base=0.5, cap=8.0),
        **options,  # type: ignore[arg-type]
    )


async def test_batches_start_at_half_the_maximum_and_rise_while_the_store_keeps_up() -> None:
    store = BatchStore()
    updates = [{"id": i, "regular_price": "1.00"} for i in range(1, 2_001)]

    async with _client(store, 8) as woo:
        assert woo.concurrency.current == 4
        outcome = await woo.batch_products(update=updates)
        level = woo.concurrency

    assert len(outcome.updated) == 2_000
    assert level.peak == 8
    assert level.maximum == 8
    # The store never saw more batches at once than the highest limit the client set.
    assert 4 < store.peak <= level.peak


async def test_a_client_resumes_at_the_level_it_is_given() -> None:
    store = BatchStore()

    async with _client(store, 8) as woo:
        woo.resume_concurrency(7)
        assert woo.concurrency.current == 7
        await woo.batch_products(update=[{"id": i} for i in range(1, 701)])

    assert store.peak == 7  # all seven chunks at once from the start


async def test_the_adaptive_limit_never_exceeds_max_concurrency() -> None:
    store = BatchStore(seconds=0.005)
    updates = [{"id": i} for i in range(1, 3_001)]

    async with _client(store, 3) as woo:
        await woo.batch_products(update=updates)
        level = woo.concurrency

    assert store.peak <= 3
    assert level.peak == 3


async def test_a_server_error_on_a_batch_backs_the_limit_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = BatchStore(fail_first=503)
    updates = [{"id": i} for i in range(1, 201)]

    with caplog.at_level(logging.INFO, logger="storebridge.woocommerce"):
        async with _client(store, 8, concurrency_policy=AimdPolicy(start=4, backoff=0.5)) as woo:
            outcome = await woo.batch_products(update=updates)
            level = woo.concurrency

    assert "batch concurrency 4 -> 2 (the store pushed back)" in caplog.messages

    assert len(outcome.updated) == 200  # the refused chunk was sent again
    assert level.backoffs == 1
    assert level.peak == 4
    # Halved to 2, then at most one raise by the retry that ran beside the other chunk.
    assert level.current in (2, 3)


class FrozenClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def test_a_retry_after_pauses_the_other_requests_but_not_twice_the_one_that_got_it() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "30"}, json={"code": "slow"})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, json=[])

    sleeper = RecordingSleep()
    session = WooSession(
        _connection(4),
        transport=httpx.MockTransport(handler),
        sleep=sleeper,
        rng=random.Random(1),
        monotonic=FrozenClock(),  # the recorded sleeps do not move it: the pause stays on
    )
    try:
        await session.request("GET", "/products")
        assert sleeper.delays == [30.0]  # the retry's own delay, and no second wait

        await session.request("GET", "/orders")
    finally:
        await session.aclose()

    assert sleeper.delays == [30.0, 30.0]  # the next request waited for the pause too
    assert session.concurrency.level().backoffs == 1


def test_only_batch_writes_have_a_shape() -> None:
    body = {"create": [{"sku": "A"}], "update": [{"id": 1}, {"id": 2}]}

    assert batch_shape("POST", "/products/batch", body) == (3, "/products/batch create")
    assert batch_shape("POST", "/products/7/variations/batch", {"delete": [1]}) == (
        1,
        "/products/{id}/variations/batch delete",
    )
    assert batch_shape("POST", "/products", {"create": [{}]}) is None
    assert batch_shape("GET", "/products/batch", None) is None
    assert batch_shape("POST", "/products/batch", {"update": []}) is None


async def test_a_cancelled_batch_frees_its_place() -> None:
    hang, sent = asyncio.Event(), asyncio.Event()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            sent.set()
            await hang.wait()  # never set: this one is cancelled
        return httpx.Response(200, json={"update": json.loads(request.content)["update"]})

    async with WooClient(_connection(1), transport=httpx.MockTransport(handler)) as woo:
        stuck = asyncio.create_task(woo.batch_products(update=[{"id": 1}]))
        await sent.wait()
        stuck.cancel()
        await asyncio.gather(stuck, return_exceptions=True)

        outcome = await asyncio.wait_for(woo.batch_products(update=[{"id": 2}]), timeout=5)

    assert [item.id for item in outcome.updated] == [2]
