"""Contract: customers."""

from __future__ import annotations

from tests.contract.contract_support import Store


def _email(store: Store, label: str) -> str:
    return f"{store.prefix.lower()}-{label}@contract.example"


async def test_emails_are_unique_and_matched_without_case(store: Store) -> None:
    email = _email(store, "jane")
    created = await store.create("/customers", {"email": email, "first_name": "Jane"})
    assert created["role"] == "customer" and created["is_paying_customer"] is False
    duplicate = await store.client.post("/customers", json={"email": email.upper()})
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "registration-error-email-exists"
    assert email.upper() in duplicate.json()["message"]
    found = await store.client.get("/customers", params={"email": email.upper()})
    assert [c["id"] for c in found.json()] == [created["id"]]


async def test_an_email_is_required(store: Store) -> None:
    response = await store.client.post("/customers", json={"first_name": "NoMail"})
    assert (response.status_code, response.json()["code"]) == (400, "rest_missing_callback_param")


async def test_a_partial_billing_update_merges(store: Store) -> None:
    created = await store.create(
        "/customers",
        {"email": _email(store, "merge"), "billing": {"city": "Oakland", "phone": "1"}},
    )
    updated = await store.client.put(
        f"/customers/{created['id']}", json={"billing": {"phone": "2"}}
    )
    assert updated.json()["billing"]["city"] == "Oakland"
    assert updated.json()["billing"]["phone"] == "2"


async def test_customers_cannot_be_trashed(store: Store) -> None:
    created = await store.create("/customers", {"email": _email(store, "keep")})
    response = await store.client.delete(f"/customers/{created['id']}")
    assert (response.status_code, response.json()["code"]) == (
        501,
        "woocommerce_rest_trash_not_supported",
    )
