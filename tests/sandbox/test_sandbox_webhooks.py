"""Webhook delivery: coalescing, late payloads, signatures, failures, topics."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from typing import Any

import httpx

from storebridge.sandbox import Sandbox, SandboxConfig, create_sandbox_app, sign

SECRET = "whsec_demo"
URL = "http://listener.test/hooks"


def test_the_signature_matches_the_reference_vector() -> None:
    body = b'{"id":42,"sku":"ABC\\/1"}'
    assert sign(SECRET, body) == "IK7W319Ky86UQ8KKzONGrNfYhqSf0ye3GBr/+wmsAEk="


async def _hook(client: httpx.AsyncClient, topic: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/webhooks", json={"topic": topic, "delivery_url": URL, "secret": SECRET, **extra}
    )
    assert response.status_code == 201
    data: dict[str, Any] = response.json()
    return data


def _topics(deliveries: list[httpx.Request]) -> list[str]:
    return [r.headers.get("X-WC-Webhook-Topic", "ping") for r in deliveries]


async def test_creating_a_webhook_pings_it_with_an_unsigned_form(
    sandbox_client: httpx.AsyncClient, deliveries: list[httpx.Request]
) -> None:
    hook = await _hook(sandbox_client, "product.updated")
    (ping,) = deliveries
    assert ping.content == f"webhook_id={hook['id']}".encode()
    assert "X-WC-Webhook-Signature" not in ping.headers


async def test_many_updates_of_one_product_make_one_delivery_of_its_latest_state(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, deliveries: list[httpx.Request]
) -> None:
    await _hook(sandbox_client, "product.updated")
    product = (await sandbox_client.post("/products", json={"name": "P", "sku": "P-1"})).json()
    for price in ("1.00", "2.00", "3.00"):
        await sandbox_client.put(f"/products/{product['id']}", json={"regular_price": price})
    assert sandbox.dispatcher.pending_count() == 1
    sandbox.flush_webhooks()
    delivery = deliveries[-1]
    assert _topics(deliveries) == ["ping", "product.updated"]
    assert json.loads(delivery.content)["regular_price"] == "3.00"
    digest = hmac.new(SECRET.encode(), delivery.content, hashlib.sha256).digest()
    assert delivery.headers["X-WC-Webhook-Signature"] == base64.b64encode(digest).decode()
    assert delivery.headers["X-WC-Webhook-Source"] == "https://shop.test/"
    assert delivery.headers["User-Agent"].startswith("WooCommerce/")


async def test_trashing_sends_deleted_with_the_id_only_and_force_delete_sends_nothing(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, deliveries: list[httpx.Request]
) -> None:
    await _hook(sandbox_client, "product.deleted")
    first = (await sandbox_client.post("/products", json={"name": "A"})).json()
    second = (await sandbox_client.post("/products", json={"name": "B"})).json()
    await sandbox_client.delete(f"/products/{first['id']}")
    await sandbox_client.delete(f"/products/{second['id']}", params={"force": "true"})
    sandbox.flush_webhooks()
    assert [r.content for r in deliveries[1:]] == [f'{{"id":{first["id"]}}}'.encode()]


async def test_a_paused_webhook_receives_nothing(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, deliveries: list[httpx.Request]
) -> None:
    hook = await _hook(sandbox_client, "product.created")
    await sandbox_client.put(f"/webhooks/{hook['id']}", json={"status": "paused"})
    await sandbox_client.post("/products", json={"name": "quiet"})
    sandbox.flush_webhooks()
    assert _topics(deliveries) == ["ping"]


async def test_order_events_cover_checkout_status_changes_and_refunds(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, deliveries: list[httpx.Request]
) -> None:
    await _hook(sandbox_client, "order.created")
    await _hook(sandbox_client, "order.updated")
    product = (
        await sandbox_client.post("/products", json={"name": "P", "regular_price": "4.00"})
    ).json()
    order = sandbox.place_order(
        {"line_items": [{"product_id": product["id"]}], "status": "processing"}
    )
    sandbox.flush_webhooks()
    assert sorted(_topics(deliveries)[2:]) == ["order.created", "order.updated"]
    assert json.loads(deliveries[-1].content)["created_via"] == "checkout"
    await sandbox_client.put(f"/orders/{order['id']}", json={"status": "completed"})
    sandbox.flush_webhooks()
    assert _topics(deliveries)[-1] == "order.updated"


async def test_customers_fire_created_updated_and_deleted(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, deliveries: list[httpx.Request]
) -> None:
    for topic in ("customer.created", "customer.updated", "customer.deleted"):
        await _hook(sandbox_client, topic)
    customer = (await sandbox_client.post("/customers", json={"email": "c@x.example"})).json()
    sandbox.flush_webhooks()
    await sandbox_client.put(f"/customers/{customer['id']}", json={"first_name": "C"})
    sandbox.flush_webhooks()
    await sandbox_client.delete(f"/customers/{customer['id']}", params={"force": "true"})
    sandbox.flush_webhooks()
    assert _topics(deliveries)[3:] == ["customer.created", "customer.updated", "customer.deleted"]


async def test_the_seventh_consecutive_failure_disables_the_webhook() -> None:
    failures: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        failures.append(request)
        return httpx.Response(500)

    app = create_sandbox_app(
        SandboxConfig(webhook_auto_deliver=False), webhook_transport=httpx.MockTransport(refuse)
    )
    sandbox: Sandbox = app.state.sandbox
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://shop.test/wp-json/wc/v3",
        auth=("ck_demo_read_write", "cs_demo_read_write"),
    ) as client:
        hook = await _hook(client, "product.updated")
        product = (await client.post("/products", json={"name": "P"})).json()
        statuses = []
        for attempt in range(7):
            await client.put(f"/products/{product['id']}", json={"name": f"P{attempt}"})
            sandbox.flush_webhooks()
            statuses.append((await client.get(f"/webhooks/{hook['id']}")).json()["status"])
    sandbox.close()
    assert statuses == ["active"] * 6 + ["disabled"]
    assert len(failures) == 1 + 7  # the ping, then one try per change: never retried


async def test_the_background_worker_delivers_without_a_flush() -> None:
    arrived = threading.Event()

    def listener(request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-WC-Webhook-Topic"):
            arrived.set()
        return httpx.Response(200)

    app = create_sandbox_app(
        SandboxConfig(webhook_delay_seconds=0.0), webhook_transport=httpx.MockTransport(listener)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://shop.test/wp-json/wc/v3",
        auth=("ck_demo_read_write", "cs_demo_read_write"),
    ) as client:
        await _hook(client, "product.created")
        await client.post("/products", json={"name": "async"})
        assert arrived.wait(timeout=10)
    app.state.sandbox.close()


async def test_the_delivery_log_is_on_the_control_plane(
    sandbox_app: object, sandbox_client: httpx.AsyncClient
) -> None:
    await _hook(sandbox_client, "product.created")
    await sandbox_client.post("/products", json={"name": "logged"})
    transport = httpx.ASGITransport(app=sandbox_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as control:
        pending = (await control.get("/_sandbox/webhooks/deliveries")).json()
        flushed = (await control.post("/_sandbox/webhooks/flush")).json()
        log = (await control.get("/_sandbox/webhooks/deliveries")).json()
    assert pending["pending"] == 1
    assert [d["topic"] for d in flushed["delivered"]] == ["product.created"]
    assert [d["topic"] for d in log["deliveries"]] == ["ping", "product.created"]
    assert log["pending"] == 0


async def _control(sandbox_app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=sandbox_app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="https://shop.test/_sandbox")


async def test_webhook_faults_set_on_the_control_plane_drop_deliveries_and_say_which(
    sandbox: Sandbox,
    sandbox_app: object,
    sandbox_client: httpx.AsyncClient,
    deliveries: list[httpx.Request],
) -> None:
    await _hook(sandbox_client, "product.created")
    async with await _control(sandbox_app) as control:
        await control.put("/faults", json={"webhook_drop_rate": 1.0})
        product = (await sandbox_client.post("/products", json={"name": "lost"})).json()
        sandbox.flush_webhooks()
        log = (await control.get("/webhooks/deliveries")).json()
        counters = (await control.get("/counters")).json()
    assert _topics(deliveries) == ["ping"]
    assert log["dropped"] == [{"topic": "product.created", "resource_id": product["id"]}]
    assert counters["faults"] == {"webhook_drop": 1}


async def test_a_duplicated_delivery_reaches_the_receiver_twice_with_the_same_body(
    sandbox: Sandbox,
    sandbox_app: object,
    sandbox_client: httpx.AsyncClient,
    deliveries: list[httpx.Request],
) -> None:
    await _hook(sandbox_client, "product.created")
    async with await _control(sandbox_app) as control:
        await control.put("/faults", json={"webhook_duplicate_rate": 1.0})
        await sandbox_client.post("/products", json={"name": "twice"})
        sandbox.flush_webhooks()
        counters = (await control.get("/counters")).json()
    first, second = deliveries[1:]
    assert first.content == second.content
    assert first.headers["X-WC-Webhook-Signature"] == second.headers["X-WC-Webhook-Signature"]
    assert counters["faults"] == {"webhook_duplicate": 1}


async def test_an_extra_random_delay_delivers_events_out_of_order(
    sandbox: Sandbox,
    sandbox_app: object,
    sandbox_client: httpx.AsyncClient,
    deliveries: list[httpx.Request],
) -> None:
    await _hook(sandbox_client, "product.created")
    async with await _control(sandbox_app) as control:
        await control.put("/faults", json={"seed": 5, "webhook_max_extra_delay_seconds": 60})
        created = [
            (await sandbox_client.post("/products", json={"name": f"P{n}"})).json()["id"]
            for n in range(8)
        ]
        sandbox.flush_webhooks()  # sends in due order, as the worker would
        counters = (await control.get("/counters")).json()
    sent = [json.loads(r.content)["id"] for r in deliveries[1:]]
    assert sorted(sent) == created
    assert sent != created
    assert counters["faults"] == {"webhook_delay": 8}
