"""The dashboard pages show what the database holds, and the actions change it."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import httpx
from sqlalchemy import select
from tests.web.web_support import WebWorld, seed_shop

from storebridge.persistence.repositories import links, runs
from storebridge.persistence.tables import Export, Order
from storebridge.persistence.types import utcnow
from storebridge.web.views.overview import store_overview


def _metrics(html: str, store: str) -> dict[str, str]:
    section = html.split(f'data-store="{store}"', 1)[1].split("</section>", 1)[0]
    return dict(re.findall(r'data-metric="([a-z_]+)">([^<]*)<', section))


async def test_the_overview_shows_each_stores_figures_from_the_database(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    await world.login()

    html = (await world.client.get("/")).text

    with world.services.sessions() as session:
        expected = store_overview(session, world.services.settings, "main", utcnow())
    shown = _metrics(html, "main")
    assert shown == {
        "linked": "2",
        "drafts": "?",
        "webhooks_ok": "?",
        "quarantined": "1",
        "stock_pushes_today": "2",
        "orders_outstanding": "1",
        "units_allocated": "2",
        "exported": "1",
        "failed": "1",
        "api_error_rate": "5.0%",
        "api_requests": "20",
        "open_alerts": "0",
        "batch_concurrency": "\u2014",  # no run recorded the batch concurrency yet
    }
    assert int(shown["linked"]) == expected.linked
    assert int(shown["units_allocated"]) == expected.units_allocated
    assert expected.health.level == "red"
    assert "the last export run failed: the POS/ERP is unavailable" in html
    assert "1 product link(s) broken" in html
    assert '<meta http-equiv="refresh" content="10">' in html
    assert _metrics(html, "outlet")["linked"] == "0"


async def test_the_overview_shows_the_batch_concurrency_of_the_newest_run_that_wrote(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    with world.services.sessions.begin() as session:
        for job, counts in (
            ("products", {"concurrency": 2, "concurrency_peak": 5, "concurrency_max": 8}),
            ("stock", {"concurrency": 3, "concurrency_peak": 4, "concurrency_max": 8}),
            ("reconcile", {"checked": 2}),  # sent no batch: it does not hide the level
        ):
            run = runs.start_run(session, store="main", job=job)
            runs.finish_run(session, run_id=run.id, outcome="ok", counts=counts)
    await world.login()

    html = (await world.client.get("/")).text

    shown = _metrics(html, "main")
    assert shown["batch_concurrency"] == "3"
    assert shown["batch_concurrency_peak"] == "4"
    assert "of max_concurrency 8" in html
    assert _metrics(html, "outlet")["batch_concurrency"] == "\u2014"


async def test_the_products_page_finds_skus_and_names(world: WebWorld) -> None:
    seed_shop(world.services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.sandbox_app),
        base_url="https://shop.test/wp-json/wc/v3",
        auth=("ck_demo_read_write", "cs_demo_read_write"),
    ) as api:
        created = await api.post(
            "/products", json={"name": "Blue Ceramic Mug", "sku": "CER-1", "status": "draft"}
        )
    with world.services.sessions.begin() as session:
        links.upsert_link(
            session,
            store="main",
            sku="CER-1",
            woo_id=created.json()["id"],
            kind="simple",
            origin="created",
        )
    await world.login()

    by_sku = (await world.client.get("/products?q=mug")).text
    by_name = (await world.client.get("/products?q=ceramic&store=main")).text

    assert "MUG-BLUE" in by_sku and "MUG-RED" in by_sku and "TEE-M" not in by_sku
    assert "CER-1" in by_name and "Blue Ceramic Mug" in by_name and "MUG-RED" not in by_name


async def test_a_product_page_explains_its_stock_figure_and_shows_its_history(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    await world.login()

    html = (await world.client.get("/products/main/mug-blue")).text

    assert "on-hand 10 \u2212 allocated 2 \u2212 safety 1 = 7" in html
    assert 'data-testid="pushed-price">12.50<' in html
    assert 'data-testid="pushed-stock">7<' in html
    assert "order 501 placed" in html and "products run" in html
    assert "#501" in html  # the order holding the two units
    assert 'data-testid="hold-reason">not exported yet: the POS does not know it<' in html
    assert (await world.client.get("/products/main/NOPE")).status_code == 404


async def test_the_quarantine_page_shows_the_reason_and_the_source_line(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    await world.login()

    html = (await world.client.get("/quarantine")).text

    assert "negative_price" in html
    assert "price -3 is negative; fix the price in the POS" in html
    assert "demo:items:42" in html and "BAD-1 &#39;Broken mug&#39; price=-3" in html


async def test_retry_makes_a_failed_export_eligible_again(world: WebWorld) -> None:
    seeded = seed_shop(world.services)
    await world.login()
    page = (await world.client.get("/orders?state=failed")).text
    assert "PosUnavailable: the till is offline" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token

    response = await world.client.post(
        f"/orders/main/{seeded.failed_order}/retry",
        data={"csrf_token": token.group(1), "back": "/orders?state=failed"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/orders?state=failed"
    with world.services.sessions() as session:
        export = session.scalars(
            select(Export).where(Export.woo_order_id == seeded.failed_order)
        ).one()
    assert export.state == "eligible"
    follow = await world.client.get(response.headers["location"])
    assert "will be exported on the next export run" in follow.text


async def test_skip_keeps_the_reason_and_a_refused_action_says_why(world: WebWorld) -> None:
    seeded = seed_shop(world.services)
    await world.login()
    token = await world.csrf("/orders")

    skipped = await world.client.post(
        f"/orders/main/{seeded.eligible_order}/skip",
        data={"csrf_token": token, "reason": "paid in cash at the counter"},
    )
    refused = await world.client.post("/orders/main/504/retry", data={"csrf_token": token})

    assert (skipped.status_code, refused.status_code) == (303, 303)
    with world.services.sessions() as session:
        states = {e.woo_order_id: (e.state, e.skip_reason) for e in session.scalars(select(Export))}
    assert states[seeded.eligible_order] == ("skipped", "paid in cash at the counter")
    assert states[504] == ("exported", None)
    assert "nothing to retry" in (await world.client.get("/orders")).text


async def test_the_runs_page_lists_runs_with_their_errors(world: WebWorld) -> None:
    seed_shop(world.services)
    await world.login()

    html = (await world.client.get("/runs?store=main&outcome=failed")).text

    assert "the POS/ERP is unavailable (till offline)" in html
    assert 'data-run="1"' not in html  # the ok products run is filtered out


async def test_review_done_closes_the_review_of_an_order_edited_after_export(
    world: WebWorld,
) -> None:
    seed_shop(world.services)
    now = utcnow()
    with world.services.sessions.begin() as session:
        session.add(
            Order(
                store="main", woo_order_id=600, number="600", status="completed",
                date_created_gmt=now, date_modified_gmt=now, customer_email="a@b.test",
                total=Decimal("31.00"), currency="EUR",
                payload=json.dumps({"id": 600, "total": "31.00"}), first_seen=now,
            )
        )  # fmt: skip
        session.flush()
        session.add(
            Export(
                store="main", woo_order_id=600, state="review", pos_ref="INV-12",
                exported_at=now, document_total=Decimal("25.00"),
                flags=["edited_after_export"],
            )
        )  # fmt: skip
    await world.login()
    page = (await world.client.get("/orders?state=review")).text
    assert "/orders/main/600/resolve" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token

    response = await world.client.post(
        "/orders/main/600/resolve", data={"csrf_token": token.group(1)}
    )

    assert response.status_code == 303
    with world.services.sessions() as session:
        export = session.scalars(select(Export).where(Export.woo_order_id == 600)).one()
    assert (export.state, export.document_total) == ("exported", Decimal("31.00"))
    follow = await world.client.get(response.headers["location"])
    assert "review closed" in follow.text
