"""The Alerts page lists the open conditions per store with what people were told, and recoveries."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.web_support import WebWorld, deliver_alerts

from storebridge.alerts import clear_alert, raise_alert
from storebridge.alerts.conditions import EXPORT_PARKED, LINK_BROKEN, QUARANTINE_GREW, STORE_RED
from storebridge.persistence.types import utcnow


def _row(html: str, kind: str, store: str = "main") -> str:
    """The table row of the first alert of `kind` in `store`."""
    match = re.search(
        rf'<tr data-alert="\d+" data-store="{store}" data-kind="{kind}">(.*?)</tr>', html, re.S
    )
    assert match, f"no {kind} alert of {store} on the page"
    return match.group(1)


def _seed_alerts(world: WebWorld) -> None:
    """main: a parked export whose sends fail, a broken link told, a red store that recovered;
    outlet: a growing quarantine not told yet."""
    now = utcnow()
    earlier = now - timedelta(hours=2)
    with world.services.sessions.begin() as session:
        raise_alert(
            session, kind=EXPORT_PARKED, store="main", key="502",
            message="order 502 parked: the POS refused it", now=earlier,
        )  # fmt: skip
        raise_alert(
            session, kind=LINK_BROKEN, store="main", key="TEE-M",
            message="TEE-M: SKU edited in WooCommerce", now=earlier,
        )  # fmt: skip
        raise_alert(
            session, kind=STORE_RED, store="main", key="", message="main is red", now=earlier
        )
        raise_alert(
            session, kind=QUARANTINE_GREW, store="outlet", key="",
            message="3 POS rows quarantined", level=3, now=earlier,
        )  # fmt: skip
        deliver_alerts(session, store="main", now=now, failing={EXPORT_PARKED: "SMTP 554 refused"})
        clear_alert(session, kind=STORE_RED, store="main", key="", now=now)


async def test_the_alerts_page_shows_open_alerts_with_their_delivery_and_recoveries(
    world: WebWorld,
) -> None:
    _seed_alerts(world)
    await world.login()

    html = (await world.client.get("/alerts")).text

    open_part, recovered_part = html.split('data-testid="recovered-alerts"', 1)
    parked = _row(open_part, EXPORT_PARKED)
    assert "order 502 parked: the POS refused it" in parked
    assert "problem owed" in parked
    assert '<span data-field="failed_sends">1</span>' in parked
    assert "SMTP 554 refused" in parked
    assert "not yet" in parked and "next try" in parked
    broken = _row(open_part, LINK_BROKEN)
    assert "TEE-M: SKU edited in WooCommerce" in broken
    assert '<span data-field="delivered_to">0</span>' in broken  # reset once everyone has it
    assert re.search(r'data-testid="told" title="[^"]+">\d+ s ago<', broken)
    assert "2 h ago" in broken  # since
    assert "3 POS rows quarantined" in _row(open_part, QUARANTINE_GREW, "outlet")
    assert 'data-kind="store_red"' not in open_part
    assert '<span class="muted" data-testid="open-count">3</span>' in open_part
    red = _row(recovered_part, STORE_RED)
    assert "main is red" in red and "owed; 0 failed send(s)" in red
    assert 'data-kind="export_parked"' not in recovered_part


async def test_the_alerts_page_filters_by_store_and_the_overview_counts_them(
    world: WebWorld,
) -> None:
    _seed_alerts(world)
    await world.login()

    outlet = (await world.client.get("/alerts?store=outlet")).text
    assert 'data-kind="quarantine_grew"' in outlet
    assert 'data-store="main"' not in outlet
    assert "Nothing recovered recently." in outlet

    overview = (await world.client.get("/")).text
    main = overview.split('data-store="main"', 1)[1].split("</section>", 1)[0]
    assert (
        '<a class="tile warn" href="/alerts?store=main"><b data-metric="open_alerts">2</b>' in main
    )
    assert 'data-metric="open_alerts">1<' in overview.split('data-store="outlet"', 1)[1]
    assert '<a href="/alerts" class="">Alerts</a>' in overview


async def test_the_alerts_page_needs_a_login_and_a_known_store(world: WebWorld) -> None:
    response = await world.client.get("/alerts")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/alerts"

    await world.login()
    assert (await world.client.get("/alerts?store=nowhere")).status_code == 404
    empty = (await world.client.get("/alerts")).text
    assert "No alert open." in empty and "Nothing recovered recently." in empty
