"""Contract: product CRUD, write semantics and SKU rules."""

from __future__ import annotations

from tests.contract.contract_support import Store


async def _product(store: Store, label: str, **fields: object) -> dict[str, object]:
    body = {"name": f"Contract {label}", "status": "draft", "sku": store.sku(label), **fields}
    return await store.create("/products", body)


async def test_a_created_draft_answers_in_edit_context_and_reads_back_in_view(store: Store) -> None:
    response = await store.client.post(
        "/products",
        json={
            "name": "Contract Widget",
            "status": "draft",
            "sku": store.sku("W"),
            "regular_price": "20.00",
            "sale_price": "15.00",
            "manage_stock": True,
            "stock_quantity": 10,
            "description": "Plain words",
            "categories": [{"name": "Named Only"}],
        },
    )
    assert response.status_code == 201
    created = response.json()
    store.track("/products", created["id"])
    assert response.headers["Location"].endswith(f"/products/{created['id']}")
    assert created["description"] == "Plain words"
    assert created["price"] == "15.00" and created["on_sale"] is True
    assert [c["slug"] for c in created["categories"]] == ["uncategorized"]
    read = (await store.client.get(f"/products/{created['id']}")).json()
    assert read["description"] == "<p>Plain words</p>\n"
    assert "generated_slug" not in read


async def test_the_default_status_is_publish(store: Store) -> None:
    created = await store.create("/products", {"name": "Contract Default", "sku": store.sku("P")})
    assert created["status"] == "publish"


async def test_prices_must_be_strings_but_garbage_strings_are_stored_empty(store: Store) -> None:
    number = await store.client.post(
        "/products", json={"name": "Contract Number", "regular_price": 5}
    )
    assert number.status_code == 400
    details = number.json()["data"]["details"]["regular_price"]
    assert details["code"] == "rest_invalid_type"
    garbage = await _product(store, "ABC", regular_price="abc")
    assert garbage["regular_price"] == "" and garbage["purchasable"] is False


async def test_a_sale_price_above_the_regular_price_is_silently_dropped(store: Store) -> None:
    product = await _product(store, "SALE", regular_price="10.00")
    response = await store.client.put(f"/products/{product['id']}", json={"sale_price": "15.00"})
    assert response.status_code == 200
    assert response.json()["sale_price"] == "" and response.json()["price"] == "10.00"


async def test_stock_status_follows_the_quantity_and_manage_stock_false_nulls_it(
    store: Store,
) -> None:
    product = await _product(
        store, "STK", regular_price="5.00", manage_stock=True, stock_quantity=5
    )
    path = f"/products/{product['id']}"
    zero = (await store.client.put(path, json={"stock_quantity": 0})).json()
    assert zero["stock_status"] == "outofstock"
    coerced = (await store.client.put(path, json={"stock_quantity": "7"})).json()
    assert coerced["stock_quantity"] == 7 and coerced["stock_status"] == "instock"
    unmanaged = (await store.client.put(path, json={"manage_stock": False})).json()
    assert unmanaged["stock_quantity"] is None


async def test_a_duplicate_sku_names_its_owner_whatever_the_case_or_padding(store: Store) -> None:
    owner = await _product(store, "DUP")
    for sku in (store.sku("DUP").lower(), f"  {store.sku('DUP')}  "):
        response = await store.client.post("/products", json={"name": "Clash", "sku": sku})
        assert response.status_code == 400
        error = response.json()
        assert error["code"] == "product_invalid_sku"
        assert error["data"]["resource_id"] == owner["id"]
        assert error["data"]["unique_sku"] == f"{sku.strip()}-1"


async def test_blank_skus_are_never_unique_checked(store: Store) -> None:
    first = await store.create("/products", {"name": "Blank 1", "sku": "", "status": "draft"})
    second = await store.create("/products", {"name": "Blank 2", "sku": "", "status": "draft"})
    assert first["sku"] == second["sku"] == ""


async def test_updating_to_another_products_sku_is_refused(store: Store) -> None:
    first = await _product(store, "U1")
    second = await _product(store, "U2")
    response = await store.client.put(f"/products/{second['id']}", json={"sku": store.sku("U1")})
    assert response.status_code == 400
    assert response.json()["data"]["resource_id"] == first["id"]


async def test_unknown_ids_are_404_on_get_and_400_on_put(store: Store) -> None:
    get = await store.client.get("/products/987654321")
    put = await store.client.put("/products/987654321", json={"regular_price": "1.00"})
    assert (get.status_code, get.json()["code"]) == (404, "woocommerce_rest_product_invalid_id")
    assert (put.status_code, put.json()["code"]) == (400, "woocommerce_rest_product_invalid_id")


async def test_delete_trashes_then_410_and_a_trashed_sku_still_blocks_creation(
    store: Store,
) -> None:
    product = await _product(store, "TRASH", status="publish")
    path = f"/products/{product['id']}"
    trashed = await store.client.delete(path)
    assert trashed.status_code == 200 and trashed.json()["status"] == "publish"
    assert (await store.client.get(path)).json()["status"] == "trash"
    again = await store.client.delete(path)
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    listed = await store.client.get("/products", params={"sku": store.sku("TRASH")})
    assert listed.json() == []
    reuse = await store.client.post("/products", json={"name": "Reuse", "sku": store.sku("TRASH")})
    assert (reuse.status_code, reuse.json()["code"]) == (
        400,
        "woocommerce_rest_product_not_created",
    )
    gone = await store.client.delete(path, params={"force": "true"})
    assert gone.status_code == 200
    assert (await store.client.get(path)).status_code == 404
