"""The `/batch` endpoints' semantics, shared by every resource.

One request carries `create`, `update` and `delete` lists. Above the limit
(100 by default, counting all three) the whole request is refused with 413
and nothing runs. Otherwise items run in that order, each on its own (a
savepoint, no overall transaction), and the answer is HTTP 200 with one
entry per item: the object, or `{id, error}` inline (a failed create has id
0). Deletes are always permanent. An empty body answers `[]`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from storebridge.sandbox.db import Database
from storebridge.sandbox.errors import WooError, too_many_items

Rendered = dict[str, Any]


def run_batch(
    db: Database,
    body: Any,
    *,
    limit: int,
    create: Callable[[dict[str, Any]], Rendered],
    update: Callable[[int, dict[str, Any]], Rendered],
    delete: Callable[[int], Rendered],
) -> dict[str, list[Rendered]] | list[Any]:
    """Run a batch body; returns the JSON answer."""
    sections = body if isinstance(body, dict) else {}
    creates = _items(sections.get("create"))
    updates = _items(sections.get("update"))
    deletes = _items(sections.get("delete"))
    if len(creates) + len(updates) + len(deletes) > limit:
        raise too_many_items(limit)
    result: dict[str, list[Rendered]] = {}
    if creates:
        result["create"] = [_create_one(db, item, create) for item in creates]
    if updates:
        result["update"] = [_update_one(db, item, update) for item in updates]
    if deletes:
        answers = []
        for raw in deletes:
            item_id = _int(raw)
            if item_id == 0:
                continue  # WooCommerce skips ids that resolve to 0
            answers.append(_guarded(db, item_id, partial(delete, item_id)))
        result["delete"] = answers
    return result if result else []


def _create_one(db: Database, item: Any, create: Callable[[dict[str, Any]], Rendered]) -> Rendered:
    return _guarded(db, 0, partial(create, _as_dict(item)))


def _update_one(
    db: Database, item: Any, update: Callable[[int, dict[str, Any]], Rendered]
) -> Rendered:
    payload = _as_dict(item)
    item_id = _int(payload.get("id"))
    return _guarded(db, item_id, partial(update, item_id, payload))


def _guarded(db: Database, item_id: int, action: Callable[[], Rendered]) -> Rendered:
    try:
        with db.transaction():
            return action()
    except WooError as error:
        return {
            "id": item_id,
            "error": {"code": error.code, "message": error.message, "data": error.data()},
        }


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
