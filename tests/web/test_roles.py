"""Roles and the audit trail: viewers see, operators act, every action is recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.web.web_support import VIEWER, WebWorld, seed_shop

from storebridge.persistence.repositories import users
from storebridge.persistence.repositories.audit import latest_events
from storebridge.persistence.tables import Export

ACTIONS = ["/orders/main/502/retry", "/orders/main/503/skip", "/orders/main/504/resolve"]


def _states(world: WebWorld) -> dict[int, str]:
    with world.services.sessions() as session:
        return dict(session.execute(select(Export.woo_order_id, Export.state)).all())


@pytest.mark.parametrize("path", ACTIONS)
async def test_a_viewer_gets_403_on_every_action_and_the_refusal_is_recorded(
    world: WebWorld, path: str
) -> None:
    seed_shop(world.services)
    before = _states(world)
    await world.login(username=VIEWER)

    response = await world.client.post(path, data={"csrf_token": await world.csrf(), "reason": "x"})

    assert response.status_code == 403
    assert _states(world) == before
    with world.services.sessions() as session:
        [event] = latest_events(session)
    assert (event.actor, event.target, event.result) == (VIEWER, path, "forbidden")


async def test_a_viewer_sees_the_orders_but_no_action_button(world: WebWorld) -> None:
    seed_shop(world.services)
    await world.login(username=VIEWER)

    page = await world.client.get("/orders")

    assert page.status_code == 200
    assert 'data-order="502"' in page.text
    assert "/retry" not in page.text and "/skip" not in page.text
    assert "(viewer)" in page.text


async def test_an_operator_sees_the_action_buttons(world: WebWorld) -> None:
    seed_shop(world.services)
    await world.login()

    page = await world.client.get("/orders")

    assert "/orders/main/502/retry" in page.text


async def test_a_role_change_applies_at_once(world: WebWorld) -> None:
    seed_shop(world.services)
    await world.login(username=VIEWER)
    with world.services.sessions.begin() as session:
        users.set_role(session, username=VIEWER, role="operator")

    response = await world.client.post(
        "/orders/main/502/retry", data={"csrf_token": await world.csrf()}
    )

    assert response.status_code == 303
    assert _states(world)[502] == "eligible"


async def test_every_operator_action_is_recorded_with_who_what_and_result(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    await world.login()
    token = await world.csrf()

    await world.client.post("/orders/main/502/retry", data={"csrf_token": token})
    await world.client.post("/orders/main/503/skip", data={"csrf_token": token, "reason": "dup"})
    await world.client.post("/orders/main/504/resolve", data={"csrf_token": token})

    with world.services.sessions() as session:
        events = [(e.actor, e.action, e.target, e.result) for e in reversed(latest_events(session))]
    assert events == [
        ("ada", "retry export", "order main/502", "ok"),
        ("ada", "skip export", "order main/503", "ok"),
        ("ada", "close review", "order main/504", "refused"),  # 504 is exported, not in review
    ]
    page = await world.client.get("/activity")
    assert page.status_code == 200
    assert "skip export" in page.text and "order main/503" in page.text and "dup" in page.text


def test_an_unknown_role_is_refused(world: WebWorld) -> None:
    with world.services.sessions.begin() as session, pytest.raises(ValueError, match="viewer"):
        users.add_user(session, username="x", password_hash="h", role="admin")  # type: ignore[arg-type]
