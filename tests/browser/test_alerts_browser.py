"""The Alerts page in a real browser: from the overview's tile to the alert and its delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.browser.browser_support import Shop, WebServer, log_in
from tests.web.web_support import deliver_alerts

from storebridge.alerts import clear_alert, raise_alert
from storebridge.alerts.conditions import EXPORT_PARKED, STORE_RED
from storebridge.persistence.types import utcnow

pytestmark = pytest.mark.browser


def test_the_overview_links_its_open_alerts_to_the_alerts_page(
    page: Page, server: WebServer, shop: Shop
) -> None:
    now = utcnow()
    with shop.services.sessions.begin() as session:
        raise_alert(
            session, kind=EXPORT_PARKED, store="main", key="9001",
            message="order 9001 parked: the till refused it", now=now - timedelta(minutes=5),
        )  # fmt: skip
        raise_alert(session, kind=STORE_RED, store="main", key="", message="main is red", now=now)
        deliver_alerts(
            session, store="main", now=now, failing={EXPORT_PARKED: "webhook answered 502"}
        )
        clear_alert(session, kind=STORE_RED, store="main", key="", now=now)

    log_in(page, server)
    tile = page.locator('section[data-store="main"] a.tile', has_text="open alerts")
    expect(tile.locator('[data-metric="open_alerts"]')).to_have_text("1")
    tile.click()

    expect(page).to_have_url(f"{server.url}/alerts?store=main")
    expect(page.get_by_role("navigation").get_by_role("link", name="Alerts")).to_have_class(
        "active"
    )
    expect(page.get_by_test_id("open-count")).to_have_text("1")
    parked = page.get_by_test_id("open-alerts").locator('tr[data-kind="export_parked"]')
    expect(parked).to_contain_text("order 9001 parked: the till refused it")
    expect(parked.get_by_test_id("told")).to_have_text("not yet")
    expect(parked.locator('[data-field="failed_sends"]')).to_have_text("1")
    expect(parked.locator('[data-field="last_error"]')).to_have_text("webhook answered 502")
    recovered = page.get_by_test_id("recovered-alerts").locator('tr[data-kind="store_red"]')
    expect(recovered).to_contain_text("main is red")
    expect(recovered.get_by_test_id("recovery")).to_contain_text("owed")
