"""The product store: simple and variable products, and variations' rows.

Products and variations share one table, one id sequence and one SKU pool,
because WooCommerce serves both through `/products/<id>` and `?sku=`. This
module owns create/update/trash/delete of products and the stock and sales
counters that orders move; `variations.py` adds the variation endpoints and
`product_query.py` the list filters.
"""

from __future__ import annotations

import copy
from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError, already_trashed, invalid_id
from storebridge.sandbox.events import Announcer
from storebridge.sandbox.formatting import sanitize_title
from storebridge.sandbox.pricing import active_price, as_number, stock_status_after_save
from storebridge.sandbox.product_write import apply_fields, new_product_doc, normalise
from storebridge.sandbox.skus import checked_sku, sku_key
from storebridge.sandbox.terms import TermStore, default_categories

Doc = dict[str, Any]

# Statuses whose posts get a slug; drafts keep an empty one (golden 001).
_SLUGGED = ("publish", "private", "future")

_COLUMNS = (
    "id, kind, parent_id, type, status, sku, sku_key, name, slug, menu_order, price_num, "
    "total_sales, date_created_gmt, date_modified_gmt, doc"
)


class ProductStore:
    """Products and variations in SQLite."""

    def __init__(self, db: Database, terms: TermStore, clock: Clock, announce: Announcer) -> None:
        self.db = db
        self.terms = terms
        self.clock = clock
        self._announce = announce

    # -- reads -------------------------------------------------------------------------------

    def find(self, product_id: int) -> Doc | None:
        """A product or variation by id, or None."""
        row = self.db.one("SELECT doc FROM products WHERE id = ?", (product_id,))
        return loads(row["doc"]) if row is not None else None

    def get_product(self, product_id: int, *, status: int = 404) -> Doc:
        """A product (or a variation served through /products/<id>), or the REST error."""
        doc = self.find(product_id)
        if doc is None:
            raise invalid_id("product", status)
        return doc

    def children(self, parent_id: int, *, include_trash: bool = False) -> list[Doc]:
        """A variable product's variations, in menu order."""
        rows = self.db.all(
            "SELECT doc FROM products WHERE parent_id = ? AND kind = 'variation' "
            + ("" if include_trash else "AND status != 'trash' ")
            + "ORDER BY menu_order, id",
            (parent_id,),
        )
        return [loads(row["doc"]) for row in rows]

    def by_sku(self, sku: str) -> Doc | None:
        """The live product or variation that owns a SKU (order lines by sku)."""
        key = sku_key(sku)
        if key is None:
            return None
        row = self.db.one(
            "SELECT doc FROM products WHERE sku_key = ? AND status != 'trash'", (key,)
        )
        return loads(row["doc"]) if row is not None else None

    # -- writes ------------------------------------------------------------------------------

    def create(self, payload: dict[str, Any]) -> Doc:
        """POST /products."""
        if payload.get("id"):
            raise WooError(
                "woocommerce_rest_product_exists", "Cannot create existing product.", 400
            )
        now = self.clock()
        doc = new_product_doc(now)
        with self.db.transaction():
            apply_fields(doc, payload, ids=self.db, terms=self.terms, now=now)
            if "sku" in payload:
                doc["sku"] = checked_sku(
                    self.db, payload["sku"], own_id=0, creating=True, post_type="product"
                )
            doc["category_ids"] = default_categories(doc["category_ids"])
            normalise(doc)
            doc["id"] = self.db.next_id("post")
            self._maintain_slug(doc)
            self.insert(doc)
            if doc["status"] != "auto-draft":
                self._announce("product", "created", doc["id"])
        return doc

    def update(self, product_id: int, payload: dict[str, Any]) -> Doc:
        """PUT /products/<id>."""
        doc = self.get_product(product_id, status=400)
        if doc["type"] == "variation":
            raise _variation_through_products()
        now = self.clock()
        with self.db.transaction():
            apply_fields(doc, payload, ids=self.db, terms=self.terms, now=now)
            if "sku" in payload:
                doc["sku"] = checked_sku(
                    self.db, payload["sku"], own_id=product_id, creating=False, post_type="product"
                )
            doc["category_ids"] = default_categories(doc["category_ids"])
            normalise(doc)
            self._maintain_slug(doc)
            doc["date_modified"] = stored(now)
            self.save(doc)
            self._announce("product", "updated", product_id)
        return doc

    def delete(self, product_id: int, *, force: bool) -> Doc:
        """DELETE /products/<id>: trash, or remove for good with force."""
        doc = self.get_product(product_id)
        if doc["type"] == "variation":
            raise _variation_through_products()
        before = copy.deepcopy(doc)
        if force:
            with self.db.transaction():
                if doc["type"] == "variable":
                    self.db.execute("DELETE FROM products WHERE parent_id = ?", (product_id,))
                else:
                    self.db.execute(
                        "UPDATE products SET parent_id = 0 WHERE parent_id = ?", (product_id,)
                    )
                self.db.execute("DELETE FROM products WHERE id = ?", (product_id,))
            # A permanent delete fires no product.deleted webhook (only trashing does).
            return before
        if doc["status"] == "trash":
            raise already_trashed("product")
        self.trash(doc)
        return before

    def trash(self, doc: Doc) -> None:
        """Move to the trash the way wp_trash_post does."""
        now = self.clock()
        with self.db.transaction():
            doc["meta_data"].extend(
                [
                    {"id": self.db.next_id("meta"), "key": key, "value": value}
                    for key, value in (
                        ("_wp_trash_meta_status", doc["status"]),
                        ("_wp_trash_meta_time", str(int(now.timestamp()))),
                        ("_wp_desired_post_slug", doc["slug"]),
                    )
                ]
            )
            if doc["slug"]:
                doc["slug"] = f"{doc['slug']}__trashed"
            doc["status"] = "trash"
            doc["date_modified"] = stored(now)
            self.save(doc)
            self._announce("product", "deleted", doc["id"])

    def adjust_stock(self, product_id: int, delta: int) -> tuple[int, int] | None:
        """Add `delta` to a managed stock; returns (old, new) or None if unmanaged."""
        with self.db.transaction():
            doc = self.find(product_id)
            if doc is None or not doc["manage_stock"]:
                return None
            old = int(doc["stock_quantity"] or 0)
            doc["stock_quantity"] = old + delta
            doc["stock_status"] = stock_status_after_save(doc)
            doc["date_modified"] = stored(self.clock())
            self.save(doc)
            self._announce("product", "updated", product_id)
            if doc["parent_id"]:
                self.touch(doc["parent_id"])
        return old, old + delta

    def add_sales(self, product_id: int, delta: int) -> None:
        """Move total_sales (recorded per parent product, like WooCommerce)."""
        with self.db.transaction():
            doc = self.find(product_id)
            if doc is None:
                return
            doc["total_sales"] = max(int(doc.get("total_sales") or 0) + delta, 0)
            self.save(doc)

    # -- persistence -------------------------------------------------------------------------

    def insert(self, doc: Doc) -> None:
        """INSERT a new row from its document."""
        self.db.execute(
            f"INSERT INTO products({_COLUMNS}) VALUES ({','.join('?' * 15)})", self.row(doc)
        )

    def save(self, doc: Doc) -> None:
        """UPDATE a row from its document."""
        row = self.row(doc)
        self.db.execute(
            "UPDATE products SET kind=?, parent_id=?, type=?, status=?, sku=?, sku_key=?, name=?, "
            "slug=?, menu_order=?, price_num=?, total_sales=?, date_created_gmt=?, "
            "date_modified_gmt=?, doc=? WHERE id=?",
            (*row[1:], row[0]),
        )

    def row(self, doc: Doc) -> tuple[Any, ...]:
        """The column values of a document (seeding writes them in bulk)."""
        return (
            doc["id"],
            "variation" if doc["type"] == "variation" else "product",
            int(doc.get("parent_id") or 0),
            doc["type"],
            doc["status"],
            doc["sku"],
            sku_key(doc["sku"]),
            doc["name"],
            doc["slug"],
            int(doc.get("menu_order") or 0),
            as_number(active_price(doc, self.clock())),
            int(doc.get("total_sales") or 0),
            doc["date_created"],
            doc["date_modified"],
            dumps(doc),
        )

    def touch(self, product_id: int) -> None:
        """Move a product's modification time to now (a child of it changed)."""
        doc = self.find(product_id)
        if doc is not None:
            doc["date_modified"] = stored(self.clock())
            self.save(doc)

    def _maintain_slug(self, doc: Doc) -> None:
        """Published products get a unique slug from their name."""
        if doc["slug"] or doc["status"] not in _SLUGGED:
            return
        doc["slug"] = self.unique_slug(sanitize_title(doc["name"]) or str(doc["id"]), doc["id"])

    def unique_slug(self, base: str, own_id: int) -> str:
        """wp_unique_post_slug(): base, base-2, base-3..."""
        candidate, suffix = base, 2
        while self.db.one("SELECT 1 FROM products WHERE slug = ? AND id != ?", (candidate, own_id)):
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        return candidate


def _variation_through_products() -> WooError:
    return WooError(
        "woocommerce_rest_invalid_product_id",
        "To manipulate product variations you should use the "
        "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.",
        404,
    )
