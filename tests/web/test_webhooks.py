"""The webhook receiver: signed deliveries only, pings answered, replays processed once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from tests.web.web_support import WEBHOOK_SECRET, WebWorld, web_world

from storebridge.bootstrap import Services
from storebridge.persistence.tables import Order, OrderStatusChange, WebhookDelivery
from storebridge.runner.logs import JsonFormatter
from storebridge.sandbox import sign
from storebridge.sync.orders.webhook_ingest import WebhookDelivery as Delivery
from storebridge.web.routes.webhooks import MAX_BODY_BYTES

URL = "/webhooks/woocommerce/main"


async def _order_body(world: WebWorld) -> bytes:
    """A real order as WooCommerce renders it in a delivery (placed in the sandbox)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.sandbox_app), base_url="https://shop.test"
    ) as sandbox:
        await sandbox.post("/_sandbox/seed", json={"count": 1, "sku_prefix": "MUG-"})
        placed = await sandbox.post(
            "/_sandbox/orders", json={"sku": "MUG-00001", "quantity": 2, "status": "processing"}
        )
    assert placed.status_code == 201, placed.text
    return json.dumps(placed.json()).encode()


def _headers(body: bytes, *, secret: str = WEBHOOK_SECRET, delivery: str = "d-1") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": delivery,
        "X-WC-Webhook-Signature": sign(secret, body),
    }


def _counts(services: Services) -> tuple[int, int, int]:
    with services.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0,
            session.scalar(select(func.count()).select_from(Order)) or 0,
            session.scalar(select(func.count()).select_from(OrderStatusChange)) or 0,
        )


async def test_a_signed_delivery_reaches_the_order_ledger(world: WebWorld) -> None:
    body = await _order_body(world)

    response = await world.client.post(URL, content=body, headers=_headers(body))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "delivery": "d-1"}
    with world.services.sessions() as session:
        order = session.scalars(select(Order)).one()
    assert (order.store, order.woo_order_id, order.status) == (
        "main",
        json.loads(body)["id"],
        "processing",
    )
    assert _counts(world.services) == (1, 1, 1)


async def test_a_replayed_delivery_is_processed_once(world: WebWorld) -> None:
    body = await _order_body(world)

    first = await world.client.post(URL, content=body, headers=_headers(body))
    second = await world.client.post(URL, content=body, headers=_headers(body))

    assert (first.status_code, second.status_code) == (200, 200)
    assert _counts(world.services) == (1, 1, 1)
    with world.services.sessions() as session:
        outcome = session.scalars(select(WebhookDelivery.outcome)).one()
    assert outcome == "applied"


async def test_an_unsigned_delivery_is_refused_and_changes_nothing(world: WebWorld) -> None:
    body = await _order_body(world)
    headers = _headers(body)
    del headers["X-WC-Webhook-Signature"]

    response = await world.client.post(URL, content=body, headers=headers)

    assert response.status_code == 401
    assert _counts(world.services) == (0, 0, 0)


async def test_a_forged_signature_is_refused_and_changes_nothing(world: WebWorld) -> None:
    body = await _order_body(world)

    forged = await world.client.post(
        URL, content=body, headers=_headers(body, secret="someone-elses-secret")
    )
    tampered = await world.client.post(
        URL, content=body.replace(b'"processing"', b'"completed"'), headers=_headers(body)
    )

    assert (forged.status_code, tampered.status_code) == (401, 401)
    assert _counts(world.services) == (0, 0, 0)
    assert WEBHOOK_SECRET not in forged.text + tampered.text


async def test_the_ping_woocommerce_sends_on_creation_is_answered_with_200(
    world: WebWorld,
) -> None:
    response = await world.client.post(
        URL,
        content=b"webhook_id=7",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True, "ping": 7}
    assert _counts(world.services) == (0, 0, 0)


async def test_a_body_over_one_mebibyte_is_refused_with_413(world: WebWorld) -> None:
    body = b'{"id": 1, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'

    response = await world.client.post(URL, content=body, headers=_headers(body))

    assert response.status_code == 413
    assert _counts(world.services) == (0, 0, 0)


async def test_a_store_without_a_webhook_secret_accepts_no_delivery(
    world: WebWorld, tmp_path: Path, _sqlite_template: Path
) -> None:
    body = await _order_body(world)
    async with web_world(tmp_path / "other", _sqlite_template, webhook_secret=None) as bare:
        response = await bare.client.post(URL, content=body, headers=_headers(body))
        assert response.status_code == 401
        assert _counts(bare.services) == (0, 0, 0)


async def test_an_unknown_store_is_404(world: WebWorld) -> None:
    body = b"{}"
    response = await world.client.post(
        "/webhooks/woocommerce/nowhere", content=body, headers=_headers(body)
    )
    assert response.status_code == 404


async def test_the_receiver_answers_before_processing_and_a_failing_ingest_is_only_logged(
    tmp_path: Path, _sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, Delivery]] = []

    async def exploding(services: Services, store: str, delivery: Delivery) -> None:
        seen.append((store, delivery))
        raise RuntimeError("ledger offline")

    async with web_world(tmp_path, _sqlite_template, ingest=exploding) as world:
        body = b'{"id": 77, "status": "processing"}'
        response = await world.client.post(URL, content=body, headers=_headers(body))

    assert response.status_code == 200
    ((store, delivery),) = seen
    assert (store, delivery.topic, delivery.resource_id, delivery.delivery_id) == (
        "main",
        "order.created",
        77,
        "d-1",
    )
    assert delivery.body == body
    assert "could not be processed" in caplog.text
    assert "ledger offline" in caplog.text


class _JsonLines(logging.Handler):
    """Formats each record as it is logged, as the JSON log handler of `run` does."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def _json_lines() -> Iterator[list[dict[str, object]]]:
    handler = _JsonLines()
    root = logging.getLogger("storebridge")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_the_receivers_and_the_ingests_log_lines_carry_the_store(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    async def failing(services: Services, store: str, delivery: Delivery) -> None:
        logging.getLogger("storebridge.sync.orders").info("applying %s", delivery.delivery_id)
        raise RuntimeError("ledger offline")

    async with web_world(tmp_path, _sqlite_template, ingest=failing) as world:
        body = b'{"id": 77, "status": "processing"}'
        with _json_lines() as lines:
            forged = await world.client.post(
                URL, content=body, headers=_headers(body, secret="not-the-secret")
            )
            accepted = await world.client.post(
                "/webhooks/woocommerce/outlet", content=body, headers=_headers(body)
            )

    assert (forged.status_code, accepted.status_code) == (401, 200)
    by_message = {str(line["message"]): line for line in lines}
    refused = by_message["store main: webhook with a missing or wrong signature refused"]
    assert refused["store"] == "main"
    assert by_message["applying d-1"]["store"] == "outlet"
    (crashed,) = [line for line in lines if "could not be processed" in str(line["message"])]
    assert crashed["store"] == "outlet" and "ledger offline" in str(crashed["exception"])
    assert all("job" not in line for line in lines)


def _reconfigure(world: WebWorld, **changes: object) -> None:
    """Change the main store's settings as a reloaded configuration would."""
    store = world.services.stores["main"]
    store.settings = store.settings.model_copy(update=changes)


async def test_a_topic_the_store_did_not_configure_is_refused_after_the_signature_check(
    world: WebWorld,
) -> None:
    _reconfigure(world, webhook_topics=("order.updated",))
    body = await _order_body(world)

    response = await world.client.post(URL, content=body, headers=_headers(body))

    assert response.status_code == 400
    assert "order.created" in response.json()["error"]
    assert _counts(world.services) == (0, 0, 0)


async def test_deliveries_over_the_stores_rate_limit_get_429_and_change_nothing(
    world: WebWorld, caplog: pytest.LogCaptureFixture
) -> None:
    _reconfigure(world, webhook_rate_per_minute=2)
    body = await _order_body(world)

    statuses = [
        (await world.client.post(URL, content=body, headers=_headers(body, delivery=f"d-{n}")))
        for n in range(3)
    ]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[2].headers["retry-after"]) >= 1
    assert _counts(world.services)[0] == 2
    assert body.decode()[:40] not in caplog.text  # nothing of a body is logged
    other = await world.client.post(
        "/webhooks/woocommerce/outlet", content=body, headers=_headers(body)
    )
    assert other.status_code == 200  # the limit is per store


async def test_during_a_rotation_both_the_new_and_the_previous_secret_are_accepted(
    world: WebWorld,
) -> None:
    _reconfigure(
        world,
        webhook_secret=SecretStr("whsec-new-9876543210"),
        webhook_secret_previous=SecretStr(WEBHOOK_SECRET),
    )
    body = await _order_body(world)

    old = await world.client.post(URL, content=body, headers=_headers(body, delivery="d-old"))
    new = await world.client.post(
        URL,
        content=body,
        headers=_headers(body, secret="whsec-new-9876543210", delivery="d-new"),
    )
    other = await world.client.post(
        URL, content=body, headers=_headers(body, secret="whsec-someone-else", delivery="d-x")
    )

    assert (old.status_code, new.status_code, other.status_code) == (200, 200, 401)
    assert _counts(world.services)[0] == 2
