"""The messages StoreBridge shows for items that failed or need a human.

Each says what happened and what to do next; none carries a secret (WooCommerce
errors hold the request path only, never the query string).
"""

from __future__ import annotations

from storebridge.woocommerce import BatchItemError, BatchUnknown, CreateResult, CreateStatus

__all__ = [
    "broken_link",
    "create_failure",
    "deleted_product",
    "item_error",
    "trashed_product",
]


def item_error(error: BatchItemError | BatchUnknown) -> str:
    """A one-line account of a failed batch item, saying what to do next."""
    if isinstance(error, BatchUnknown):
        return f"WooCommerce did not answer ({error.error}); it is tried again on the next run"
    if error.code.endswith("_invalid_id") or error.status == 404:
        return f"WooCommerce has no object {error.item_id} any more ({error.code})"
    return f"WooCommerce refused the write: {error.code}: {error.message}"


def create_failure(result: CreateResult) -> str:
    """Why a create did not produce a product, and what happens next."""
    if result.status is CreateStatus.ALREADY_EXISTS:
        holder = f"product {result.resource_id}" if result.resource_id else "a trashed product"
        return (
            f"SKU {result.sku!r} already belongs to WooCommerce {holder}; the next run adopts "
            "it (a product in the trash keeps its SKU: restore it or delete it permanently)"
        )
    if result.status is CreateStatus.UNKNOWN:
        return (
            f"WooCommerce did not confirm the create ({result.error}); the next run looks the "
            "SKU up before creating it, so no duplicate is made"
        )
    error = result.error
    if isinstance(error, BatchItemError):
        return f"WooCommerce refused the draft: {error.code}: {error.message}"
    return f"WooCommerce refused the draft: {error}"


def deleted_product(woo_id: int) -> str:
    """The linked product no longer exists."""
    return (
        f"WooCommerce product {woo_id} was deleted; StoreBridge will not re-create it: "
        "restore it in WooCommerce, then `storebridge reconcile` relinks it"
    )


def trashed_product(woo_id: int) -> str:
    """The linked product is in the trash."""
    return (
        f"WooCommerce product {woo_id} is in the trash; StoreBridge stops writing to it: "
        "restore it from the trash, then `storebridge reconcile` relinks it"
    )


def broken_link(woo_id: int, sku: str, found: str) -> str:
    """The linked product now carries another SKU."""
    return (
        f"WooCommerce product {woo_id} now has SKU {found!r} instead of {sku!r} (edited by "
        "hand); StoreBridge stops writing to it: put the SKU back in WooCommerce, then "
        "`storebridge reconcile` relinks it"
    )
