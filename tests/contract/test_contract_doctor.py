"""Contract: what `storebridge doctor` and `webhooks install` rely on.

The facts probed without changing anything (system_status with nested
`_fields`, the empty batch that tells a read-only key, the id-0 batch that
measures the batch limit, the settings read, and the wc-admin request only an
administrator's key may make), and the webhook fields `webhooks install` sets.
"""

from __future__ import annotations

import pytest
from tests.contract.contract_support import API, Store

STATUS_FIELDS = (
    "environment.version,settings.currency,settings.number_of_decimals,security.secure_connection"
)


def _site(store: Store) -> str:
    """The store's home URL (the clients' base is its wc/v3 root)."""
    return str(store.client.base_url).rstrip("/").removesuffix(API)


async def test_system_status_answers_the_nested_fields_asked_for(store: Store) -> None:
    response = await store.client.get("/system_status", params={"_fields": STATUS_FIELDS})

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"environment", "settings", "security"}
    assert set(body["environment"]) == {"version"} and body["environment"]["version"]
    assert set(body["settings"]) == {"currency", "number_of_decimals"}
    assert isinstance(body["settings"]["number_of_decimals"], int)
    assert body["security"] == {"secure_connection": _site(store).startswith("https://")}


async def test_system_status_needs_a_key(store: Store) -> None:
    response = await store.anonymous.get("/system_status")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"


async def test_an_empty_batch_tells_a_read_only_key_from_a_read_write_one(store: Store) -> None:
    response = await store.client.post("/products/batch", json={})
    assert (response.status_code, response.json()) == (200, [])
    if store.readonly is None:
        pytest.skip("set WOO_READONLY_KEY and WOO_READONLY_SECRET for the read-only half")
    refused = await store.readonly.post("/products/batch", json={})
    assert refused.status_code == 401
    assert refused.json()["message"] == "The API key provided does not have write permissions."
    assert (await store.readonly.get("/system_status", params={"_fields": "settings"})).is_success


async def test_a_batch_of_id_0_updates_fails_item_by_item_and_changes_nothing(
    store: Store,
) -> None:
    response = await store.client.post("/products/batch", json={"update": [{"id": 0}] * 100})

    assert response.status_code == 200, response.text
    items = response.json()["update"]
    assert len(items) == 100
    assert {item["error"]["code"] for item in items} == {"woocommerce_rest_product_invalid_id"}
    too_many = await store.client.post("/products/batch", json={"update": [{"id": 0}] * 101})
    assert too_many.status_code == 413


@pytest.mark.parametrize(
    ("path", "kind", "default"),
    [
        ("/settings/general/woocommerce_currency", "select", "USD"),
        ("/settings/general/woocommerce_price_num_decimals", "number", "2"),
        ("/settings/products/woocommerce_manage_stock", "checkbox", "yes"),
    ],
)
async def test_the_settings_the_doctor_reads(
    store: Store, path: str, kind: str, default: str
) -> None:
    response = await store.client.get(path)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["type"], body["default"]) == (kind, default)
    assert isinstance(body["value"], str)
    assert ("tip" in body) == (kind != "checkbox")


async def test_only_a_user_who_may_install_plugins_reads_the_plugin_install_status(
    store: Store,
) -> None:
    url = _site(store) + "/wp-json/wc-admin/plugins/install/status"

    admin = await store.client.get(url)  # the contract keys belong to an administrator
    anonymous = await store.anonymous.get(url)

    assert (admin.status_code, admin.json()) == (200, [])
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "code": "woocommerce_rest_cannot_update",
        "message": "Sorry, you cannot manage plugins.",
        "data": {"status": 401},
    }
    if store.readonly is not None:  # a read: the key's permission allows it
        assert (await store.readonly.get(url)).status_code == 200


async def test_a_webhook_installed_by_storebridge_reads_back_as_installed(store: Store) -> None:
    created = await store.create(
        "/webhooks",
        {
            "name": f"StoreBridge {store.prefix}",
            "topic": "order.updated",
            "delivery_url": "http://127.0.0.1:9/webhooks/woocommerce/main",
            "secret": "abc123def456",
            "status": "active",
        },
    )

    listed = await store.client.get("/webhooks", params={"status": "all", "per_page": 100})

    [found] = [hook for hook in listed.json() if hook["id"] == created["id"]]
    assert {k: found[k] for k in ("name", "status", "topic", "delivery_url")} == {
        "name": f"StoreBridge {store.prefix}",
        "status": "active",
        "topic": "order.updated",
        "delivery_url": "http://127.0.0.1:9/webhooks/woocommerce/main",
    }
    assert "secret" not in found
    revived = await store.client.put(f"/webhooks/{created['id']}", json={"status": "disabled"})
    assert revived.json()["status"] == "disabled"
    back = await store.client.put(f"/webhooks/{created['id']}", json={"status": "active"})
    assert back.json()["status"] == "active"
