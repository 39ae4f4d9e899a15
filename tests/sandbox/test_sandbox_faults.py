"""Fault injection, latency knob and request counters."""

from __future__ import annotations

import httpx
import pytest

from storebridge.sandbox import (
    FaultConfig,
    Sandbox,
    SandboxConfig,
    SimulatedDisconnect,
    SimulatedTimeout,
    running_sandbox,
)


async def test_a_queued_429_carries_retry_after_and_then_the_store_answers(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    sandbox.faults.fail_next("429", 1)
    throttled = await sandbox_client.get("/products")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert (await sandbox_client.get("/products")).status_code == 200


@pytest.mark.parametrize(
    ("kind", "content_type"), [("500", "json"), ("502", "html"), ("503", "html")]
)
async def test_server_errors_come_as_a_host_would_send_them(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, kind: str, content_type: str
) -> None:
    sandbox.faults.fail_next(kind, 1)
    response = await sandbox_client.get("/products")
    assert response.status_code == int(kind)
    assert content_type in response.headers["Content-Type"]
    assert ("Retry-After" in response.headers) == (kind == "503")


async def test_a_dropped_connection_surfaces_as_a_transport_error_and_writes_nothing(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    sandbox.faults.fail_next("drop", 1, method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        await sandbox_client.post("/products", json={"name": "lost", "sku": "LOST"})
    listed = await sandbox_client.get("/products", params={"sku": "LOST"})
    assert listed.json() == []


async def test_drop_after_applies_the_write_but_loses_the_answer(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    sandbox.faults.fail_next("drop_after", 1, path_contains="/products/batch")
    with pytest.raises(SimulatedDisconnect):
        await sandbox_client.post(
            "/products/batch", json={"create": [{"name": "half", "sku": "HALF"}]}
        )
    listed = await sandbox_client.get("/products", params={"sku": "HALF"})
    assert [p["sku"] for p in listed.json()] == ["HALF"]


async def test_a_stalled_request_times_out(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    sandbox.faults.configure(FaultConfig(timeout_seconds=0))
    sandbox.faults.fail_next("timeout", 1)
    with pytest.raises(httpx.ReadTimeout) as raised:
        await sandbox_client.get("/products")
    assert isinstance(raised.value, SimulatedTimeout)


def test_random_faults_are_reproducible_for_a_seed() -> None:
    config = FaultConfig(seed=7, rate_429=0.2, rate_503=0.1, rate_drop=0.1)

    def draws() -> list[str | None]:
        sandbox = Sandbox(SandboxConfig(faults=config))
        try:
            return [sandbox.faults.decide("GET", "/wp-json/wc/v3/products") for _ in range(200)]
        finally:
            sandbox.close()

    first, second = draws(), draws()
    assert first == second
    assert {kind for kind in first if kind} == {"429", "503", "drop"}
    assert 20 < sum(kind is not None for kind in first) < 140


def test_fault_rates_above_one_in_total_are_rejected() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        FaultConfig(rate_429=0.7, rate_500=0.5)


def test_an_unknown_fault_kind_is_rejected(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.faults.fail_next("418")


async def test_faults_are_limited_to_the_matching_method_and_path(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    sandbox.faults.fail_next("500", 2, method="PUT", path_contains="/products/")
    assert (await sandbox_client.get("/products")).status_code == 200
    created = (await sandbox_client.post("/products", json={"name": "ok"})).json()
    failed = await sandbox_client.put(f"/products/{created['id']}", json={"name": "x"})
    assert failed.status_code == 500
    assert [rule.remaining for rule in sandbox.faults.queued()] == [1]


async def test_requests_are_counted_by_method_and_route_template(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    created = (await sandbox_client.post("/products", json={"name": "counted"})).json()
    await sandbox_client.get(f"/products/{created['id']}")
    await sandbox_client.get(f"/products/{created['id']}")
    await sandbox_client.post("/products/batch", json={})
    await sandbox_client.get("/nowhere")
    sandbox.faults.fail_next("429")
    await sandbox_client.get("/orders")
    snapshot = sandbox.counters.snapshot()
    assert snapshot["requests"] == {
        "GET /products/{product_id:int}": 2,
        "POST /products": 1,
        "POST /products/batch": 1,
        "GET <no route>": 1,
        "GET /orders": 1,
    }
    assert (snapshot["reads"], snapshot["writes"]) == (4, 2)
    assert snapshot["faults"] == {"429": 1}


async def test_the_control_plane_is_neither_counted_nor_faulted(
    sandbox: Sandbox, sandbox_app: object
) -> None:
    sandbox.faults.configure(FaultConfig(rate_500=1.0))
    transport = httpx.ASGITransport(app=sandbox_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as client:
        assert (await client.get("/_sandbox/health")).json() == {"ok": True}
        counters = (await client.get("/_sandbox/counters")).json()
    assert counters["total"] == 0


async def test_latency_can_be_changed_while_running(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("storebridge.sandbox.gate.asyncio.sleep", fake_sleep)
    sandbox.set_latency(0.25)
    await sandbox_client.get("/products")
    assert slept == [0.25]


def test_a_real_server_drops_the_connection_for_real() -> None:
    with running_sandbox() as base_url, httpx.Client(base_url=base_url) as client:
        queued = client.post("/_sandbox/faults/next", json={"kind": "drop", "count": 1})
        assert queued.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/wp-json/wc/v3/products")
        answered = client.get("/wp-json/wc/v3/products")
        assert answered.status_code == 401  # anonymous, but the connection works again
