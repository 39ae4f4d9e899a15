"""Helpers shared by the WooCommerce client tests (a uniquely named module, not a package).

Responses are mocked with respx; their bodies come from real captures of a
WooCommerce 10.0.2 store, copied from the shared golden corpus into ./golden.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
STORE = "https://shop.test"
API = f"{STORE}/wp-json/wc/v3"
KEY = "ck_live_0123456789abcdef"
SECRET = "cs_live_fedcba9876543210"


def golden(name: str) -> dict[str, Any]:
    """One capture by file-name prefix, e.g. golden("053")."""
    matches = sorted(GOLDEN_DIR.glob(f"{name}*.json"))
    assert len(matches) == 1, f"expected one golden file for {name!r}, got {matches}"
    data: dict[str, Any] = json.loads(matches[0].read_text())
    return data


def golden_response(name: str, **headers: str) -> httpx.Response:
    """The captured response (status, list headers, body) as an httpx.Response."""
    capture = golden(name)["response"]
    kept = {k: v for k, v in capture["headers"].items() if k.startswith("X-WP-")}
    return httpx.Response(capture["status"], json=capture["body"], headers={**kept, **headers})


class RecordingSleep:
    """An async sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FakeProductStore:
    """Just enough of /products and /products/batch to test batching and safe creation.

    `faults` holds (when, exception) pairs consumed one per batch request:
    "after" applies the batch and then fails (the server created the products
    but the answer was lost), "before" fails without applying anything.
    """

    def __init__(self, *, limit: int = 100) -> None:
        self.products: dict[int, dict[str, Any]] = {}
        self.limit = limit
        self.faults: list[tuple[str, Exception]] = []
        self.batch_bodies: list[dict[str, Any]] = []
        self.lookups: list[list[str]] = []
        self._next_id = 1000

    def add(self, **fields: Any) -> dict[str, Any]:
        self._next_id += 1
        product = {"id": self._next_id, "type": "simple", "status": "draft", **fields}
        self.products[product["id"]] = product
        return product

    def _holder(self, sku: str) -> dict[str, Any] | None:
        key = sku.strip().lower()
        if not key:
            return None
        return next(
            (p for p in self.products.values() if str(p.get("sku", "")).strip().lower() == key),
            None,
        )

    def batch(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.batch_bodies.append(body)
        size = sum(len(body.get(k, [])) for k in ("create", "update", "delete"))
        if size > self.limit:
            return httpx.Response(413, json=golden("055")["response"]["body"])
        fault = self.faults.pop(0) if self.faults else None
        if fault and fault[0] == "before":
            raise fault[1]
        answer: dict[str, list[dict[str, Any]]] = {}
        if "create" in body:
            answer["create"] = [self._create(item) for item in body["create"]]
        if "update" in body:
            answer["update"] = [self._update(item) for item in body["update"]]
        if "delete" in body:
            answer["delete"] = [self._delete(item_id) for item_id in body["delete"]]
        if fault:
            raise fault[1]
        return httpx.Response(200, json=answer)

    def _create(self, item: dict[str, Any]) -> dict[str, Any]:
        holder = self._holder(str(item.get("sku", "")))
        if holder is not None:
            return {
                "id": 0,
                "error": {
                    "code": "product_invalid_sku",
                    "message": "Invalid or duplicated SKU.",
                    "data": {"status": 400, "resource_id": holder["id"], "unique_sku": "x-1"},
                },
            }
        return self.add(**item)

    def _update(self, item: dict[str, Any]) -> dict[str, Any]:
        product = self.products.get(item["id"])
        if product is None:
            return {
                "id": item["id"],
                "error": {
                    "code": "woocommerce_rest_product_invalid_id",
                    "message": "Invalid ID.",
                    "data": {"status": 400},
                },
            }
        product.update(item)
        return product

    def _delete(self, item_id: int) -> dict[str, Any]:
        product = self.products.pop(item_id, None)
        if product is None:
            return {
                "id": item_id,
                "error": {
                    "code": "woocommerce_rest_product_invalid_id",
                    "message": "Invalid ID.",
                    "data": {"status": 404},
                },
            }
        return product

    def list(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get("sku", "")
        skus = [s.strip().lower() for s in wanted.split(",") if s.strip()]
        self.lookups.append(skus)
        found = [p for p in self.products.values() if str(p.get("sku", "")).strip().lower() in skus]
        return httpx.Response(200, json=found, headers={"X-WP-TotalPages": "1"})
