"""Login, sessions and CSRF: nothing is reachable or changeable without them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.web.web_support import PASSWORD, USER, WebWorld, csrf_of, seed_shop

from storebridge.persistence.tables import Export, User

PAGES = ["/", "/products", "/products/main/MUG-BLUE", "/quarantine", "/orders", "/runs"]
ACTIONS = ["/orders/main/502/retry", "/orders/main/503/skip", "/orders/main/504/resolve", "/logout"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_redirects_an_anonymous_visitor_to_the_login(
    world: WebWorld, path: str
) -> None:
    response = await world.client.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ACTIONS)
async def test_every_action_redirects_an_anonymous_visitor_to_the_login_and_changes_nothing(
    world: WebWorld, path: str
) -> None:
    seed_shop(world.services)
    page = await world.client.get("/login")

    response = await world.client.post(path, data={"csrf_token": csrf_of(page.text), "reason": "x"})

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    with world.services.sessions() as session:
        states = dict(session.execute(select(Export.woo_order_id, Export.state)).all())
    assert states[502] == "failed" and states[503] == "eligible"


async def test_a_user_logs_in_and_is_sent_where_they_were_going(world: WebWorld) -> None:
    first = await world.client.get("/runs?store=main")
    page = await world.client.get(first.headers["location"])
    assert 'name="next" value="/runs?store=main"' in page.text

    response = await world.client.post(
        "/login",
        data={
            "username": USER,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/runs?store=main",
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/runs?store=main"
    assert (await world.client.get("/runs?store=main")).status_code == 200
    with world.services.sessions() as session:
        user = session.scalars(select(User).where(User.username == USER)).one()
    assert user.last_login_at is not None


async def test_a_wrong_password_or_unknown_user_is_refused_with_the_same_message(
    world: WebWorld,
) -> None:
    wrong = await world.login(password="not the password")
    unknown = await world.login(username="mallory")

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "wrong username or password" in response.text
    assert (await world.client.get("/")).status_code == 303


async def test_the_login_form_itself_needs_its_csrf_token(world: WebWorld) -> None:
    await world.client.get("/login")

    response = await world.client.post(
        "/login", data={"username": USER, "password": PASSWORD, "next": "/"}
    )

    assert response.status_code == 403
    assert (await world.client.get("/")).status_code == 303


async def test_a_logged_in_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    await world.login()

    missing = await world.client.post("/orders/main/502/retry", data={})
    forged = await world.client.post("/orders/main/502/retry", data={"csrf_token": "guess"})
    skip = await world.client.post(
        "/orders/main/503/skip", data={"csrf_token": "guess", "reason": "no"}
    )

    assert [missing.status_code, forged.status_code, skip.status_code] == [403, 403, 403]
    with world.services.sessions() as session:
        states = dict(session.execute(select(Export.woo_order_id, Export.state)).all())
    assert states[502] == "failed" and states[503] == "eligible"


async def test_logging_out_ends_the_session(world: WebWorld) -> None:
    await world.login()
    token = await world.csrf("/")

    response = await world.client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert (await world.client.get("/")).status_code == 303


async def test_the_login_never_redirects_to_another_site(world: WebWorld) -> None:
    page = await world.client.get("/login?next=//evil.example/steal")
    assert 'name="next" value="/"' in page.text

    response = await world.client.post(
        "/login",
        data={
            "username": USER,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
    )

    assert response.headers["location"] == "/"


async def test_only_an_argon2_hash_of_the_password_is_stored(world: WebWorld) -> None:
    with world.services.sessions() as session:
        user = session.scalars(select(User).where(User.username == USER)).one()

    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


async def test_the_session_cookie_is_signed_and_a_tampered_one_is_ignored(
    world: WebWorld,
) -> None:
    await world.login()
    cookie = world.client.cookies.get("storebridge_session")
    assert cookie is not None and USER not in cookie

    world.client.cookies.set("storebridge_session", cookie[:-4] + "AAAA")

    assert (await world.client.get("/")).status_code == 303


async def test_pages_forbid_framing_and_inline_scripts(world: WebWorld) -> None:
    response = await world.client.get("/login")

    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "<script" not in response.text
