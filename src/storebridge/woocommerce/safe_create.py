"""Creating products without ever creating one twice (woocommerce-rest-api.md §3.5, §5, §6.3).

WooCommerce has no idempotency key, so a create whose request timed out
after it was sent may or may not exist.  The SKU is the way to tell:

1. batch-create every payload;
2. items refused with `product_invalid_sku` (or the "lookup table" variant for a
   trashed holder) become ``already_exists`` with the holder's `resource_id`,
   so the caller adopts or reports the existing product instead of renaming;
3. items whose chunk failed ambiguously are looked up by SKU
   (`GET /products?sku=a,b,c`, which also finds variations): found ones are
   ``adopted``, missing ones are created again, once;
4. whatever is still undecided after a second lookup stays ``unknown``, and so
   does an ambiguous create without a SKU, which cannot be looked up.

A server still busy with the timed-out request may make the lookup miss and
the re-create then fail with `product_invalid_sku`: that too ends as
``already_exists`` with the right id, never as a duplicate.

SKUs are compared the way WooCommerce does: trimmed and case-insensitive
(`sku_key`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storebridge.woocommerce.batch import (
    DEFAULT_BATCH_LIMIT,
    BatchItemError,
    BatchOutcome,
    run_batch,
)
from storebridge.woocommerce.errors import WooError, is_duplicate_sku
from storebridge.woocommerce.pagination import iter_items
from storebridge.woocommerce.payloads import Product
from storebridge.woocommerce.session import WooSession

__all__ = [
    "CreateResult",
    "CreateStatus",
    "chunk_skus",
    "create_products_safely",
    "find_products_by_skus",
    "sku_key",
]

#: SKUs per lookup request; ~50 keeps the URL far below common 2-8 KB limits.
SKU_LOOKUP_CHUNK = 50
#: Upper bound of the joined `sku=` value, for stores with long SKUs.
SKU_LOOKUP_MAX_CHARS = 1500


class CreateStatus(StrEnum):
    """What became of one create payload."""

    CREATED = "created"  # created by this call
    ADOPTED = "adopted"  # a timed-out create turned out to exist: found by SKU
    ALREADY_EXISTS = "already_exists"  # the SKU belongs to another product (resource_id)
    FAILED = "failed"  # WooCommerce refused the payload (see error)
    UNKNOWN = "unknown"  # still undecided; look again later, do not blindly re-create


@dataclass(frozen=True, slots=True)
class CreateResult:
    """The fate of `payloads[index]`."""

    index: int
    sku: str | None
    status: CreateStatus
    product: Product | None = None
    resource_id: int | None = None
    error: BatchItemError | WooError | None = None


def sku_key(sku: object) -> str:
    """The form WooCommerce compares SKUs in: trimmed, lower-cased ("" when blank)."""
    return sku.strip().lower() if isinstance(sku, str) else ""


def chunk_skus(
    skus: Iterable[str], *, size: int = SKU_LOOKUP_CHUNK, max_chars: int = SKU_LOOKUP_MAX_CHARS
) -> list[list[str]]:
    """Group SKUs into `sku=` lists bounded by count and length.

    A SKU containing a comma gets a request of its own: the server splits the
    list on commas (it also tries the whole value, which only helps when alone).
    """
    seen: set[str] = set()
    groups: list[list[str]] = []
    current: list[str] = []
    length = 0
    for raw in skus:
        sku = raw.strip()
        key = sku.lower()
        if not sku or key in seen:
            continue
        seen.add(key)
        if "," in sku:
            groups.append([sku])
            continue
        if current and (len(current) >= size or length + len(sku) + 1 > max_chars):
            groups.append(current)
            current, length = [], 0
        current.append(sku)
        length += len(sku) + 1
    if current:
        groups.append(current)
    return groups


async def find_products_by_skus(
    session: WooSession, skus: Iterable[str], *, chunk_size: int = SKU_LOOKUP_CHUNK
) -> dict[str, Product]:
    """Products *and variations* holding these SKUs, keyed by `sku_key`.

    Trashed products are not listed by `?sku=` (yet still own their SKU).
    """
    given = [s for s in skus if isinstance(s, str)]
    wanted = {sku_key(s) for s in given} - {""}
    # Sent as given (trimmed): WooCommerce's match follows the database collation,
    # usually case-insensitive, but the caller's spelling is the safest bet.
    groups = chunk_skus(given, size=chunk_size)

    async def lookup(group: list[str]) -> list[Product]:
        params = {"sku": ",".join(group)}
        return [
            Product.model_validate(item) async for item in iter_items(session, "/products", params)
        ]

    found: dict[str, Product] = {}
    for products in await asyncio.gather(*(lookup(group) for group in groups)):
        for product in products:
            key = sku_key(product.sku)
            if key in wanted:
                found.setdefault(key, product)
    return found


async def create_products_safely(
    session: WooSession,
    payloads: Sequence[Mapping[str, Any]],
    *,
    limit: int = DEFAULT_BATCH_LIMIT,
) -> list[CreateResult]:
    """Create products through `/products/batch` with no duplicate; one result per payload."""
    results: dict[int, CreateResult] = {}
    outcome = await run_batch(session, "/products/batch", create=payloads, limit=limit)
    pending = _record(outcome, list(range(len(payloads))), payloads, results)
    for round_number in (1, 2):
        if not pending:
            break
        pending = await _adopt_existing(session, pending, payloads, results)
        if not pending:
            break
        if round_number == 2:
            for index, error in pending:
                results[index] = CreateResult(
                    index, _sku(payloads[index]), CreateStatus.UNKNOWN, error=error
                )
            break
        indices = [index for index, _ in pending]
        retry = await run_batch(
            session, "/products/batch", create=[payloads[i] for i in indices], limit=limit
        )
        pending = _record(retry, indices, payloads, results)
    return [results[index] for index in range(len(payloads))]


def _sku(payload: Mapping[str, Any]) -> str | None:
    sku = payload.get("sku")
    return sku if isinstance(sku, str) else None


def _record(
    outcome: BatchOutcome,
    indices: list[int],
    payloads: Sequence[Mapping[str, Any]],
    results: dict[int, CreateResult],
) -> list[tuple[int, WooError]]:
    """File successes and refusals; return (payload index, error) of undecided creates."""
    for success in outcome.created:
        index = indices[success.index]
        product = Product.model_validate(success.item)
        results[index] = CreateResult(
            index, _sku(payloads[index]), CreateStatus.CREATED, product, product.id
        )
    for failure in outcome.errors:
        index = indices[failure.index]
        if is_duplicate_sku(failure.code, failure.message):
            status = CreateStatus.ALREADY_EXISTS
        else:
            status = CreateStatus.FAILED
        results[index] = CreateResult(
            index, failure.sku, status, resource_id=failure.resource_id, error=failure
        )
    return [(indices[unknown.index], unknown.error) for unknown in outcome.unknown]


async def _adopt_existing(
    session: WooSession,
    pending: list[tuple[int, WooError]],
    payloads: Sequence[Mapping[str, Any]],
    results: dict[int, CreateResult],
) -> list[tuple[int, WooError]]:
    """Look undecided creates up by SKU; return those still missing."""
    keys = {index: sku_key(payloads[index].get("sku")) for index, _ in pending}
    skus = [sku for index, _ in pending if keys[index] and (sku := _sku(payloads[index]))]
    found = await find_products_by_skus(session, skus)
    missing: list[tuple[int, WooError]] = []
    for index, error in pending:
        key = keys[index]
        sku = _sku(payloads[index])
        if not key:
            # Without a SKU there is nothing to look up, and re-creating could duplicate.
            results[index] = CreateResult(index, sku, CreateStatus.UNKNOWN, error=error)
        elif key in found:
            product = found[key]
            results[index] = CreateResult(index, sku, CreateStatus.ADOPTED, product, product.id)
        else:
            missing.append((index, error))
    return missing
