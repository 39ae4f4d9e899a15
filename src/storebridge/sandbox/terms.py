"""Product categories and tags: the minimal term store products refer to.

Products may only reference categories by id (a name-only reference is
ignored, as golden 001 shows); tags may be given by name and are created on
the fly. Every product without a category lands in "Uncategorized" (id 15).
"""

from __future__ import annotations

from typing import Any

from storebridge.sandbox.db import UNCATEGORIZED_ID, Database, dumps, loads
from storebridge.sandbox.errors import WooError, missing_params, trash_not_supported
from storebridge.sandbox.formatting import sanitize_title
from storebridge.sandbox.ties import TieOrder
from storebridge.sandbox.urls import links

Doc = dict[str, Any]
COLLECTIONS = {"product_cat": "/products/categories", "product_tag": "/products/tags"}


class TermStore:
    """Categories (`product_cat`) and tags (`product_tag`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, taxonomy: str, payload: dict[str, Any]) -> Doc:
        """POST /products/categories (or /tags)."""
        name = str(payload.get("name") or "").strip()
        if not name:
            raise missing_params(["name"])
        slug = sanitize_title(str(payload.get("slug") or name))
        existing = self._db.one(
            "SELECT id FROM terms WHERE taxonomy = ? AND (slug = ? OR lower(name) = lower(?))",
            (taxonomy, slug, name),
        )
        if existing is not None:
            raise WooError(
                "term_exists",
                "A term with the name provided already exists with this parent.",
                400,
                extra={"resource_id": int(existing["id"])},
            )
        doc = {
            "parent": int(payload.get("parent") or 0),
            "description": str(payload.get("description") or ""),
            "display": str(payload.get("display") or "default"),
            "menu_order": int(payload.get("menu_order") or 0),
        }
        term_id = self._db.next_id("term")
        self._db.execute(
            "INSERT INTO terms(id, taxonomy, name, slug, doc) VALUES (?, ?, ?, ?, ?)",
            (term_id, taxonomy, name, slug, dumps(doc)),
        )
        return self.get(taxonomy, term_id)

    def get(self, taxonomy: str, term_id: int) -> Doc:
        """One term, or 404."""
        row = self._db.one("SELECT * FROM terms WHERE taxonomy = ? AND id = ?", (taxonomy, term_id))
        if row is None:
            raise WooError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)
        return {"id": row["id"], "name": row["name"], "slug": row["slug"], **loads(row["doc"])}

    def all(self, taxonomy: str, *, orderby: str, descending: bool, ties: TieOrder) -> list[Doc]:
        """Every term of a taxonomy in the asked order (default: name, ascending).

        WP_Term_Query sorts on the one column: same-name terms are in no set order.
        """
        rows = self._db.all("SELECT id, name FROM terms WHERE taxonomy = ?", (taxonomy,))
        if orderby == "id":
            rows.sort(key=lambda row: int(row["id"]), reverse=descending)
        else:
            tie = ties.key()
            rows.sort(key=lambda row: tie(int(row["id"])))
            rows.sort(key=lambda row: str(row["name"]).lower(), reverse=descending)
        return [self.get(taxonomy, int(row["id"])) for row in rows]

    def delete(self, taxonomy: str, term_id: int, *, force: bool) -> Doc:
        """DELETE a term; terms cannot be trashed."""
        doc = self.get(taxonomy, term_id)
        if not force:
            raise trash_not_supported("Resource does not support trashing.")
        self._db.execute("DELETE FROM terms WHERE id = ?", (term_id,))
        return doc

    def count(self, taxonomy: str, term_id: int) -> int:
        """Published products carrying the term (WordPress counts published only)."""
        key = "category_ids" if taxonomy == "product_cat" else "tag_ids"
        row = self._db.one(
            "SELECT COUNT(*) AS n FROM products p WHERE p.kind = 'product' "
            "AND p.status = 'publish' AND EXISTS "
            f"(SELECT 1 FROM json_each(p.doc, '$.{key}') WHERE value = ?)",
            (term_id,),
        )
        return int(row["n"]) if row is not None else 0

    def resolve_categories(self, refs: list[Any]) -> list[int]:
        """Category ids that exist; name-only references are ignored."""
        ids: list[int] = []
        for ref in refs:
            if isinstance(ref, dict) and ref.get("id") not in (None, "", 0):
                term_id = int(ref["id"])
                if self._exists("product_cat", term_id) and term_id not in ids:
                    ids.append(term_id)
        return ids

    def resolve_tags(self, refs: list[Any]) -> list[int]:
        """Tag ids; a tag given by a new name is created."""
        ids: list[int] = []
        for ref in refs:
            if not isinstance(ref, dict):
                continue
            if ref.get("id") not in (None, "", 0):
                tag_id = int(ref["id"])
                if not self._exists("product_tag", tag_id):
                    continue
            elif ref.get("name"):
                tag_id = self._tag_by_name(str(ref["name"]))
            else:
                continue
            if tag_id not in ids:
                ids.append(tag_id)
        return ids

    def refs(self, taxonomy: str, ids: list[int]) -> list[dict[str, Any]]:
        """`[{id, name, slug}]` as products render their terms."""
        result = []
        for term_id in ids:
            row = self._db.one(
                "SELECT id, name, slug FROM terms WHERE taxonomy = ? AND id = ?",
                (taxonomy, term_id),
            )
            if row is not None:
                result.append({"id": row["id"], "name": row["name"], "slug": row["slug"]})
        return result

    def render(self, taxonomy: str, doc: Doc, base_url: str) -> dict[str, Any]:
        """A category or tag as the REST API returns it."""
        collection = COLLECTIONS[taxonomy]
        body: dict[str, Any] = {"id": doc["id"], "name": doc["name"], "slug": doc["slug"]}
        if taxonomy == "product_cat":
            body.update(
                parent=doc["parent"],
                description=doc["description"],
                display=doc["display"],
                image=None,
                menu_order=doc["menu_order"],
            )
        else:
            body["description"] = doc["description"]
        body["count"] = self.count(taxonomy, int(doc["id"]))
        body["_links"] = links(base_url, f"{collection}/{doc['id']}", collection)
        return body

    def _exists(self, taxonomy: str, term_id: int) -> bool:
        return (
            self._db.one("SELECT 1 FROM terms WHERE taxonomy = ? AND id = ?", (taxonomy, term_id))
            is not None
        )

    def _tag_by_name(self, name: str) -> int:
        row = self._db.one(
            "SELECT id FROM terms WHERE taxonomy = 'product_tag' AND lower(name) = lower(?)",
            (name,),
        )
        if row is not None:
            return int(row["id"])
        return int(self.create("product_tag", {"name": name})["id"])


def default_categories(ids: list[int]) -> list[int]:
    """WooCommerce puts an uncategorised product in the default category."""
    return ids or [UNCATEGORIZED_ID]
