"""Order notes: `/orders/<id>/notes`, and the system notes orders write.

Status changes and stock moves leave notes authored by "WooCommerce"; a note
posted with `added_by_user: true` is authored by the key's user. There is no
update, and a delete needs force (the error text really says "Webhooks").
"""

from __future__ import annotations

from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError, missing_params, trash_not_supported
from storebridge.sandbox.urls import links

Doc = dict[str, Any]
SYSTEM_AUTHOR = "WooCommerce"


class NoteStore:
    """Order notes in SQLite."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def add(
        self, order_id: int, note: str, *, author: str = SYSTEM_AUTHOR, customer: bool = False
    ) -> Doc:
        """Write a note (also used for system notes)."""
        when = stored(self._clock())
        doc: Doc = {
            "id": self._db.next_id("comment"),
            "author": author,
            "date_created": when,
            "note": note,
            "customer_note": customer,
        }
        self._db.execute(
            "INSERT INTO order_notes(id, order_id, date_created_gmt, doc) VALUES (?, ?, ?, ?)",
            (doc["id"], order_id, when, dumps(doc)),
        )
        return doc

    def create(self, order_id: int, payload: dict[str, Any], *, user_name: str) -> Doc:
        """POST /orders/<id>/notes."""
        if not payload.get("note"):
            raise missing_params(["note"])
        author = user_name if _truthy(payload.get("added_by_user")) else SYSTEM_AUTHOR
        return self.add(
            order_id,
            str(payload["note"]),
            author=author,
            customer=_truthy(payload.get("customer_note")),
        )

    def for_order(self, order_id: int, kind: str = "any") -> list[Doc]:
        """Newest first; notes of the same second come in id order."""
        rows = self._db.all(
            "SELECT doc FROM order_notes WHERE order_id = ? ORDER BY date_created_gmt DESC, id ASC",
            (order_id,),
        )
        notes = [loads(row["doc"]) for row in rows]
        if kind == "customer":
            return [n for n in notes if n["customer_note"]]
        if kind == "internal":
            return [n for n in notes if not n["customer_note"]]
        return notes

    def get(self, order_id: int, note_id: int) -> Doc:
        """One note of an order, or 404."""
        row = self._db.one(
            "SELECT doc FROM order_notes WHERE order_id = ? AND id = ?", (order_id, note_id)
        )
        if row is None:
            raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        doc: Doc = loads(row["doc"])
        return doc

    def delete(self, order_id: int, note_id: int, *, force: bool) -> Doc:
        """DELETE a note; needs force."""
        doc = self.get(order_id, note_id)
        if not force:
            raise trash_not_supported("Webhooks do not support trashing.")
        self._db.execute("DELETE FROM order_notes WHERE id = ?", (note_id,))
        return doc

    def delete_all(self, order_id: int) -> None:
        """Drop the notes of a deleted order."""
        self._db.execute("DELETE FROM order_notes WHERE order_id = ?", (order_id,))

    @staticmethod
    def render(doc: Doc, order_id: int, base_url: str) -> dict[str, Any]:
        """A note as the REST API returns it."""
        return {
            "id": doc["id"],
            "author": doc["author"],
            "date_created": doc["date_created"],
            "date_created_gmt": doc["date_created"],
            "note": doc["note"],
            "customer_note": doc["customer_note"],
            "_links": links(
                base_url,
                f"/orders/{order_id}/notes/{doc['id']}",
                f"/orders/{order_id}/notes",
                allow=("GET", "DELETE"),
                up=f"/orders/{order_id}",
            ),
        }


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
