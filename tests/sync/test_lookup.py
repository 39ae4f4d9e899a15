"""Finding existing products for unlinked SKUs (cheapest way by request count), and categories."""

from __future__ import annotations

from tests.sync.sync_helpers import STORE, World

from storebridge.sync.catalogue.lookup import find_existing, resolve_categories


def seed(world: World, count: int) -> list[str]:
    world.sandbox.seed_products(count, sku_prefix="SEED-")
    return sorted(d["sku"] for d in world.docs())


async def test_few_unlinked_skus_are_looked_up_in_one_request(world: World) -> None:
    skus = seed(world, 10)
    async with world.services.store(STORE).woo() as woo:
        found = await find_existing(woo, [*skus[:3], "MISSING"])
        requests = woo.stats.snapshot().count("GET", "/products")

    assert sorted(found) == [s.casefold() for s in skus[:3]]
    assert requests == 1


async def test_an_empty_store_costs_one_probe_whatever_the_number_of_skus(world: World) -> None:
    async with world.services.store(STORE).woo() as woo:
        found = await find_existing(woo, [f"NEW-{n}" for n in range(500)])
        requests = woo.stats.snapshot().count("GET", "/products")

    assert found == {} and requests == 1


async def test_many_skus_in_a_small_store_are_found_by_listing_it(world: World) -> None:
    skus = seed(world, 150)
    wanted = [*skus, *(f"NEW-{n}" for n in range(250))]  # 400 SKUs: 8 look-ups
    async with world.services.store(STORE).woo() as woo:
        found = await find_existing(woo, wanted)
        requests = woo.stats.snapshot().count("GET", "/products")

    assert len(found) == 150
    assert found[skus[0].casefold()].owned.stock_quantity == 10
    assert requests == 4  # two probes and two pages


async def test_many_skus_in_a_big_store_are_looked_up_by_sku(world: World) -> None:
    skus = seed(world, 600)
    async with world.services.store(STORE).woo() as woo:
        found = await find_existing(woo, skus[:120])
        requests = woo.stats.snapshot().count("GET", "/products")

    assert len(found) == 120
    assert requests == 1 + 3  # one probe, then three look-ups of at most 50


async def test_a_listing_finds_variations_but_not_inherited_parent_skus(world: World) -> None:
    skus = seed(world, 60)
    parent = await world.api(
        "POST",
        "/products",
        json={
            "name": "V",
            "type": "variable",
            "sku": "VAR",
            "attributes": [{"name": "Size", "options": ["S", "M"], "variation": True}],
        },
    )
    await world.api(
        "POST",
        f"/products/{parent['id']}/variations/batch",
        json={
            "create": [
                {"sku": "VAR-S", "attributes": [{"name": "Size", "option": "S"}]},
                {"attributes": [{"name": "Size", "option": "M"}]},
            ]
        },
    )
    wanted = [*skus, "VAR", "VAR-S", *(f"NEW-{n}" for n in range(300))]
    async with world.services.store(STORE).woo() as woo:
        found = await find_existing(woo, wanted)

    assert found["var"].type == "variable"
    assert (found["var-s"].type, found["var-s"].parent_id) == ("variation", parent["id"])
    assert len(found) == 62


async def test_category_names_resolve_to_ids_and_missing_ones_are_created(world: World) -> None:
    shirts = await world.api("POST", "/products/categories", json={"name": "Bed & Bath"})
    async with world.services.store(STORE).woo() as woo:
        ids = await resolve_categories(woo, ["bed & bath", "New One", " "], create=True)
        again = await resolve_categories(woo, ["NEW ONE"], create=False)

    assert ids["bed & bath"] == shirts["id"]
    assert again == {"new one": ids["new one"]}


async def test_a_listing_of_products_created_in_one_second_finds_every_one(world: World) -> None:
    # The sandbox, like WooCommerce, orders same-second products differently on each page
    # request: only a listing in a total order (by id) sees all 300 exactly once.
    skus = seed(world, 300)
    wanted = [*skus, *(f"NEW-{n}" for n in range(100))]  # 8 look-ups cost more than 3 pages
    async with world.services.store(STORE).woo() as woo:
        found = await find_existing(woo, wanted)
        requests = woo.stats.snapshot().count("GET", "/products")

    assert sorted(found) == sorted(s.casefold() for s in skus)
    assert requests == 2 + 3  # two probes, then the three pages of the listing
