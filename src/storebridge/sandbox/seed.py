"""Bulk seeding of simple products, fast enough for 100,000 of them.

Documents are built from one template and written with a single
`executemany`, inside one transaction; SKUs are `<prefix><n>` zero-padded,
so a seeded catalogue can be queried by SKU right away.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from storebridge.sandbox.db import UNCATEGORIZED_ID, dumps
from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import format_decimal_input, sanitize_title
from storebridge.sandbox.product_write import new_product_doc, normalise
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.skus import sku_key


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
    # One JSON template with markers, filled per row: json.dumps per product is the slow part.
    template.update(id=-7, name="\x00name", slug="\x00slug", sku="\x00sku")
    fmt = (
        dumps(template)
        .replace("{", "{{")
        .replace("}", "}}")
        .replace('"\\u0000name"', "{name}")
        .replace('"\\u0000slug"', "{slug}")
        .replace('"\\u0000sku"', "{sku}")
        .replace('"id":-7', '"id":{id}')
    )
    columns = products.row({**template, "sku": "", "name": "", "slug": ""})
    # sanitize_title(prefix + digits) == stem + digits, whatever the prefix ends with.
    slug_stem = sanitize_title(f"Seeded product {sku_prefix}0")[:-1]
    rows = []
    for offset in range(count):
        number = f"{start + offset:0{width}d}"
        sku = f"{sku_prefix}{number}"
        name = f"Seeded product {sku}"
        slug = f"{slug_stem}{number}" if status == "publish" else ""
        doc_json = fmt.format(
            id=first_id + offset, name=json.dumps(name), slug=json.dumps(slug), sku=json.dumps(sku)
        )
        rows.append(
            (
                first_id + offset,
                *columns[1:5],
                sku,
                sku_key(sku),
                name,
                slug,
                *columns[9:14],
                doc_json,
            )
        )
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
