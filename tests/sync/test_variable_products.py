"""Matrix items (style x size x colour) as WooCommerce variable products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.sync.sync_helpers import IDLE, World, money, raw

from storebridge.domain.model import RawItem


def variant(
    sku: str, style: str, size: str, price: str = "20.00", stock: int = 2, **fields: Any
) -> RawItem:
    return raw(
        sku,
        price,
        stock,
        parent_code=style,
        parent_name=f"Style {style}",
        attributes={"Size": size},
        **fields,
    )


def parent_attributes(world: World, style: str) -> list[dict[str, Any]]:
    attributes: list[dict[str, Any]] = world.by_sku(style)["attributes"]
    return attributes


async def test_a_new_style_becomes_a_draft_variable_product_with_its_variations(
    world: World,
) -> None:
    world.pos.put(variant("TEE-S", "TEE", "S", "20.00", 3))
    world.pos.put(variant("TEE-M", "TEE", "M", "21.00", 0))

    run = await world.sync()

    assert run.report.counts["created_style"] == 1
    assert run.report.counts["created_variation"] == 2
    parent = world.by_sku("TEE")
    assert (parent["type"], parent["status"], parent["name"]) == ("variable", "draft", "Style TEE")
    (size,) = parent["attributes"]
    assert (size["name"], size["options"], size["variation"]) == ("Size", ["S", "M"], True)
    small = world.by_sku("TEE-S")
    assert small["parent_id"] == parent["id"]
    assert money(small, "regular_price") == Decimal("20.00")
    assert (small["manage_stock"], small["stock_quantity"]) == (True, 3)
    links = world.links()
    assert (links["tee"].kind, links["tee-s"].kind) == ("variable", "variation")
    assert links["tee-m"].woo_parent_id == parent["id"]
    assert await world.settled() == IDLE


async def test_later_only_variation_prices_and_stock_are_synced(world: World) -> None:
    world.pos.put(variant("POLO-S", "POLO", "S"))
    world.pos.put(variant("POLO-M", "POLO", "M"))
    await world.sync()
    await world.sync()  # the link check reads the new style back once
    parent_id = world.by_sku("POLO")["id"]
    await world.api("PUT", f"/products/{parent_id}", json={"name": "Merchant polo"})
    world.pos.change("POLO-M", regular_price="25.00", on_hand={"shop": 7}, name="POS rename")

    run = await world.sync()

    # Reads: the link check's listing, and the parent's linked variations unless the
    # merchant's edit fell in the second the check already read (see link_check).
    assert set(run.report.requests) - {"GET /products/{id}/variations"} == {
        "GET /products",
        "POST /products/{id}/variations/batch",
    }
    assert run.report.writes == run.report.requests["POST /products/{id}/variations/batch"] == 1
    medium = world.by_sku("POLO-M")
    assert money(medium, "regular_price") == Decimal("25.00")
    assert medium["stock_quantity"] == 7
    assert world.by_sku("POLO")["name"] == "Merchant polo"


async def test_a_new_variant_merges_its_option_into_the_parent_and_keeps_merchant_edits(
    world: World,
) -> None:
    world.pos.put(variant("CAP-S", "CAP", "S"))
    await world.sync()
    parent_id = world.by_sku("CAP")["id"]
    merchant_attributes = [
        {"name": "Size", "options": ["S"], "variation": True, "visible": False},
        {"name": "Material", "options": ["Cotton"], "variation": False, "visible": True},
    ]
    await world.api(
        "PUT",
        f"/products/{parent_id}",
        json={"attributes": merchant_attributes, "description": "Merchant text"},
    )
    world.pos.put(variant("CAP-XL", "CAP", "XL", "22.00", 4, line=2))

    run = await world.sync()

    assert run.report.counts["added_variation"] == 1
    size, material = parent_attributes(world, "CAP")
    assert (size["name"], size["options"], size["visible"]) == ("Size", ["S", "XL"], False)
    assert (material["name"], material["options"]) == ("Material", ["Cotton"])
    assert world.by_sku("CAP")["description"] == "Merchant text"
    extra = world.by_sku("CAP-XL")
    assert extra["parent_id"] == parent_id and extra["stock_quantity"] == 4
    assert [a["option"] for a in extra["attributes"]] == ["XL"]
    assert await world.settled() == IDLE


async def test_a_variant_leaving_the_selection_gets_stock_zero(world: World) -> None:
    world.pos.put(variant("HAT-S", "HAT", "S", stock=5))
    world.pos.put(variant("HAT-M", "HAT", "M", stock=5))
    await world.sync()
    world.pos.change("HAT-M", web_flag=False)

    run = await world.sync()

    assert run.report.counts["zeroed"] == 1
    assert world.by_sku("HAT-M")["stock_quantity"] == 0
    assert world.by_sku("HAT-S")["stock_quantity"] == 5


async def test_an_existing_variable_product_is_adopted_with_its_variations(world: World) -> None:
    parent = await world.api(
        "POST",
        "/products",
        json={
            "name": "Shop-made jacket",
            "type": "variable",
            "sku": "JKT",
            "status": "publish",
            "attributes": [{"name": "Size", "options": ["S", "M"], "variation": True}],
        },
    )
    created = await world.api(
        "POST",
        f"/products/{parent['id']}/variations/batch",
        json={
            "create": [
                {
                    "sku": "JKT-S",
                    "regular_price": "50.00",
                    "attributes": [{"name": "Size", "option": "S"}],
                },
                {
                    "sku": "JKT-M",
                    "regular_price": "50.00",
                    "attributes": [{"name": "Size", "option": "M"}],
                },
            ]
        },
    )
    world.pos.put(variant("JKT-S", "JKT", "S", "55.00", 1))
    world.pos.put(variant("JKT-M", "JKT", "M", "55.00", 2))
    world.pos.put(variant("JKT-L", "JKT", "L", "55.00", 3))

    run = await world.sync()

    assert run.report.counts["adopted"] == 2
    assert run.report.counts["added_variation"] == 1
    assert run.report.counts["created_style"] == 0
    links = world.links()
    assert links["jkt"].woo_id == parent["id"] and links["jkt"].origin == "adopted"
    assert {links["jkt-s"].woo_id, links["jkt-m"].woo_id} == {v["id"] for v in created["create"]}
    assert money(world.by_sku("JKT-S"), "regular_price") == Decimal("55.00")
    assert world.by_sku("JKT-L")["parent_id"] == parent["id"]
    assert world.by_sku("JKT")["name"] == "Shop-made jacket"
    assert parent_attributes(world, "JKT")[0]["options"] == ["S", "M", "L"]
    assert len([d for d in world.docs() if d["type"] == "variable"]) == 1


async def test_a_variation_create_whose_answer_was_lost_is_found_not_duplicated(
    world: World,
) -> None:
    world.pos.put(variant("SOCK-S", "SOCK", "S"))
    world.pos.put(variant("SOCK-M", "SOCK", "M"))
    world.sandbox.faults.fail_next("drop_after", 1, path_contains="/variations/batch")

    run = await world.sync()

    assert run.report.outcome == "ok", run.report.problems
    assert run.report.counts["created_variation"] == 2
    variations = [d for d in world.docs() if d.get("parent_id")]
    assert sorted(d["sku"] for d in variations) == ["SOCK-M", "SOCK-S"]
    assert world.links()["sock-m"].woo_id in {d["id"] for d in variations}
    assert await world.settled() == IDLE


async def test_a_new_variant_of_a_deleted_style_is_not_created(world: World) -> None:
    world.pos.put(variant("BAG-S", "BAG", "S"))
    await world.sync()
    parent_id = world.by_sku("BAG")["id"]
    await world.api("DELETE", f"/products/{parent_id}", params={"force": "true"})
    world.pos.put(variant("BAG-M", "BAG", "M", line=2))

    run = await world.sync()

    assert ("BAG", "deleted") in {(p.sku, p.kind) for p in run.report.problems}
    assert world.links()["bag"].state == "deleted"
    assert world.docs() == []
    assert (await world.sync()).report.writes == 0
