"""Bad input at the dashboard and the webhook receiver: a clear 4xx, never a 500, nothing changed.

Each case is listed in docs/reliability.md with its outcome.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from tests.web.web_support import WEBHOOK_SECRET, WebWorld, csrf_of, seed_shop

from storebridge.persistence.tables import Export, WebhookDelivery
from storebridge.sandbox import sign
from storebridge.web.routes.webhooks import MAX_BODY_BYTES

URL = "/webhooks/woocommerce/main"
BODY = json.dumps({"id": 7001, "status": "processing", "line_items": []}).encode()


def _signed(body: bytes, **headers: str) -> dict[str, str]:
    signed = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Delivery-ID": "d-1",
        "X-WC-Webhook-Signature": sign(WEBHOOK_SECRET, body),
    }
    signed.update(headers)
    return signed


def _deliveries(world: WebWorld) -> int:
    with world.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0


# -- the webhook receiver ------------------------------------------------------------


async def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(
    world: WebWorld,
) -> None:
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(4):
            sent.append(1)
            yield b"x" * (MAX_BODY_BYTES // 2)

    response = await world.client.post(
        URL, content=body(), headers={"Content-Length": str(2 * MAX_BODY_BYTES)}
    )

    assert response.status_code == 413
    assert sent == []
    assert _deliveries(world) == 0


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(world: WebWorld) -> None:
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(8):
            sent.append(1)
            yield b"x" * (MAX_BODY_BYTES // 2)

    response = await world.client.post(URL, content=body())

    assert response.status_code == 413
    assert len(sent) <= 3
    assert _deliveries(world) == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""]
)
async def test_a_signed_delivery_that_is_not_json_by_its_content_type_is_refused_with_415(
    world: WebWorld, content_type: str
) -> None:
    response = await world.client.post(
        URL, content=BODY, headers=_signed(BODY, **{"Content-Type": content_type})
    )

    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert _deliveries(world) == 0


async def test_a_json_content_type_with_a_charset_is_accepted(world: WebWorld) -> None:
    headers = _signed(BODY, **{"Content-Type": "Application/JSON; charset=UTF-8"})

    response = await world.client.post(URL, content=BODY, headers=headers)

    assert response.status_code == 200
    assert _deliveries(world) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "the body is not JSON"),
        (b"\xff\xfe binary", "the body is not JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
    ],
)
async def test_a_signed_body_that_is_not_a_json_object_is_refused_with_400(
    world: WebWorld, body: bytes, error: str
) -> None:
    response = await world.client.post(URL, content=body, headers=_signed(body))

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert _deliveries(world) == 0


async def test_a_signed_delivery_without_its_delivery_id_is_refused_with_400(
    world: WebWorld,
) -> None:
    headers = _signed(BODY)
    del headers["X-WC-Webhook-Delivery-ID"]

    response = await world.client.post(URL, content=BODY, headers=headers)

    assert response.status_code == 400
    assert _deliveries(world) == 0


async def test_a_replay_of_a_delivery_id_with_a_tampered_body_is_refused(world: WebWorld) -> None:
    first = await world.client.post(URL, content=BODY, headers=_signed(BODY))
    tampered = BODY.replace(b"processing", b"cancelled")

    replay = await world.client.post(URL, content=tampered, headers=_signed(BODY))

    assert (first.status_code, replay.status_code) == (200, 401)
    assert _deliveries(world) == 1


# -- the dashboard forms -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/orders/main/abc/retry",
        "/orders/main/-1x/skip",
        "/orders/nowhere/502/retry",
        "/orders/main/99999999999999999999999/retry",
        "/orders/main/9223372036854775808/resolve",
        "/orders/main/12/explode",
    ],
)
async def test_an_action_on_a_bad_store_or_order_id_is_404_and_changes_nothing(
    world: WebWorld, path: str
) -> None:
    seed_shop(world.services)
    await world.login()
    token = await world.csrf()

    response = await world.client.post(path, data={"csrf_token": token, "reason": "x"})

    assert response.status_code == 404
    with world.services.sessions() as session:
        states = dict(session.execute(select(Export.woo_order_id, Export.state)).all())
    assert (states[502], states[503], states[504]) == ("failed", "eligible", "exported")


@pytest.mark.parametrize("action", ["retry", "skip", "resolve"])
async def test_an_action_on_an_order_stored_nowhere_says_why_and_changes_nothing(
    world: WebWorld, action: str
) -> None:
    seed_shop(world.services)
    await world.login()
    token = await world.csrf()

    response = await world.client.post(
        f"/orders/main/424242/{action}", data={"csrf_token": token, "reason": "x"}
    )

    assert response.status_code == 303
    page = await world.client.get(response.headers["location"])
    assert page.status_code == 200
    assert "424242" in page.text
    with world.services.sessions() as session:
        assert (session.scalar(select(func.count()).where(Export.woo_order_id == 424242)) or 0) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/products/nowhere/MUG-BLUE",
        "/products/main/NO-SUCH-SKU",
        "/products/main/%00%ff",
        "/runs?store=nowhere",
        "/orders?store=nowhere",
        "/orders?state=bogus",
        "/quarantine?store=nowhere",
    ],
)
async def test_a_page_asked_for_something_that_does_not_exist_is_404(
    world: WebWorld, path: str
) -> None:
    seed_shop(world.services)
    await world.login()

    response = await world.client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [("/products?page=abc", 422), ("/products?page=-5", 200), ("/products?page=0", 200)],
)
async def test_a_bad_page_number_is_refused_or_read_as_the_first_page(
    world: WebWorld, path: str, status: int
) -> None:
    seed_shop(world.services)
    await world.login()

    response = await world.client.get(path)

    assert response.status_code == status


async def test_a_form_without_its_csrf_token_is_403_even_with_a_bad_id(world: WebWorld) -> None:
    seed_shop(world.services)
    await world.login()

    response = await world.client.post("/orders/main/502/retry", data={"reason": "x"})

    assert response.status_code == 403
    with world.services.sessions() as session:
        assert session.scalar(select(Export.state).where(Export.woo_order_id == 502)) == "failed"


async def test_a_login_form_with_absurd_fields_is_refused_without_a_crash(world: WebWorld) -> None:
    page = await world.client.get("/login")

    response = await world.client.post(
        "/login",
        data={
            "username": "\x00" + "a" * 100_000,
            "password": "p" * 1_000_000,
            "csrf_token": csrf_of(page.text),
        },
    )

    assert response.status_code == 401
