"""Coupons, just enough for orders: percent and fixed-cart discounts.

Codes are case-insensitive (WooCommerce lower-cases them). Orders look a
coupon up by code, apply it, and count its usage; an unknown code makes the
order create fail after the order was saved (see `orders.py`).
"""

from __future__ import annotations

import copy
from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError, already_trashed, invalid_id, missing_params
from storebridge.sandbox.formatting import format_decimal_input, money, to_decimal
from storebridge.sandbox.urls import links

Doc = dict[str, Any]
DISCOUNT_TYPES = ("percent", "fixed_cart", "fixed_product")


class CouponStore:
    """Coupons in SQLite."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def create(self, payload: dict[str, Any]) -> Doc:
        """POST /coupons."""
        code = str(payload.get("code") or "").strip().lower()
        if not code:
            raise missing_params(["code"])
        if self.by_code(code) is not None:
            raise WooError(
                "woocommerce_rest_coupon_code_already_exists", "The coupon code already exists", 400
            )
        when = stored(self._clock())
        doc: Doc = {
            "code": code,
            "amount": money(to_decimal(format_decimal_input(payload.get("amount", "0")))),
            "status": "publish",
            "date_created": when,
            "date_modified": when,
            "discount_type": payload.get("discount_type")
            if payload.get("discount_type") in DISCOUNT_TYPES
            else "fixed_cart",
            "description": str(payload.get("description") or ""),
            "date_expires": None,
            "usage_count": 0,
            "individual_use": bool(payload.get("individual_use", False)),
            "product_ids": list(payload.get("product_ids") or []),
            "excluded_product_ids": list(payload.get("excluded_product_ids") or []),
            "usage_limit": payload.get("usage_limit"),
            "usage_limit_per_user": payload.get("usage_limit_per_user"),
            "limit_usage_to_x_items": payload.get("limit_usage_to_x_items"),
            "free_shipping": bool(payload.get("free_shipping", False)),
            "product_categories": [],
            "excluded_product_categories": [],
            "exclude_sale_items": bool(payload.get("exclude_sale_items", False)),
            "minimum_amount": money(to_decimal(payload.get("minimum_amount") or "0")),
            "maximum_amount": money(to_decimal(payload.get("maximum_amount") or "0")),
            "email_restrictions": list(payload.get("email_restrictions") or []),
            "used_by": [],
            "meta_data": [],
        }
        doc["id"] = self._db.next_id("post")
        self._db.execute(
            "INSERT INTO coupons(id, code_key, date_created_gmt, doc) VALUES (?, ?, ?, ?)",
            (doc["id"], code, when, dumps(doc)),
        )
        return doc

    def get(self, coupon_id: int) -> Doc:
        """One coupon, or 404."""
        row = self._db.one("SELECT doc FROM coupons WHERE id = ?", (coupon_id,))
        if row is None:
            raise invalid_id("shop_coupon", 404)
        result: Doc = loads(row["doc"])
        return result

    def by_code(self, code: str) -> Doc | None:
        """A live coupon by code, case-insensitively."""
        row = self._db.one("SELECT doc FROM coupons WHERE code_key = ?", (code.strip().lower(),))
        if row is None:
            return None
        doc: Doc = loads(row["doc"])
        return None if doc["status"] == "trash" else doc

    def all(self) -> list[Doc]:
        """Every coupon, newest first."""
        rows = self._db.all("SELECT doc FROM coupons ORDER BY date_created_gmt DESC, id DESC")
        return [loads(row["doc"]) for row in rows]

    def record_use(self, code: str, email: str) -> None:
        """Count one use of a coupon by an order."""
        doc = self.by_code(code)
        if doc is None:
            return
        doc["usage_count"] += 1
        if email:
            doc["used_by"].append(email)
        self._save(doc)

    def delete(self, coupon_id: int, *, force: bool) -> Doc:
        """DELETE /coupons/<id>."""
        doc = self.get(coupon_id)
        before = copy.deepcopy(doc)
        if force:
            self._db.execute("DELETE FROM coupons WHERE id = ?", (coupon_id,))
            return before
        if doc["status"] == "trash":
            raise already_trashed("shop_coupon")
        doc["status"] = "trash"
        self._save(doc)
        return before

    def render(self, doc: Doc, base_url: str) -> dict[str, Any]:
        """A coupon as the REST API returns it (golden 057's key order)."""
        body: dict[str, Any] = {"id": doc["id"], "code": doc["code"], "amount": doc["amount"]}
        body["status"] = doc["status"]
        for key in ("date_created", "date_modified"):
            body[key] = body[f"{key}_gmt"] = doc[key]
        body["discount_type"] = doc["discount_type"]
        body["description"] = doc["description"]
        body["date_expires"] = body["date_expires_gmt"] = doc["date_expires"]
        skipped = set(body) | {"id"}
        body.update({key: value for key, value in doc.items() if key not in skipped})
        body["_links"] = links(base_url, f"/coupons/{doc['id']}", "/coupons")
        return body

    def _save(self, doc: Doc) -> None:
        self._db.execute("UPDATE coupons SET doc = ? WHERE id = ?", (dumps(doc), doc["id"]))
