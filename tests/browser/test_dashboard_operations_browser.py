"""The dashboard's product list, filters, charts and Sync now / Push now, in a real browser.

The app here runs a real scheduler (the products job of the shop's store,
due again only in minutes), so "Sync now" and "Push now" are carried out by
the runner, as in `storebridge run`, and the test waits for the run log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select
from tests.browser.browser_support import VIEWER, Shop, WebServer, log_in, screenshot

from storebridge.domain.model import Quarantined, SourceRef, sku_key
from storebridge.persistence.repositories import quarantine
from storebridge.persistence.tables import ProductLink, QuarantineRow, Run, StockHistory
from storebridge.runner.jobs import default_jobs
from storebridge.runner.scheduler import Scheduler
from storebridge.web import create_web_app
from storebridge.web.views.overview import api_usage

pytestmark = pytest.mark.browser

SHOP_URL = "https://shop.test"


@pytest.fixture(scope="module")
def server(shop: Shop) -> Iterator[WebServer]:
    scheduler = Scheduler(shop.services, {"products": default_jobs()["products"]}, stores=["main"])
    with WebServer(create_web_app(shop.services, scheduler=scheduler)) as running:
        yield running


def _products_runs(shop: Shop) -> list[Run]:
    with shop.services.sessions() as session:
        return list(
            session.scalars(
                select(Run).where(Run.store == "main", Run.job == "products").order_by(Run.id)
            )
        )


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _skus(rows: Locator) -> set[str]:
    return {str(rows.nth(i).get_attribute("data-sku")) for i in range(rows.count())}


def test_the_product_list_names_every_product_with_its_status_and_wp_admin_link(
    page: Page, server: WebServer, shop: Shop, tmp_path: Path
) -> None:
    with shop.services.sessions() as session:
        linked = session.execute(
            select(ProductLink.sku, ProductLink.woo_id, ProductLink.woo_parent_id)
            .where(ProductLink.store == "main", ProductLink.woo_id.is_not(None))
            .order_by(ProductLink.sku_key)
            .limit(50)
        ).all()
    log_in(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Products", exact=True).click()

    assert len(linked) > 10
    for sku, woo_id, parent in linked:
        row = page.locator(f'tr[data-sku="{sku}"]')
        shown = parent or woo_id
        product = shop.sandbox.products.get_product(shown)
        expect(row.get_by_test_id("name")).to_contain_text(product["name"])
        expect(row.get_by_test_id("woo-status")).to_have_text(product["status"])
        expect(row.get_by_test_id("wp-admin")).to_have_attribute(
            "href", f"{SHOP_URL}/wp-admin/post.php?post={shown}&action=edit"
        )
    screenshot(page, tmp_path, "products.png")


def test_the_filters_show_what_the_database_says(page: Page, server: WebServer, shop: Shop) -> None:
    with shop.services.sessions() as session:
        [first, second, third] = session.scalars(
            select(ProductLink.sku)
            .where(
                ProductLink.store == "main",
                ProductLink.state == "linked",
                ProductLink.sku != shop.allocated_sku,  # left whole for the Push now test
            )
            .order_by(ProductLink.sku_key)
            .limit(3)
        ).all()
    # The merchant edits one SKU in WooCommerce (a broken link), the POS sells out another and
    # sends a bad row for a third.
    with shop.services.sessions.begin() as session:
        session.execute(
            ProductLink.__table__.update()
            .where(ProductLink.sku == first)
            .values(state="broken", problem="SKU edited in WooCommerce")
        )
        session.execute(
            ProductLink.__table__.update().where(ProductLink.sku == second).values(pushed_stock=0)
        )
        quarantine.record(
            session,
            store="main",
            row=Quarantined(
                SourceRef("demo:items", 3, f"{third} price=abc"), third, "bad_price", "not a number"
            ),
        )
    with shop.services.sessions() as session:
        zero = set(session.scalars(select(ProductLink.sku).where(ProductLink.pushed_stock == 0)))
        quarantined = set(
            session.scalars(
                select(ProductLink.sku).where(
                    func.lower(ProductLink.sku).in_(
                        select(func.lower(QuarantineRow.sku)).where(
                            QuarantineRow.resolved_at.is_(None)
                        )
                    )
                )
            )
        )
    log_in(page, server)
    page.goto(f"{server.url}/products")
    rows = page.locator("tbody tr[data-sku]")

    page.get_by_label("broken link").check()
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{server.url}/products?q=&store=&state=&broken=1")
    expect(rows).to_have_count(1)
    assert _skus(rows) == {first}

    page.get_by_label("broken link").uncheck()
    page.get_by_label("out of stock").check()
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(len(zero))
    assert second in zero and _skus(rows) == zero

    page.get_by_label("out of stock").uncheck()
    page.get_by_label("state").select_option("broken")
    page.get_by_role("button", name="Search").click()
    assert _skus(rows) == {first}

    page.get_by_label("state").select_option("")
    page.get_by_label("quarantined").check()
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(len(quarantined))
    assert third in quarantined and _skus(rows) == quarantined


def test_the_charts_carry_the_run_log_and_stock_history_figures(
    page: Page, server: WebServer, shop: Shop, tmp_path: Path
) -> None:
    with shop.services.sessions() as session:
        runs = list(session.scalars(select(Run).where(Run.store == "main")))
        pushes = session.scalar(
            select(func.count()).where(StockHistory.store == "main", StockHistory.pushed.is_(True))
        )
    usage = api_usage(runs)
    writes = sum(
        n for run in runs for key, n in (run.requests or {}).items() if not key.startswith("GET ")
    )
    assert usage.requests > 0 and writes > 0 and pushes
    log_in(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Charts", exact=True).click()

    store = page.locator('section[data-store="main"]')
    for metric, total in (
        ("requests", usage.requests),
        ("errors", usage.errors),
        ("writes", writes),
        ("pushes", pushes),
    ):
        chart = store.locator(f'[data-chart="{metric}"]')
        expect(chart).to_have_attribute("data-total", str(total))
        bars = chart.locator("rect.bar")
        expect(bars).to_have_count(24)
        values = [int(bars.nth(i).get_attribute("data-value") or -1) for i in range(24)]
        assert sum(values) == total, metric
        assert values[-1] == total, metric  # the shop's history is minutes old: this hour
    expect(store.locator('[data-chart="requests"] rect.bar').last.locator("title")).to_have_text(
        re.compile(rf"^\d\d:00: {usage.requests}$")
    )
    screenshot(page, tmp_path, "charts.png")

    page.get_by_role("link", name="7d").click()
    expect(store.locator('[data-chart="requests"] rect.bar')).to_have_count(7)
    expect(store.locator('[data-chart="requests"]')).to_have_attribute(
        "data-total", str(usage.requests)
    )


def test_a_product_page_charts_its_stock_terms(page: Page, server: WebServer, shop: Shop) -> None:
    key = sku_key(shop.allocated_sku)
    with shop.services.sessions() as session:
        history = list(
            session.scalars(
                select(StockHistory)
                .where(StockHistory.store == "main", StockHistory.sku_key == key)
                .order_by(StockHistory.at, StockHistory.id)
            )
        )
    log_in(page, server)
    page.goto(f"{server.url}/products/main/{shop.allocated_sku}")

    points = page.locator('[data-chart="stock"] circle.point')
    expect(points).to_have_count(len(history))
    assert len(history) >= 2 and any(h.allocated for h in history)
    for index, figure in enumerate(history):
        point = points.nth(index)
        for attribute, value in (
            ("data-on-hand", figure.on_hand),
            ("data-allocated", figure.allocated),
            ("data-safety", figure.safety),
            ("data-available", figure.available),
        ):
            expect(point).to_have_attribute(attribute, str(value))
    expect(page.locator('[data-chart="stock"] polyline.term')).to_have_count(4)


def test_a_viewer_sees_no_sync_or_push_button_and_is_refused(
    page: Page, server: WebServer, shop: Shop
) -> None:
    before = len(_products_runs(shop))
    log_in(page, server, VIEWER)
    expect(page.locator('section[data-store="main"] [data-testid="next-due"]')).to_have_count(4)
    expect(page.get_by_role("button", name="Sync now")).to_have_count(0)
    page.goto(f"{server.url}/products/main/{shop.allocated_sku}")
    expect(page.get_by_role("button", name="Push now")).to_have_count(0)
    token = page.locator('form.logout input[name="csrf_token"]').get_attribute("value") or ""

    sync = page.request.post(f"{server.url}/stores/main/sync", form={"csrf_token": token})
    push = page.request.post(
        f"{server.url}/stores/main/push", form={"csrf_token": token, "sku": shop.allocated_sku}
    )

    assert sync.status == 403 and push.status == 403
    time.sleep(1)  # a run wrongly requested would have started by now
    assert len(_products_runs(shop)) == before


def test_an_operator_syncs_a_store_and_pushes_a_product_through_the_runner(
    page: Page, server: WebServer, shop: Shop, tmp_path: Path
) -> None:
    before = len(_products_runs(shop))
    log_in(page, server)
    next_due = page.locator(
        'section[data-store="main"] tr[data-job="products"] [data-testid="next-due"]'
    )
    expect(next_due).to_contain_text("in ")
    screenshot(page, tmp_path, "overview.png")  # the operator's overview, with Sync now

    page.locator('section[data-store="main"]').get_by_role("button", name="Sync now").click()

    expect(page.get_by_role("status")).to_contain_text("a products run of main")
    _wait_for(
        lambda: len(runs := _products_runs(shop)) == before + 1 and runs[-1].outcome == "ok",
        "the requested products run",
    )

    page.goto(f"{server.url}/products/main/{shop.allocated_sku}")
    page.get_by_role("button", name="Push now").click()

    expect(page.get_by_role("status")).to_contain_text("a products run of main")
    _wait_for(
        lambda: len(runs := _products_runs(shop)) == before + 2 and runs[-1].outcome == "ok",
        "the products run pushing the product",
    )
    with shop.services.sessions() as session:
        link = session.scalars(
            select(ProductLink).where(ProductLink.sku_key == sku_key(shop.allocated_sku))
        ).one()
        resent = session.scalar(
            select(StockHistory.available)
            .where(StockHistory.sku_key == link.sku_key, StockHistory.pushed.is_(True))
            .order_by(StockHistory.id.desc())
            .limit(1)
        )
    assert link.pushed_stock is not None and resent == link.pushed_stock
    assert shop.sandbox.products.get_product(link.woo_id)["stock_quantity"] == link.pushed_stock
    page.get_by_role("navigation").get_by_role("link", name="Activity", exact=True).click()
    expect(page.locator("body")).to_contain_text("push now")
    expect(page.locator("body")).to_contain_text(f"product main/{shop.allocated_sku}")
    expect(page.locator("body")).to_contain_text("sync now")
