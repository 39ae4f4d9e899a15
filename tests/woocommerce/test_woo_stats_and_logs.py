"""Request counters, the on_request hook, and logs that never show credentials."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import httpx
import pytest
import respx
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import API, KEY, SECRET, STORE, golden_response

from storebridge.woocommerce import (
    WooClient,
    WooConnection,
    WooTransportError,
    endpoint_template,
)


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/products/726", "/products/{id}"),
        ("/products/735/variations/736", "/products/{id}/variations/{id}"),
        ("/products/batch", "/products/batch"),
        ("/products/735/variations/batch?x=1", "/products/{id}/variations/batch"),
        ("orders/", "/orders"),
    ],
)
def test_endpoints_are_counted_under_their_template(path: str, template: str) -> None:
    assert endpoint_template(path) == template


async def test_stats_count_reads_writes_retries_and_errors_by_status(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products/726").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), golden_response("002")]
    )
    respx_mock.get(f"{API}/products/727").mock(return_value=golden_response("002"))
    respx_mock.post(f"{API}/products/batch").mock(
        return_value=httpx.Response(200, json={"update": [{"id": 726}]})
    )
    respx_mock.get(f"{API}/orders/1").mock(side_effect=httpx.ConnectError("down"))

    await client.get_product(726)
    await client.get_product(727)
    await client.batch_products(update=[{"id": 726, "stock_quantity": 1}])
    with pytest.raises(WooTransportError):
        await client.get_order(1)

    snap = client.stats.snapshot()
    assert snap.count("GET", "/products/{id}") == 3
    assert snap.count("POST", "/products/batch") == 1
    assert snap.count("GET", "/orders/{id}") == 4  # the fixture allows 4 attempts
    assert (snap.reads, snap.writes, snap.total) == (7, 1, 8)
    assert snap.retries == 4
    assert dict(snap.errors_by_status) == {429: 1, 0: 4}


async def test_a_snapshot_is_frozen_and_reset_starts_from_zero(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products").mock(return_value=httpx.Response(200, json=[]))
    await client.request("GET", "/products")
    before = client.stats.snapshot()

    client.stats.reset()
    await client.request("GET", "/products")

    assert before.reads == 1
    assert client.stats.snapshot().reads == 1
    assert client.stats.snapshot().retries == 0
    with pytest.raises(TypeError):
        before.by_endpoint[("GET", "/x")] = 1  # type: ignore[index]


async def test_the_on_request_hook_sees_each_attempt_without_the_query_string(
    make_client: Callable[..., WooClient], respx_mock: respx.MockRouter
) -> None:
    seen: list[tuple[str, str, int | None]] = []
    respx_mock.get(f"{API}/products").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=[])]
    )

    async with make_client(on_request=lambda m, e, s, elapsed: seen.append((m, e, s))) as woo:
        await woo.request("GET", "/products", params={"sku": "A"})

    assert seen == [("GET", "/products", 503), ("GET", "/products", 200)]


@pytest.mark.parametrize(
    ("url", "auth"),
    [(STORE, "query"), (STORE, "basic"), ("http://shop.test", "oauth1")],
)
async def test_logs_never_contain_keys_secrets_or_signatures(
    make_client: Callable[..., WooClient],
    respx_mock: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    url: str,
    auth: str,
) -> None:
    connection = WooConnection(
        url=url,
        consumer_key=SecretStr(KEY),
        consumer_secret=SecretStr(SECRET),
        auth=auth,
    )
    respx_mock.get(f"{url}/wp-json/wc/v3/products").mock(
        side_effect=[httpx.Response(503, text=f"echo {KEY} {SECRET}"), httpx.Response(200, json=[])]
    )
    hooked: list[str] = []
    caplog.set_level(logging.DEBUG)
    # `storebridge run` quietens httpx to WARNING process-wide; this test
    # needs its request lines whatever ran before it.
    caplog.set_level(logging.DEBUG, logger="httpx")

    async with make_client(
        connection=connection, on_request=lambda m, e, s, t: hooked.append(e)
    ) as woo:
        await woo.request("GET", "/products", params={"sku": "A,B", "consumer_secret": SECRET})

    text = caplog.text + " ".join(hooked)
    assert "GET /products" in caplog.text
    assert "retrying" in caplog.text
    assert "HTTP Request: GET" in caplog.text
    assert KEY not in text
    assert SECRET not in text
    # httpx's own "HTTP Request: GET <url>" lines are redacted too.
    leaked = re.findall(r"(?:consumer_key|consumer_secret|oauth_signature)=([^&\s\"]*)", text)
    assert set(leaked) <= {"REDACTED"}
