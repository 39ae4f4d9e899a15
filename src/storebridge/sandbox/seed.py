"""Bulk seeding of simple products, fast enough for 100,000 of them.

Documents are built from one template and written with a single
`executemany`, inside one transaction; SKUs are `<prefix><n>` zero-padded,
so a seeded catalogue can be queried by SKU right away.
"""

from __future__ import annotations

import copy
import sqlite3
from dataclasses import dataclass

from storebridge.sandbox.db import UNCATEGORIZED_ID
from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import format_decimal_input, sanitize_title
from storebridge.sandbox.product_write import new_product_doc, normalise
from storebridge.sandbox.products import ProductStore


@dataclass(frozen=True)
class SeedResult:
    """What a seeding call created."""

    created: int
    first_id: int
    last_id: int
    first_sku: str
    last_sku: str


def seed_products(
    products: ProductStore,
    count: int,
    *,
    sku_prefix: str = "SEED-",
    start: int = 1,
    price: str = "9.99",
    stock: int | None = 10,
    status: str = "publish",
) -> SeedResult:
    """Create `count` simple products; fails whole if a SKU is already taken."""
    if count < 1:
        raise WooError("sandbox_invalid_seed", "count must be at least 1.", 400)
    db = products.db
    template = new_product_doc(products.clock())
    template.update(
        regular_price=format_decimal_input(price),
        manage_stock=stock is not None,
        stock_quantity=stock,
        status=status,
        category_ids=[UNCATEGORIZED_ID],
    )
    normalise(template)
    width = max(6, len(str(start + count - 1)))
    first_id = db.next_ids("post", count)
    rows = []
    for offset in range(count):
        doc = copy.copy(template)
        sku = f"{sku_prefix}{start + offset:0{width}d}"
        doc["id"] = first_id + offset
        doc["sku"] = sku
        doc["name"] = f"Seeded product {sku}"
        doc["slug"] = sanitize_title(doc["name"]) if status == "publish" else ""
        rows.append(products.row(doc))
    try:
        db.executemany(
            "INSERT INTO products(id, kind, parent_id, type, status, sku, sku_key, name, slug, "
            "menu_order, price_num, total_sales, date_created_gmt, date_modified_gmt, doc) "
            f"VALUES ({','.join('?' * 15)})",
            rows,
        )
    except sqlite3.IntegrityError as error:
        raise WooError(
            "sandbox_seed_conflict", "A seeded SKU is already taken; use another prefix.", 400
        ) from error
    last_sku = f"{sku_prefix}{start + count - 1:0{width}d}"
    first_sku = f"{sku_prefix}{start:0{width}d}"
    return SeedResult(count, first_id, first_id + count - 1, first_sku, last_sku)


__all__ = ["SeedResult", "seed_products"]
