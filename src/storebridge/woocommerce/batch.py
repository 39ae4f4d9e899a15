"""The `/batch` endpoints: chunking, running, and per-item results (woocommerce-rest-api.md §5).

A batch request may hold at most 100 objects, creates, updates and deletes
counted together; above that WooCommerce refuses the whole request with 413.
`plan_chunks` (pure) cuts the work into requests of at most `limit` objects,
keeping the caller's order (creates, then updates, then deletes), so at most
one request mixes two kinds.  `run_batch` sends the chunks concurrently (the
session's semaphore bounds them) and pairs each answer with its input *by
position*, as the server answers in request order.

Outcomes per item:

- success: the object as WooCommerce returned it;
- `BatchItemError`: WooCommerce refused the item inside a 200 answer
  (`{"id": 0, "error": {...}}`), or the whole request was refused for a reason
  that did not let it run (400, 404...);
- `BatchUnknown`: the request failed *ambiguously* (timeout once sent, dropped
  connection, 5xx): the server may have applied it.  Creates in such a chunk
  are never re-sent here; the updates and deletes of that chunk, harmless to
  repeat, are re-sent on their own first.  The caller resolves unknown creates
  by SKU (`safe_create.create_products_safely`).

A 413 means the store lowered its limit (`woocommerce_rest_batch_items_limit`):
nothing ran, so the chunk is split in two and sent again.  Authentication
errors are raised: they concern every chunk alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from storebridge.woocommerce.errors import (
    WooAuthError,
    WooBatchTooLarge,
    WooError,
    WooInvalidResponse,
)
from storebridge.woocommerce.session import WooSession

__all__ = [
    "DEFAULT_BATCH_LIMIT",
    "BatchAction",
    "BatchChunk",
    "BatchItemError",
    "BatchItemSuccess",
    "BatchOutcome",
    "BatchUnknown",
    "plan_chunks",
    "run_batch",
]

DEFAULT_BATCH_LIMIT = 100

BatchAction = Literal["create", "update", "delete"]
Payload = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BatchChunk:
    """One request's worth of items, each kept with its index in the caller's list."""

    create: tuple[tuple[int, Payload], ...] = ()
    update: tuple[tuple[int, Payload], ...] = ()
    delete: tuple[tuple[int, int], ...] = ()

    @property
    def size(self) -> int:
        """Objects in the request, all kinds counted together."""
        return len(self.create) + len(self.update) + len(self.delete)

    def body(self) -> dict[str, list[Any]]:
        """The JSON request body; empty sections are left out."""
        body: dict[str, list[Any]] = {}
        if self.create:
            body["create"] = [dict(item) for _, item in self.create]
        if self.update:
            body["update"] = [dict(item) for _, item in self.update]
        if self.delete:
            body["delete"] = [item_id for _, item_id in self.delete]
        return body

    def without_creates(self) -> BatchChunk:
        """The same chunk minus its creates (what is safe to send twice)."""
        return BatchChunk(update=self.update, delete=self.delete)

    def halves(self) -> tuple[BatchChunk, BatchChunk]:
        """Split in two chunks of (nearly) equal size, order kept."""
        flat = _flatten(self)
        middle = len(flat) // 2
        return _chunk_of(flat[:middle]), _chunk_of(flat[middle:])


@dataclass(frozen=True, slots=True)
class BatchItemSuccess:
    """An item WooCommerce applied; `item` is the object it returned."""

    action: BatchAction
    index: int
    item: dict[str, Any]

    @property
    def id(self) -> int:
        """The object's id (for a delete, the id that was removed)."""
        value = self.item.get("id")
        return value if isinstance(value, int) else 0


@dataclass(frozen=True, slots=True)
class BatchItemError:
    """An item WooCommerce refused, with its code (`product_invalid_sku`...)."""

    action: BatchAction
    index: int
    code: str
    message: str
    status: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    item_id: int | None = None
    sku: str | None = None

    @property
    def resource_id(self) -> int | None:
        """For a duplicate SKU, the id of the product or variation holding it."""
        value = self.data.get("resource_id")
        return value if isinstance(value, int) and value > 0 else None


@dataclass(frozen=True, slots=True)
class BatchUnknown:
    """An item whose request failed ambiguously: it may or may not have been applied."""

    action: BatchAction
    index: int
    payload: Payload | int
    error: WooError
    sku: str | None = None


@dataclass
class BatchOutcome:
    """Everything a batch run produced, each item under its action and original index."""

    created: list[BatchItemSuccess] = field(default_factory=list)
    updated: list[BatchItemSuccess] = field(default_factory=list)
    deleted: list[BatchItemSuccess] = field(default_factory=list)
    errors: list[BatchItemError] = field(default_factory=list)
    unknown: list[BatchUnknown] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every item was applied."""
        return not self.errors and not self.unknown

    def merge(self, other: BatchOutcome) -> None:
        """Add another outcome's items to this one."""
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted
        self.errors += other.errors
        self.unknown += other.unknown

    def sort(self) -> None:
        """Order every list by original index (chunks finish in any order)."""
        for items in (self.created, self.updated, self.deleted):
            items.sort(key=lambda entry: entry.index)
        self.errors.sort(key=lambda entry: (entry.action, entry.index))
        self.unknown.sort(key=lambda entry: (entry.action, entry.index))


_Flat = tuple[BatchAction, int, Any]


def _flatten(chunk: BatchChunk) -> list[_Flat]:
    return [
        *(("create", i, p) for i, p in chunk.create),
        *(("update", i, p) for i, p in chunk.update),
        *(("delete", i, p) for i, p in chunk.delete),
    ]


def _chunk_of(flat: Sequence[_Flat]) -> BatchChunk:
    return BatchChunk(
        create=tuple((i, p) for a, i, p in flat if a == "create"),
        update=tuple((i, p) for a, i, p in flat if a == "update"),
        delete=tuple((i, p) for a, i, p in flat if a == "delete"),
    )


def plan_chunks(
    create: Sequence[Payload] = (),
    update: Sequence[Payload] = (),
    delete: Sequence[int] = (),
    *,
    limit: int = DEFAULT_BATCH_LIMIT,
) -> list[BatchChunk]:
    """Cut the work into chunks of at most `limit` objects, all kinds counted together."""
    if limit < 1:
        raise ValueError(f"batch limit must be at least 1, got {limit}")
    flat: list[_Flat] = [
        *(("create", i, p) for i, p in enumerate(create)),
        *(("update", i, p) for i, p in enumerate(update)),
        *(("delete", i, p) for i, p in enumerate(delete)),
    ]
    return [_chunk_of(flat[start : start + limit]) for start in range(0, len(flat), limit)]


async def run_batch(
    session: WooSession,
    path: str,
    *,
    create: Sequence[Payload] = (),
    update: Sequence[Payload] = (),
    delete: Sequence[int] = (),
    limit: int = DEFAULT_BATCH_LIMIT,
) -> BatchOutcome:
    """Apply creates, updates and deletes through `path` (e.g. ``/products/batch``).

    Raises:
        WooAuthError: the key cannot batch on this store (no chunk can succeed).
    """
    chunks = plan_chunks(create, update, delete, limit=limit)
    results = await asyncio.gather(
        *(_run_chunk(session, path, chunk) for chunk in chunks), return_exceptions=True
    )
    outcome = BatchOutcome()
    for result in results:
        if isinstance(result, BaseException):
            raise result
        outcome.merge(result)
    outcome.sort()
    return outcome


async def _run_chunk(session: WooSession, path: str, chunk: BatchChunk) -> BatchOutcome:
    try:
        body = await session.request_json(
            "POST", path, json=chunk.body(), idempotent=not chunk.create
        )
    except WooAuthError:
        raise
    except WooBatchTooLarge as error:
        if chunk.size <= 1:
            return await _failed_chunk(session, path, chunk, error)
        first, second = chunk.halves()
        outcome = await _run_chunk(session, path, first)
        outcome.merge(await _run_chunk(session, path, second))
        return outcome
    except WooError as error:
        return await _failed_chunk(session, path, chunk, error)
    return _read_answer(chunk, body, path)


async def _failed_chunk(
    session: WooSession, path: str, chunk: BatchChunk, error: WooError
) -> BatchOutcome:
    outcome = BatchOutcome()
    if not error.ambiguous:
        # Refused as a whole before running: every item carries the request's error.
        for action, index, payload in _flatten(chunk):
            outcome.errors.append(_request_error(action, index, payload, error))
        return outcome
    if chunk.create:
        outcome.unknown += [
            BatchUnknown("create", index, payload, error, _sku_of(payload))
            for index, payload in chunk.create
        ]
        rest = chunk.without_creates()
        if rest.size:
            outcome.merge(await _run_chunk(session, path, rest))
        return outcome
    # Idempotent items whose retries ran out: the caller may send them again later.
    outcome.unknown += [
        BatchUnknown(action, index, payload, error, _sku_of(payload))
        for action, index, payload in _flatten(chunk)
    ]
    return outcome


def _read_answer(chunk: BatchChunk, body: object, path: str) -> BatchOutcome:
    outcome = BatchOutcome()
    answer = body if isinstance(body, dict) else {}
    sections: tuple[tuple[BatchAction, Sequence[tuple[int, Any]], list[BatchItemSuccess]], ...] = (
        ("create", chunk.create, outcome.created),
        ("update", chunk.update, outcome.updated),
        ("delete", chunk.delete, outcome.deleted),
    )
    for action, sent, successes in sections:
        raw = answer.get(action)
        returned = raw if isinstance(raw, list) else []
        for position, (index, payload) in enumerate(sent):
            entry = returned[position] if position < len(returned) else None
            if not isinstance(entry, dict):
                missing = WooInvalidResponse(
                    f"batch answer has no {action} result at position {position}",
                    status=200,
                    code="batch_result_missing",
                    method="POST",
                    endpoint=path,
                )
                outcome.unknown.append(
                    BatchUnknown(action, index, payload, missing, _sku_of(payload))
                )
            elif isinstance(entry.get("error"), dict):
                outcome.errors.append(_item_error(action, index, payload, entry))
            else:
                successes.append(BatchItemSuccess(action, index, entry))
    return outcome


def _item_error(
    action: BatchAction, index: int, payload: Any, entry: dict[str, Any]
) -> BatchItemError:
    error = entry["error"]
    raw_data = error.get("data")
    data: dict[str, Any] = dict(raw_data) if isinstance(raw_data, dict) else {}
    if isinstance(raw_data, int):
        data["status"] = raw_data
    status = data.get("status")
    entry_id = entry.get("id")
    return BatchItemError(
        action=action,
        index=index,
        code=str(error.get("code") or "unknown_error"),
        message=str(error.get("message") or ""),
        status=status if isinstance(status, int) else None,
        data=data,
        item_id=_id_of(payload) or (entry_id if isinstance(entry_id, int) and entry_id else None),
        sku=_sku_of(payload),
    )


def _request_error(
    action: BatchAction, index: int, payload: Any, error: WooError
) -> BatchItemError:
    return BatchItemError(
        action=action,
        index=index,
        code=error.code or f"http_{error.status or 0}",
        message=error.message,
        status=error.status,
        data=dict(error.data),
        item_id=_id_of(payload),
        sku=_sku_of(payload),
    )


def _sku_of(payload: object) -> str | None:
    if isinstance(payload, Mapping):
        sku = payload.get("sku")
        return sku if isinstance(sku, str) else None
    return None


def _id_of(payload: object) -> int | None:
    if isinstance(payload, int) and not isinstance(payload, bool):
        return payload
    if isinstance(payload, Mapping):
        value = payload.get("id")
        return value if isinstance(value, int) else None
    return None
