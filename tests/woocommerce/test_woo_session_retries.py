"""Retry behaviour of the HTTP layer: what is retried, how long it waits, what is never re-sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
import respx
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import API, KEY, SECRET, STORE, RecordingSleep, golden_response

from storebridge.retry import RetryPolicy
from storebridge.woocommerce import (
    WooBadRequest,
    WooClient,
    WooConnection,
    WooError,
    WooRateLimited,
    WooServerError,
    WooTransportError,
)

OK = httpx.Response(200, json=[])


async def test_a_429_with_retry_after_seconds_waits_exactly_that_long(
    client: WooClient, respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    route = respx_mock.get(f"{API}/products").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), OK]
    )

    response = await client.request("GET", "/products")

    assert response.status_code == 200
    assert route.call_count == 2
    assert sleeper.delays == [7.0]
    assert client.stats.snapshot().retries == 1


async def test_a_429_with_a_past_http_date_retries_at_once(
    client: WooClient, respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    respx_mock.get(f"{API}/products").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": past}), OK]
    )

    await client.request("GET", "/products")

    assert sleeper.delays == [0.0]


async def test_a_persistent_429_gives_up_after_max_attempts_with_rate_limited(
    client: WooClient, respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    route = respx_mock.get(f"{API}/products").mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "3"}, json={"code": "slow_down", "message": "m"}
        )
    )

    with pytest.raises(WooRateLimited) as caught:
        await client.request("GET", "/products")

    assert route.call_count == 4  # the fixture's policy: max_attempts=4
    assert sleeper.delays == [3.0, 3.0, 3.0]
    assert caught.value.retry_after == 3.0
    assert caught.value.code == "slow_down"


async def test_without_retry_after_the_backoff_is_jittered_under_a_growing_cap(
    make_client: Callable[..., WooClient], respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    policy = RetryPolicy(max_attempts=6, base=1.0, cap=4.0)
    respx_mock.get(f"{API}/orders").mock(return_value=httpx.Response(503))

    async with make_client(retry_policy=policy) as woo:
        with pytest.raises(WooServerError):
            await woo.request("GET", "/orders")

    bounds = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(sleeper.delays) == len(bounds)
    assert all(0.0 <= delay <= bound for delay, bound in zip(sleeper.delays, bounds, strict=True))


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_idempotent_requests_are_retried_on_server_errors(
    client: WooClient, respx_mock: respx.MockRouter, status: int
) -> None:
    route = respx_mock.put(f"{API}/products/726").mock(
        side_effect=[httpx.Response(status), golden_response("016")]
    )

    product = await client.update_product(726, {"regular_price": "20.00"})

    assert product.id == 726
    assert route.call_count == 2


async def test_a_create_is_not_re_sent_after_a_server_error(
    client: WooClient, respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    route = respx_mock.post(f"{API}/customers").mock(return_value=httpx.Response(502))

    with pytest.raises(WooServerError) as caught:
        await client.create_customer({"email": "jane@golden.example"})

    assert route.call_count == 1
    assert caught.value.ambiguous
    assert sleeper.delays == []


async def test_a_create_is_not_re_sent_after_a_read_timeout(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(f"{API}/customers").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(WooTransportError) as caught:
        await client.create_customer({"email": "jane@golden.example"})

    assert route.call_count == 1
    assert caught.value.ambiguous
    assert caught.value.is_retryable


async def test_a_create_is_retried_when_the_connection_was_never_made(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(f"{API}/customers").mock(
        side_effect=[httpx.ConnectError("refused"), golden_response("113")]
    )

    customer = await client.create_customer({"email": "jane@golden.example"})

    assert customer.id == 5
    assert route.call_count == 2


async def test_a_create_is_retried_after_a_429_because_nothing_was_done(
    client: WooClient, respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    route = respx_mock.post(f"{API}/customers").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), golden_response("113")]
    )

    await client.create_customer({"email": "jane@golden.example"})

    assert route.call_count == 2
    assert sleeper.delays == [2.0]


async def test_a_read_is_retried_after_a_dropped_connection(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/orders/742").mock(
        side_effect=[httpx.RemoteProtocolError("peer closed"), golden_response("065")]
    )

    order = await client.get_order(742)

    assert order.id == 742
    assert route.call_count == 2


async def test_an_explicitly_idempotent_post_is_retried_after_a_timeout(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(f"{API}/products/batch").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"update": []})]
    )

    await client.request("POST", "/products/batch", json={"update": []}, idempotent=True)

    assert route.call_count == 2


async def test_client_errors_are_never_retried(
    client: WooClient, respx_mock: respx.MockRouter, sleeper: RecordingSleep
) -> None:
    route = respx_mock.get(f"{API}/products").mock(return_value=golden_response("012"))

    with pytest.raises(WooBadRequest):
        await client.request("GET", "/products", params={"modified_after": "yesterday"})

    assert route.call_count == 1
    assert sleeper.delays == []


async def test_a_redirect_is_reported_instead_of_followed(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products").mock(
        return_value=httpx.Response(301, headers={"Location": "https://elsewhere.test/"})
    )

    with pytest.raises(WooError, match="unexpected redirect") as caught:
        await client.request("GET", "/products")

    assert caught.value.code == "unexpected_redirect"
    assert caught.value.status == 301


async def test_every_request_carries_the_storebridge_user_agent(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products").mock(return_value=OK)

    await client.request("GET", "/products")

    assert route.calls.last.request.headers["user-agent"].startswith("StoreBridge/")


async def test_no_more_requests_than_max_concurrency_are_in_flight(
    make_client: Callable[..., WooClient], respx_mock: respx.MockRouter
) -> None:
    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json={"id": int(request.url.path.rsplit("/", 1)[1])})

    respx_mock.get(url__regex=rf"{API}/products/\d+").mock(side_effect=slow)
    connection = WooConnection(
        url=STORE,
        consumer_key=SecretStr(KEY),
        consumer_secret=SecretStr(SECRET),
        max_concurrency=2,
        verify_tls=False,
    )

    async with make_client(connection=connection) as woo:
        products = await asyncio.gather(*(woo.get_product(i) for i in range(1, 9)))

    assert [p.id for p in products] == list(range(1, 9))
    assert peak == 2


async def test_an_injected_transport_carries_the_requests(connection: WooConnection) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"id": 726, "sku": "GLD-A"})

    async with WooClient(connection, transport=httpx.MockTransport(handler)) as woo:
        product = await woo.get_product(726)

    assert product.sku == "GLD-A"
    assert seen == [f"{API}/products/726"]
