"""The product list: WooCommerce names, statuses and wp-admin links; filters, paged, on the server."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from tests.runner.runner_support import SHOP
from tests.web.web_support import WebWorld, seed_shop

from storebridge.domain.model import Quarantined, SourceRef
from storebridge.persistence.repositories import links, quarantine
from storebridge.web.views.catalog import PAGE_SIZE


async def _create(world: WebWorld, products: list[dict[str, object]]) -> list[int]:
    """Create products in the sandbox (as a merchant would); their WooCommerce ids."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.sandbox_app),
        base_url="https://shop.test/wp-json/wc/v3",
        auth=("ck_demo_read_write", "cs_demo_read_write"),
    ) as api:
        return [(await api.post("/products", json=body)).json()["id"] for body in products]


def _rows(html: str) -> dict[str, str]:
    """SKU -> the row's HTML."""
    return dict(re.findall(r'<tr class="state-[a-z]+" data-sku="([^"]+)">(.*?)</tr>', html, re.S))


def _cell(row: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', row)
    return match.group(1).strip() if match else ""


async def test_every_row_shows_the_woocommerce_name_status_and_edit_link(world: WebWorld) -> None:
    ids = await _create(
        world,
        [
            {"name": "Blue Ceramic Mug", "sku": "CER-1", "status": "draft"},
            {"name": "Red Ceramic Mug", "sku": "CER-2", "status": "publish"},
            {"name": "Linen Shirt", "type": "variable", "status": "private"},
        ],
    )
    with world.services.sessions.begin() as session:
        for sku, woo_id in (("CER-1", ids[0]), ("CER-2", ids[1])):
            links.upsert_link(
                session, store="main", sku=sku, woo_id=woo_id, kind="simple", origin="created"
            )
        links.upsert_link(
            session,
            store="main",
            sku="SHIRT-M",
            woo_id=ids[2] + 1000,
            woo_parent_id=ids[2],
            kind="variation",
            origin="adopted",
        )
    await world.login()

    rows = _rows((await world.client.get("/products")).text)  # no search: every row is named

    assert _cell(rows["CER-1"], "name") == "Blue Ceramic Mug"
    assert _cell(rows["CER-1"], "woo-status") == "draft"
    assert _cell(rows["CER-2"], "name") == "Red Ceramic Mug"
    assert _cell(rows["CER-2"], "woo-status") == "publish"
    assert _cell(rows["SHIRT-M"], "name") == "Linen Shirt"  # a variation: its parent's name
    assert _cell(rows["SHIRT-M"], "woo-status") == "private"
    assert f'href="{SHOP}/wp-admin/post.php?post={ids[0]}&amp;action=edit"' in rows["CER-1"]
    assert f'href="{SHOP}/wp-admin/post.php?post={ids[2]}&amp;action=edit"' in rows["SHIRT-M"]


async def test_a_product_gone_from_woocommerce_has_no_name_and_the_page_still_renders(
    world: WebWorld,
) -> None:
    seed_shop(world.services)  # links to ids 101-103, which the sandbox never created
    await world.login()

    response = await world.client.get("/products?store=main")

    assert response.status_code == 200
    rows = _rows(response.text)
    assert set(rows) == {"MUG-BLUE", "MUG-RED", "TEE-M"}
    assert all(_cell(row, "name") == "" for row in rows.values())


async def test_the_filters_narrow_the_list_on_the_server(world: WebWorld) -> None:
    seed_shop(world.services)  # MUG-BLUE, MUG-RED linked (stock 7), TEE-M broken
    with world.services.sessions.begin() as session:
        links.mark_pushed(session, store="main", sku="MUG-RED", stock=0)
        links.upsert_link(
            session, store="main", sku="CUP-9", woo_id=109, kind="simple", origin="created"
        )
        links.mark_deleted(session, store="main", sku="CUP-9", problem="trashed in WooCommerce")
        quarantine.record(
            session,
            store="main",
            row=Quarantined(
                SourceRef("demo:items", 7, "MUG-BLUE price=abc"),
                "mug-blue",
                "bad_price",
                "price 'abc' is not a number",
            ),
        )  # fmt: skip
    await world.login()

    async def listed(query: str) -> set[str]:
        response = await world.client.get(f"/products?{query}")
        assert response.status_code == 200
        return set(_rows(response.text))

    assert await listed("") == {"MUG-BLUE", "MUG-RED", "TEE-M", "CUP-9"}
    assert await listed("state=broken") == {"TEE-M"}
    assert await listed("state=linked") == {"MUG-BLUE", "MUG-RED"}
    assert await listed("broken=1") == {"TEE-M", "CUP-9"}  # SKU edited, product trashed
    assert await listed("quarantined=1") == {"MUG-BLUE"}
    assert await listed("out_of_stock=1") == {"MUG-RED"}
    assert await listed("out_of_stock=1&state=broken") == set()
    assert await listed("q=mug&state=linked") == {"MUG-BLUE", "MUG-RED"}
    assert (await world.client.get("/products?state=nonsense")).status_code == 404


async def test_a_filtered_list_is_paged_and_its_pager_keeps_the_filters(world: WebWorld) -> None:
    with world.services.sessions.begin() as session:
        for index in range(2 * PAGE_SIZE + 5):
            sku = f"ZERO-{index:03d}"
            links.upsert_link(
                session, store="main", sku=sku, woo_id=5000 + index, kind="simple", origin="created"
            )
            links.mark_pushed(
                session,
                store="main",
                sku=sku,
                prices=links.PushedPrices(Decimal("1.00")),
                stock=0 if index % 2 == 0 else 3,
            )
    await world.login()

    first = (await world.client.get("/products?out_of_stock=1")).text
    second = (await world.client.get("/products?out_of_stock=1&page=2")).text

    zero = PAGE_SIZE + 3  # the even ones of 2 * PAGE_SIZE + 5
    assert f"{zero} product(s)" in first
    assert len(_rows(first)) == PAGE_SIZE and len(_rows(second)) == 3
    assert all(int(sku[-3:]) % 2 == 0 for sku in [*_rows(first), *_rows(second)])
    assert 'href="?out_of_stock=1&amp;page=2"' in first
    assert 'name="out_of_stock" value="1" checked' in first


async def test_the_pager_carries_every_filter(world: WebWorld) -> None:
    with world.services.sessions.begin() as session:
        for index in range(PAGE_SIZE + 1):
            links.upsert_link(
                session, store="main", sku=f"B-{index:03d}", woo_id=7000 + index,
                kind="simple", origin="created",
            )  # fmt: skip
            links.mark_broken(session, store="main", sku=f"B-{index:03d}", problem="SKU edited")
    await world.login()

    html = (await world.client.get("/products?broken=1&state=broken&store=main&q=b-")).text

    assert 'href="?q=b-&amp;store=main&amp;state=broken&amp;broken=1&amp;page=2"' in html
    second = (await world.client.get("/products?q=b-&store=main&state=broken&broken=1&page=2")).text
    assert list(_rows(second)) == [f"B-{PAGE_SIZE:03d}"]
