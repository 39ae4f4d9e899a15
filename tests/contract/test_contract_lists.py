"""Contract: list filters, ordering, paging headers and `_fields`."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.contract.contract_support import Store


async def _three(store: Store) -> list[dict[str, object]]:
    products = []
    for label in ("L1", "L2", "L3"):
        body = {"name": f"Contract List {label}", "sku": store.sku(label), "status": "draft"}
        products.append(await store.create("/products", body))
        await store.advance(1.1)
    return products


async def test_sku_filter_is_exact_case_insensitive_and_takes_a_comma_list(store: Store) -> None:
    first, second, _ = await _three(store)
    exact = await store.client.get("/products", params={"sku": store.sku("L1").lower()})
    assert [p["id"] for p in exact.json()] == [first["id"]]
    assert exact.headers["X-WP-Total"] == "1"
    prefix = await store.client.get("/products", params={"sku": store.prefix})
    assert prefix.json() == [] and prefix.headers["X-WP-TotalPages"] == "0"
    listed = await store.client.get(
        "/products", params={"sku": f"{store.sku('L1')},{store.sku('L2').lower()},NOPE-NOPE"}
    )
    assert [p["id"] for p in listed.json()] == [second["id"], first["id"]]  # newest first


async def test_modified_after_is_strict_and_read_in_gmt(store: Store) -> None:
    _, second, third = await _three(store)
    cursor = second["date_modified_gmt"]
    response = await store.client.get(
        "/products",
        params={
            "sku": ",".join(store.sku(label) for label in ("L1", "L2", "L3")),
            "modified_after": cursor,
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
        },
    )
    assert [p["id"] for p in response.json()] == [third["id"]]
    assert all(
        datetime.fromisoformat(p["date_modified_gmt"]).replace(tzinfo=UTC)
        > datetime.fromisoformat(str(cursor)).replace(tzinfo=UTC)
        for p in response.json()
    )
    bad = await store.client.get("/products", params={"modified_after": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["data"]["details"]["modified_after"]["code"] == "rest_invalid_date"


async def test_pages_carry_totals_and_links_and_past_the_end_is_empty(store: Store) -> None:
    products = await _three(store)
    ids = ",".join(str(p["id"]) for p in products)
    params = {"include": ids, "per_page": 2, "orderby": "id", "order": "asc"}
    first = await store.client.get("/products", params={**params, "page": 1})
    assert [p["id"] for p in first.json()] == [products[0]["id"], products[1]["id"]]
    assert (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"]) == ("3", "2")
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    second = await store.client.get("/products", params={**params, "page": 2})
    assert [p["id"] for p in second.json()] == [products[2]["id"]]
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' not in second.headers["Link"]
    past = await store.client.get("/products", params={**params, "page": 9})
    assert past.status_code == 200 and past.json() == []
    assert past.headers["X-WP-Total"] == "3"


async def test_fields_limits_the_answer(store: Store) -> None:
    products = await _three(store)
    listed = await store.client.get(
        "/products", params={"include": str(products[0]["id"]), "_fields": "id,sku"}
    )
    assert listed.json() == [{"id": products[0]["id"], "sku": store.sku("L1")}]
    single = await store.client.get(f"/products/{products[0]['id']}", params={"_fields": "id,sku"})
    assert set(single.json()) == {"id", "sku", "_links"}


async def test_status_and_type_filters_narrow_the_list(store: Store) -> None:
    products = await _three(store)
    ids = ",".join(str(p["id"]) for p in products)
    published = await store.client.get("/products", params={"include": ids, "status": "publish"})
    assert published.json() == []
    drafts = await store.client.get(
        "/products", params={"include": ids, "status": "draft", "type": "simple"}
    )
    assert len(drafts.json()) == 3


async def test_trashing_and_variation_edits_show_in_a_modified_after_listing(store: Store) -> None:
    """What the link check (`sync.catalogue.link_check`) relies on, measured on 10.0.2."""
    product = await store.create(
        "/products", {"name": "Contract Trash", "sku": store.sku("LT"), "status": "draft"}
    )
    parent = await store.create(
        "/products",
        {
            "name": "Contract Style",
            "type": "variable",
            "sku": store.sku("LV"),
            "attributes": [{"name": "Size", "options": ["S"], "variation": True}],
        },
    )
    variation = await store.create(
        f"/products/{parent['id']}/variations",
        {"sku": store.sku("LV-S"), "attributes": [{"name": "Size", "option": "S"}]},
    )
    await store.advance(1.1)
    now = await store.client.get(f"/products/{parent['id']}")
    since = max(str(product["date_modified_gmt"]), str(now.json()["date_modified_gmt"]))
    await store.advance(1.1)

    trashed = await store.client.delete(f"/products/{product['id']}")
    assert trashed.status_code == 200, trashed.text
    edited = await store.client.put(
        f"/products/{parent['id']}/variations/{variation['id']}", json={"sku": store.sku("LV-X")}
    )
    assert edited.status_code == 200, edited.text

    params = {
        "include": f"{product['id']},{parent['id']}",
        "modified_after": since,
        "dates_are_gmt": "true",
        "orderby": "modified",
        "order": "asc",
        "_fields": "id,status",
    }
    default = await store.client.get("/products", params=params)
    # The trash is left out by default; the variation's edit moved its parent.
    assert [p["id"] for p in default.json()] == [parent["id"]]
    every = ["publish", "future", "draft", "pending", "private", "trash"]
    listed = await store.client.get(
        "/products", params={**params, "include_status": ",".join(every)}
    )
    statuses = {p["id"]: p["status"] for p in listed.json()}
    assert statuses == {product["id"]: "trash", parent["id"]: "publish"}


async def test_a_walk_ordered_by_id_sees_every_product_of_a_batch_once(store: Store) -> None:
    # A batch creates its products within a second or two: `orderby=date` (the default)
    # leaves their order open, `orderby=id` is total, so pages neither repeat nor skip.
    labels = [f"B{n:02d}" for n in range(25)]
    body = {"create": [{"name": f"Contract Batch {label}", "sku": store.sku(label),
                        "status": "draft"} for label in labels]}  # fmt: skip
    response = await store.client.post("/products/batch", json=body)
    assert response.status_code == 200, response.text
    created = sorted(int(item["id"]) for item in response.json()["create"])
    for product_id in created:
        store.track("/products", product_id)
    assert len(created) == 25

    walked: list[int] = []
    params = {"sku": ",".join(store.sku(label) for label in labels), "per_page": 4}
    for page in range(1, 8):
        listed = await store.client.get(
            "/products", params={**params, "page": page, "orderby": "id", "order": "asc"}
        )
        assert listed.headers["X-WP-TotalPages"] == "7"
        walked += [int(p["id"]) for p in listed.json()]

    assert walked == created


async def test_every_list_the_client_walks_accepts_orderby_id(store: Store) -> None:
    parent = await store.create(
        "/products", {"name": "Contract Order Tee", "type": "variable", "status": "draft"}
    )
    order = await store.create("/orders", {"status": "pending"})
    paths = [
        "/products",
        f"/products/{parent['id']}/variations",
        "/products/categories",
        "/orders",
        f"/orders/{order['id']}/refunds",
        "/customers",
        "/webhooks",
    ]
    for path in paths:
        response = await store.client.get(
            path, params={"orderby": "id", "order": "asc", "per_page": 5}
        )

        assert response.status_code == 200, (path, response.text)
        ids = [int(item["id"]) for item in response.json()]
        assert ids == sorted(ids), path
