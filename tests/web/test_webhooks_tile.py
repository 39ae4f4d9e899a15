"""The overview's webhook tile: the state the runner's last webhook check recorded."""

from __future__ import annotations

import re

from tests.web.web_support import WebWorld

from storebridge.persistence.repositories import runs
from storebridge.sync.setup.webhooks import check_webhooks, install_webhooks


def _tile(html: str, store: str) -> str:
    section = html.split(f'data-store="{store}"', 1)[1].split("</section>", 1)[0]
    return section.split('data-testid="webhooks"', 1)[1].split("</div>", 1)[0]


async def _record_reconcile(world: WebWorld, store: str) -> None:
    """What the runner does after a reconcile: check the webhooks, log the counts."""
    counts = await check_webhooks(world.services, store)
    with world.services.sessions.begin() as session:
        run = runs.start_run(session, store=store, job="reconcile")
        runs.finish_run(session, run_id=run.id, outcome="ok", counts={"drafts": 0, **counts})


async def test_the_overview_shows_a_disabled_webhook_until_it_is_repaired(world: WebWorld) -> None:
    await install_webhooks(world.services, "main", "https://bridge.example")
    async with world.services.store("main").woo() as woo:
        hooks = await woo.list_webhooks()
        created = next(h for h in hooks if h.topic == "order.created")
        await woo.update_webhook(created.id, {"status": "disabled"})
    await _record_reconcile(world, "main")
    await world.login()

    tile = _tile((await world.client.get("/")).text, "main")

    assert re.search(r'data-metric="webhooks_ok">3<', tile)
    assert '<span data-webhooks="disabled">1 disabled</span>' in tile
    assert "storebridge webhooks repair" in tile
    outlet = _tile((await world.client.get("/")).text, "outlet")
    assert 'data-metric="webhooks_ok">?<' in outlet and "checked by the next reconcile" in outlet

    await install_webhooks(world.services, "main", "https://bridge.example")
    await _record_reconcile(world, "main")

    tile = _tile((await world.client.get("/")).text, "main")
    assert re.search(r'data-metric="webhooks_ok">4<', tile) and "all active" in tile
