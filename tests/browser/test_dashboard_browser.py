"""The dashboard in a real browser: log in, read the overview, explain a stock figure, retry."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from tests.browser.browser_support import VIEWER, Shop, WebServer, log_in, screenshot

from storebridge.domain.model import sku_key
from storebridge.persistence.tables import Export, Order, ProductLink, QuarantineRow
from storebridge.sync.orders.ledger_view import allocated_for_store

pytestmark = pytest.mark.browser


def test_the_overview_shows_the_numbers_the_database_holds(
    page: Page, server: WebServer, shop: Shop
) -> None:
    log_in(page, server)
    store = page.locator('section[data-store="main"]')

    with shop.services.sessions() as session:
        count = lambda *where: session.scalar(select(func.count()).where(*where))  # noqa: E731
        expected = {
            "linked": count(ProductLink.store == "main", ProductLink.state == "linked"),
            "quarantined": count(
                QuarantineRow.store == "main", QuarantineRow.resolved_at.is_(None)
            ),
            "exported": count(Export.store == "main", Export.state == "exported"),
            "failed": count(Export.store == "main", Export.state == "failed"),
            "orders_outstanding": count(Order.store == "main", Order.status == "processing"),
        }
        settings = shop.services.settings.store("main")
        allocated = sum(allocated_for_store(session, "main", settings).values())
    assert expected["linked"] > 0 and expected["quarantined"] == 1 and expected["failed"] == 1
    for metric, value in expected.items():
        expect(store.locator(f'[data-metric="{metric}"]')).to_have_text(str(value))
    expect(store.locator('[data-metric="units_allocated"]')).to_have_text(str(allocated))
    expect(store.get_by_test_id("health")).to_have_text("amber")
    expect(store.get_by_test_id("reasons")).to_contain_text("1 POS row(s) quarantined")
    expect(store.locator('tr[data-job="products"] .badge')).to_have_text("ok")


def test_a_product_page_explains_why_its_stock_is_what_it_is(
    page: Page, server: WebServer, shop: Shop, tmp_path: Path
) -> None:
    log_in(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Products", exact=True).click()
    page.get_by_label("SKU or name").fill(shop.allocated_sku)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=shop.allocated_sku, exact=True).click()

    with shop.services.sessions() as session:
        link = session.scalars(
            select(ProductLink).where(ProductLink.sku_key == sku_key(shop.allocated_sku))
        ).one()
        settings = shop.services.settings.store("main")
        held = allocated_for_store(session, "main", settings)[sku_key(shop.allocated_sku)]
    assert link.on_hand is not None and held == 2
    available = max(0, link.on_hand - held - 1)
    expect(page.get_by_test_id("explanation")).to_have_text(
        f"on-hand {link.on_hand} \u2212 allocated {held} \u2212 safety 1 = {available}"
    )
    expect(page.get_by_test_id("pushed-stock")).to_have_text(str(link.pushed_stock))
    expect(page.get_by_test_id("history").locator("tbody tr").first).to_be_visible()
    screenshot(page, tmp_path, "product.png")


def test_a_failed_export_is_retried_from_the_orders_page(
    page: Page, server: WebServer, shop: Shop
) -> None:
    with shop.services.sessions() as session:
        failed = session.scalars(select(Export).where(Export.state == "failed")).one()
    log_in(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Orders", exact=True).click()
    page.locator('.tabs a[href^="/orders?state=failed"]').click()
    row = page.locator(f'tr[data-order="{failed.woo_order_id}"]')
    expect(row).to_contain_text("PosUnavailable")

    row.get_by_role("button", name="Retry").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"order {failed.woo_order_id} will be exported on the next export run"
    )
    with shop.services.sessions() as session:
        state = session.scalar(select(Export.state).where(Export.id == failed.id))
    assert state == "eligible"


def test_a_viewer_sees_the_orders_without_action_buttons_and_gets_403_on_an_action(
    page: Page, server: WebServer, shop: Shop
) -> None:
    with shop.services.sessions() as session:
        exports = dict(session.execute(select(Export.woo_order_id, Export.state)).all())
    log_in(page, server, VIEWER)
    page.get_by_role("navigation").get_by_role("link", name="Orders", exact=True).click()

    expect(page.locator("tr[data-order]")).to_have_count(len(exports))
    expect(page.locator("td.actions button")).to_have_count(0)
    expect(page.locator("header .who")).to_contain_text("(viewer)")
    # The same POST the operator's Retry button sends, with the viewer's cookie and CSRF token.
    token = page.locator('form.logout input[name="csrf_token"]').get_attribute("value")
    order_id = next(iter(exports))
    response = page.request.post(
        f"{server.url}/orders/main/{order_id}/retry", form={"csrf_token": token or ""}
    )

    assert response.status == 403
    with shop.services.sessions() as session:
        after = dict(session.execute(select(Export.woo_order_id, Export.state)).all())
    assert after == exports
