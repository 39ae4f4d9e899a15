"""`webhooks install|repair` and the runner's webhook check, against the sandbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.setup.setup_support import PUBLIC_URL, RECEIVER, WEBHOOK_SECRET, keys, setup_world
from tests.sync.sync_helpers import STORE, World

from storebridge.alerts import WEBHOOK_DISABLED
from storebridge.errors import ConfigError
from storebridge.persistence.tables import Alert
from storebridge.runner.jobs import default_jobs
from storebridge.sandbox import SandboxConfig
from storebridge.sandbox.db import loads
from storebridge.sync.setup.webhooks import check_webhooks, install_webhooks, webhook_status

TOPICS = ["order.created", "order.deleted", "order.restored", "order.updated"]


def stored_hooks(world: World) -> list[dict[str, object]]:
    """The webhooks as the sandbox keeps them (secrets included), by id."""
    return [
        loads(row["doc"]) for row in world.sandbox.db.all("SELECT doc FROM webhooks ORDER BY id")
    ]


class Receiver:
    """Where the sandbox delivers webhooks: answers 200 or, once told to, 500."""

    def __init__(self) -> None:
        self.failing = False
        self.received: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(500 if self.failing else 200)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def delivering(tmp_path: Path, _sqlite_template: Path, receiver: Receiver) -> Iterator[World]:
    """A world whose sandbox delivers webhooks to `receiver`."""
    config = SandboxConfig(webhook_auto_deliver=False, keys=keys())
    with setup_world(
        tmp_path,
        _sqlite_template,
        sandbox=config,
        webhook_transport=httpx.MockTransport(receiver),
    ) as world:
        yield world


async def test_install_creates_one_signed_webhook_per_topic(world: World) -> None:
    changes = await install_webhooks(world.services, STORE, PUBLIC_URL)

    assert sorted(changes.applied) == [f"created {topic} → {RECEIVER}" for topic in TOPICS]
    assert all(sub.ok for sub in changes.after)
    hooks = stored_hooks(world)
    assert sorted(str(h["topic"]) for h in hooks) == TOPICS
    assert {(h["name"], h["status"], h["delivery_url"], h["secret"]) for h in hooks} == {
        ("StoreBridge main", "active", RECEIVER, WEBHOOK_SECRET)
    }


async def test_a_second_install_changes_nothing(world: World) -> None:
    await install_webhooks(world.services, STORE, PUBLIC_URL)
    before = stored_hooks(world)
    writes = world.writes()

    again = await install_webhooks(world.services, STORE, PUBLIC_URL + "/")

    assert again.applied == []
    assert world.writes() == writes
    assert stored_hooks(world) == before


async def test_install_needs_a_public_url_and_a_secret(
    world: World, tmp_path: Path, _sqlite_template: Path
) -> None:
    with pytest.raises(ConfigError, match="--public-url"):
        await install_webhooks(world.services, STORE)
    (tmp_path / "b").mkdir()
    with setup_world(tmp_path / "b", _sqlite_template, webhook_secret=None) as bare:
        with pytest.raises(ConfigError, match="no webhook_secret"):
            await install_webhooks(bare.services, STORE, PUBLIC_URL)
        assert stored_hooks(bare) == []


async def test_install_points_a_moved_webhook_back_and_adopts_hand_made_ones(world: World) -> None:
    await world.api(
        "POST",
        "/webhooks",
        json={"name": "mine", "topic": "order.created", "delivery_url": RECEIVER},
    )
    await world.api(
        "POST",
        "/webhooks",
        json={
            "name": "StoreBridge main",
            "topic": "order.updated",
            "delivery_url": "http://old:8080/webhooks/woocommerce/main",
        },
    )

    changes = await install_webhooks(world.services, STORE, PUBLIC_URL)

    assert len(stored_hooks(world)) == 4  # two adopted, two created
    assert any("name → StoreBridge main" in line for line in changes.applied)
    assert any(f"delivery_url → {RECEIVER}" in line for line in changes.applied)
    assert {h["delivery_url"] for h in stored_hooks(world)} == {RECEIVER}


async def test_a_webhook_woocommerce_disabled_is_revived_by_install(
    delivering: World, receiver: Receiver
) -> None:
    world = delivering
    await install_webhooks(world.services, STORE, PUBLIC_URL)
    order = await world.api("POST", "/orders", json={"status": "pending"})
    world.sandbox.flush_webhooks()
    receiver.failing = True
    for note in range(7):  # WooCommerce disables a webhook at its 7th failure in a row
        await world.api("PUT", f"/orders/{order['id']}", json={"customer_note": f"n{note}"})
        world.sandbox.flush_webhooks()

    [updated] = [
        s
        for s in await webhook_status(world.services, STORE, PUBLIC_URL)
        if s.topic == "order.updated"
    ]
    assert updated.problem == "disabled"

    changes = await install_webhooks(world.services, STORE, PUBLIC_URL)

    assert changes.applied == [
        f"updated order.updated (#{updated.webhook and updated.webhook.id}): status → active"
    ]
    assert all(sub.ok for sub in changes.after)
    # WooCommerce keeps the failure count: one more failure disables it again...
    await world.api("PUT", f"/orders/{order['id']}", json={"customer_note": "again"})
    world.sandbox.flush_webhooks()
    statuses = {s.topic: s.problem for s in await webhook_status(world.services, STORE, PUBLIC_URL)}
    assert statuses["order.updated"] == "disabled"
    # ...until the receiver answers again and a delivery succeeds.
    receiver.failing = False
    await install_webhooks(world.services, STORE, PUBLIC_URL)
    await world.api("PUT", f"/orders/{order['id']}", json={"customer_note": "fixed"})
    world.sandbox.flush_webhooks()
    receiver.failing = True
    await world.api("PUT", f"/orders/{order['id']}", json={"customer_note": "one failure"})
    world.sandbox.flush_webhooks()
    assert all(s.ok for s in await webhook_status(world.services, STORE, PUBLIC_URL))


async def test_repair_sends_the_secret_again_install_does_not(world: World) -> None:
    await install_webhooks(world.services, STORE, PUBLIC_URL)
    hook_id = stored_hooks(world)[0]["id"]
    await world.api("PUT", f"/webhooks/{hook_id}", json={"secret": "changed-in-wp-admin"})

    await install_webhooks(world.services, STORE, PUBLIC_URL)
    assert stored_hooks(world)[0]["secret"] == "changed-in-wp-admin"

    repaired = await install_webhooks(world.services, STORE, PUBLIC_URL, resend_secret=True)

    assert len(repaired.applied) == 4
    assert all(line.endswith("secret sent again") for line in repaired.applied)
    assert {h["secret"] for h in stored_hooks(world)} == {WEBHOOK_SECRET}


async def test_the_runner_check_counts_states_and_warns_of_a_disabled_webhook(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await install_webhooks(world.services, STORE, PUBLIC_URL)
    hook = next(h for h in stored_hooks(world) if h["topic"] == "order.created")
    await world.api("PUT", f"/webhooks/{hook['id']}", json={"status": "disabled"})

    with caplog.at_level(logging.WARNING, logger="storebridge.webhooks"):
        counts = await check_webhooks(world.services, STORE)

    assert counts == {"webhooks_ok": 3, "webhooks_disabled": 1}
    assert "store main: webhook order.created: disabled by WooCommerce" in caplog.text
    assert "storebridge webhooks repair --store main" in caplog.text
    assert WEBHOOK_SECRET not in caplog.text
    assert _webhook_alerts(world) == [(str(hook["id"]), None)]

    await install_webhooks(world.services, STORE, PUBLIC_URL)
    assert await check_webhooks(world.services, STORE) == {"webhooks_ok": 4}
    [(key, resolved)] = _webhook_alerts(world)
    assert key == str(hook["id"]) and resolved is not None  # the recovery message is owed


def _webhook_alerts(world: World) -> list[tuple[str, object]]:
    """The webhook_disabled alerts of the store: (webhook id, resolved_at)."""
    with world.services.sessions() as session:
        rows = session.scalars(
            select(Alert).where(Alert.store == STORE, Alert.kind == WEBHOOK_DISABLED)
        )
        return [(row.key, row.resolved_at) for row in rows]


async def test_the_reconcile_job_records_the_webhook_counts(world: World) -> None:
    result = await default_jobs()["reconcile"].run(world.services, STORE)

    assert result.outcome == "ok"
    assert result.extra_counts["webhooks_missing"] == 4


async def test_a_store_without_webhooks_is_not_checked(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    with setup_world(tmp_path, _sqlite_template, webhook_secret=None) as world:
        assert await check_webhooks(world.services, STORE) == {}
