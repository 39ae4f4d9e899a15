"""SKU rules: cleaned, unique case-insensitively across products and variations.

A blank SKU is never checked. A SKU held by a live product or variation
gives `product_invalid_sku` with the owner's id and a suggested free SKU; a
SKU still held by a trashed product gives the lookup-table error of golden
040 on create. The `sku_key` column (lower-cased, trimmed, NULL when blank)
carries a UNIQUE index, so the check and the lookups are index seeks.
"""

from __future__ import annotations

from typing import Any

from storebridge.sandbox.db import Database
from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import wc_clean


def sku_key(sku: str) -> str | None:
    """The indexed form of a SKU; None for a blank one."""
    key = sku.strip().lower()
    return key or None


def checked_sku(db: Database, raw: Any, *, own_id: int, creating: bool, post_type: str) -> str:
    """Clean a SKU and make sure nobody else holds it; returns the SKU to store."""
    sku = wc_clean(str(raw or ""))
    key = sku_key(sku)
    if key is None:
        return ""
    owner = db.one("SELECT id, status FROM products WHERE sku_key = ? AND id != ?", (key, own_id))
    if owner is None:
        return sku
    if owner["status"] == "trash" and creating:
        raise WooError(
            f"woocommerce_rest_{post_type}_not_created",
            f"The product with SKU ({sku}) you are trying to insert is already present in the "
            "lookup table",
            400,
        )
    raise WooError(
        "product_invalid_sku",
        "Invalid or duplicated SKU.",
        400,
        extra={"resource_id": int(owner["id"]), "unique_sku": unique_sku(db, sku, own_id)},
    )


def unique_sku(db: Database, sku: str, own_id: int) -> str:
    """wc_product_generate_unique_sku(): the SKU with the first free `-N` suffix."""
    index = 1
    while True:
        candidate = f"{sku}-{index}"
        taken = db.one(
            "SELECT 1 FROM products WHERE sku_key = ? AND id != ?", (sku_key(candidate), own_id)
        )
        if taken is None:
            return candidate
        index += 1
