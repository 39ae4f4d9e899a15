""" "Sync now" and "Push now": CSRF, operators only, audited, handed to the runner; the next run due."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.web.web_support import VIEWER, WebWorld, csrf_of, seed_shop, web_world

from storebridge.persistence.repositories.audit import latest_events
from storebridge.persistence.tables import ProductLink, Run
from storebridge.runner.triggers import CannotTrigger


class RecordingTrigger:
    """Remembers what it was asked to run; refuses the jobs in `refuse`."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[str, str]] = []
        self.refuse = refuse

    def opened(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def nothing() -> AsyncIterator[None]:
            yield

        return nothing()

    async def trigger(self, store: str, job: str) -> str:
        if job in self.refuse:
            raise CannotTrigger(f"this runner does not run {job!r}")
        self.calls.append((store, job))
        return f"a {job} run of {store} starts now"


@pytest.fixture
def trigger() -> RecordingTrigger:
    return RecordingTrigger(refuse=frozenset({"reconcile"}))


@pytest.fixture
async def world(
    tmp_path: Path, _sqlite_template: Path, trigger: RecordingTrigger
) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path, _sqlite_template, trigger=trigger) as built:
        yield built


def _events(world: WebWorld) -> list[tuple[str, str, str, str]]:
    with world.services.sessions() as session:
        return [(e.actor, e.action, e.target, e.result) for e in latest_events(session)]


async def test_sync_now_hands_the_products_job_to_the_runner_and_is_audited(
    world: WebWorld, trigger: RecordingTrigger
) -> None:
    await world.login()
    overview = (await world.client.get("/")).text
    assert 'action="/stores/main/sync"' in overview and "Sync now" in overview

    response = await world.client.post(
        "/stores/main/sync", data={"csrf_token": csrf_of(overview), "back": "/"}
    )

    assert response.status_code == 303 and response.headers["location"] == "/"
    assert trigger.calls == [("main", "products")]
    assert ("ada", "sync now", "store main", "ok") in _events(world)
    assert "a products run of main starts now" in (await world.client.get("/")).text
    with world.services.sessions() as session:  # nothing ran inside the request
        assert session.scalar(select(Run.id)) is None


async def test_a_refused_or_unknown_sync_says_why(
    world: WebWorld, trigger: RecordingTrigger
) -> None:
    await world.login()
    token = await world.csrf()

    refused = await world.client.post(
        "/stores/main/sync", data={"csrf_token": token, "job": "reconcile"}
    )
    unknown_job = await world.client.post(
        "/stores/main/sync", data={"csrf_token": token, "job": "x"}
    )
    unknown_store = await world.client.post("/stores/nope/sync", data={"csrf_token": token})

    assert refused.status_code == 303
    assert "this runner does not run &#39;reconcile&#39;" in (await world.client.get("/")).text
    assert ("ada", "sync now", "store main", "refused") in _events(world)
    assert unknown_job.status_code == 404 and unknown_store.status_code == 404
    assert trigger.calls == []


async def test_a_viewer_has_no_button_and_is_refused_and_a_forged_request_too(
    world: WebWorld, trigger: RecordingTrigger
) -> None:
    seed_shop(world.services)
    await world.login(VIEWER)
    overview = (await world.client.get("/")).text
    product = (await world.client.get("/products/main/MUG-BLUE")).text
    token = csrf_of(overview)

    sync = await world.client.post("/stores/main/sync", data={"csrf_token": token})
    push = await world.client.post(
        "/stores/main/push", data={"csrf_token": token, "sku": "MUG-BLUE"}
    )

    assert "Sync now" not in overview and "Push now" not in product
    assert sync.status_code == 403 and push.status_code == 403
    assert (VIEWER, "POST", "/stores/main/sync", "forbidden") in _events(world)
    await world.login()
    forged = await world.client.post("/stores/main/sync", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert trigger.calls == []


async def test_push_now_forgets_the_pushed_stock_then_asks_for_a_products_run(
    world: WebWorld, trigger: RecordingTrigger
) -> None:
    seed_shop(world.services)  # MUG-BLUE pushed stock 7; TEE-M broken
    await world.login()
    page = (await world.client.get("/products/main/MUG-BLUE")).text
    assert 'action="/stores/main/push"' in page

    response = await world.client.post(
        "/stores/main/push", data={"csrf_token": csrf_of(page), "sku": "MUG-BLUE"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/products/main/MUG-BLUE"
    assert trigger.calls == [("main", "products")]
    with world.services.sessions() as session:
        stocks = dict(session.execute(select(ProductLink.sku, ProductLink.pushed_stock)).all())
    assert stocks == {"MUG-BLUE": None, "MUG-RED": 7, "TEE-M": 7}  # only this one is resent
    assert ("ada", "push now", "product main/MUG-BLUE", "ok") in _events(world)


async def test_push_now_refuses_a_broken_link_and_an_unknown_sku(
    world: WebWorld, trigger: RecordingTrigger
) -> None:
    seed_shop(world.services)
    await world.login()
    token = await world.csrf()

    broken = await world.client.post(
        "/stores/main/push", data={"csrf_token": token, "sku": "TEE-M"}
    )
    unknown = await world.client.post(
        "/stores/main/push", data={"csrf_token": token, "sku": "NOPE"}
    )

    assert broken.status_code == 303 and unknown.status_code == 404
    assert (
        "TEE-M is broken: fix its link first"
        in (await world.client.get("/products/main/TEE-M")).text
    )
    assert ("ada", "push now", "product main/TEE-M", "refused") in _events(world)
    assert trigger.calls == []
    with world.services.sessions() as session:
        assert (
            session.scalar(select(ProductLink.pushed_stock).where(ProductLink.sku == "TEE-M")) == 7
        )


async def test_without_a_runner_there_is_no_button_and_the_action_answers_503(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    async with web_world(tmp_path, _sqlite_template) as world:
        await world.login()
        overview = (await world.client.get("/")).text

        response = await world.client.post(
            "/stores/main/sync", data={"csrf_token": csrf_of(overview)}
        )

        assert "Sync now" not in overview
        assert response.status_code == 503
        assert "this dashboard runs no jobs" in response.text
        assert ("ada", "sync now", "store main", "unavailable") in _events(world)


async def test_the_overview_says_when_each_job_is_due_next(world: WebWorld) -> None:
    seed_shop(world.services)  # products and export ran just now; orders and reconcile never
    await world.login()

    html = (await world.client.get("/")).text

    section = html.split('data-store="main"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-job="([a-z]+)">.*?data-due="([^"]+)"[^>]*>([^<]*)<', section, re.S)
    due = {job: (datetime.fromisoformat(at), text) for job, at, text in rows}
    with world.services.sessions() as session:
        started = dict(
            session.execute(select(Run.job, Run.started_at).where(Run.store == "main")).all()
        )
    every = world.services.settings.store("main").intervals
    assert due["products"][0] == started["products"] + timedelta(seconds=every.products)
    assert due["export"][0] == started["export"] + timedelta(seconds=every.export)
    assert re.fullmatch(r"in (4|5) min", due["products"][1])
    assert due["orders"][1] == "now" and due["reconcile"][1] == "now"
