"""Variations of variable products: `/products/<id>/variations`.

A variation is a row of the products table with `type = "variation"` and a
parent. Its attributes must name attributes the parent uses for variations
(others are silently dropped); its title is "Parent - S"; a variation that
does not manage stock shows `manage_stock: "parent"` when the parent does.
"""

from __future__ import annotations

import copy
from typing import Any

from storebridge.sandbox.clock import stored
from storebridge.sandbox.errors import WooError, already_trashed, invalid_id
from storebridge.sandbox.events import Announcer
from storebridge.sandbox.formatting import sanitize_title
from storebridge.sandbox.product_write import apply_fields, new_product_doc, normalise
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.skus import checked_sku

Doc = dict[str, Any]


class VariationStore:
    """Create, change and delete variations under their parent."""

    def __init__(self, products: ProductStore, announce: Announcer) -> None:
        self._products = products
        self._db = products.db
        self._announce = announce

    def parent(self, parent_id: int) -> Doc:
        """The parent product, or 404."""
        doc = self._products.find(parent_id)
        if doc is None or doc["type"] == "variation":
            raise invalid_id("product", 404)
        return doc

    def get(self, parent_id: int, variation_id: int, *, status: int = 404) -> Doc:
        """One variation of this parent."""
        doc = self._products.find(variation_id)
        if doc is None or doc["type"] != "variation":
            raise invalid_id("product_variation", status)
        if doc["parent_id"] != parent_id:
            if status == 400:
                raise WooError(
                    "woocommerce_rest_cannot_edit",
                    "Parent product does not match current variation.",
                    403,
                )
            raise invalid_id("product_variation", status)
        return doc

    def create(self, parent_id: int, payload: dict[str, Any]) -> Doc:
        """POST /products/<id>/variations."""
        parent = self.parent(parent_id)
        now = self._products.clock()
        doc = new_product_doc(now, variation=True)
        doc["parent_id"] = parent_id
        with self._db.transaction():
            self._apply(doc, parent, payload, creating=True)
            doc["id"] = self._db.next_id("post")
            doc["slug"] = self._products.unique_slug(sanitize_title(doc["name"]), doc["id"])
            self._products.insert(doc)
            self._products.touch(parent_id)
            self._announce("product", "created", doc["id"])
        return doc

    def update(
        self, parent_id: int, variation_id: int, payload: dict[str, Any], *, missing: int = 400
    ) -> Doc:
        """PUT /products/<id>/variations/<vid>; an unknown id is a 400 (404 in a batch)."""
        doc = self.get(parent_id, variation_id, status=missing)
        parent = self.parent(parent_id)
        with self._db.transaction():
            self._apply(doc, parent, payload, creating=False)
            doc["date_modified"] = stored(self._products.clock())
            self._products.save(doc)
            # WooCommerce re-syncs and saves the parent after a variation is saved: its
            # date_modified moves too (seen on WooCommerce 10.0.2 when a variation's SKU
            # was edited), which is how a `modified_after` listing of products sees it.
            self._products.touch(parent_id)
            self._announce("product", "updated", variation_id)
        return doc

    def delete(self, parent_id: int, variation_id: int, *, force: bool) -> Doc:
        """DELETE a variation: trash, or remove with force."""
        doc = self.get(parent_id, variation_id)
        before = copy.deepcopy(doc)
        if force:
            with self._db.transaction():
                self._db.execute("DELETE FROM products WHERE id = ?", (variation_id,))
                self._products.touch(parent_id)
            return before
        if doc["status"] == "trash":
            raise already_trashed("product_variation")
        self._products.trash(doc)
        return before

    def _apply(self, doc: Doc, parent: Doc, payload: dict[str, Any], *, creating: bool) -> None:
        now = self._products.clock()
        apply_fields(doc, payload, ids=self._db, terms=None, now=now)
        if isinstance(payload.get("attributes"), list):
            doc["attributes"] = self._attributes(parent, payload["attributes"])
        if "sku" in payload:
            doc["sku"] = checked_sku(
                self._db,
                payload["sku"],
                own_id=int(doc.get("id") or 0),
                creating=creating,
                post_type="product_variation",
            )
        doc["type"] = "variation"
        doc["category_ids"] = []
        normalise(doc)
        doc["name"] = variation_title(parent["name"], doc["attributes"])

    @staticmethod
    def _attributes(parent: Doc, wanted: list[Any]) -> list[Doc]:
        """Keep only attributes the parent uses for variations."""
        usable = [a for a in parent.get("attributes", []) if a.get("variation")]
        chosen: list[Doc] = []
        for item in wanted:
            if not isinstance(item, dict) or item.get("option") in (None, ""):
                continue
            match = None
            for attribute in usable:
                same_id = item.get("id") and int(item["id"]) == attribute["id"] != 0
                same_name = sanitize_title(str(item.get("name", ""))) == sanitize_title(
                    attribute["name"]
                )
                if same_id or same_name:
                    match = attribute
                    break
            if match is not None:
                chosen.append(
                    {"id": match["id"], "name": match["name"], "option": str(item["option"])}
                )
        return chosen


def variation_title(parent_name: str, attributes: list[Doc]) -> str:
    """generate_product_title(): "Parent - S" for up to two attributes."""
    if not attributes or len(attributes) > 2:
        return parent_name
    return f"{parent_name} - " + ", ".join(str(a["option"]) for a in attributes)


def stock_holder(products: ProductStore, doc: Doc) -> Doc | None:
    """The product whose stock an order line moves (the parent for "parent" stock)."""
    if doc["manage_stock"]:
        return doc
    if doc["type"] == "variation":
        parent = products.find(doc["parent_id"])
        if parent is not None and parent["manage_stock"]:
            return parent
    return None
