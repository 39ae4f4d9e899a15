"""GET /products and GET /products/<id>/variations: filters, order and paging.

`?sku=` is exact and case-insensitive, accepts a comma list (and the whole
string, for SKUs that contain commas), skips trashed posts and also matches
variations; without it, the products list never shows variations. Every
filter maps onto an indexed column, so a page of a large catalogue is cheap.
"""

from __future__ import annotations

from typing import Any

from storebridge.sandbox.db import Database, loads
from storebridge.sandbox.listing import ListQuery, Page, Where
from storebridge.sandbox.product_write import PRODUCT_TYPES, STOCK_STATUSES
from storebridge.sandbox.schema import DATE_FILTERS, PAGING, Arg
from storebridge.sandbox.ties import TieOrder

Doc = dict[str, Any]

PRODUCT_ORDERBY = (
    "date",
    "id",
    "include",
    "title",
    "slug",
    "modified",
    "price",
    "popularity",
    "rating",
    "menu_order",
)

_STATUSES = ("any", "future", "trash", "draft", "pending", "private", "publish")

PRODUCT_LIST_ARGS: dict[str, Arg] = {
    **PAGING,
    **DATE_FILTERS,
    "orderby": Arg("string", enum=PRODUCT_ORDERBY),
    "sku": Arg("string"),
    "slug": Arg("string"),
    "status": Arg("string", enum=_STATUSES),
    # v3: several statuses at once; it replaces `status` when both are sent (real store).
    "include_status": Arg("array", items=Arg("string", enum=_STATUSES)),
    "type": Arg("string", enum=PRODUCT_TYPES),
    "parent": Arg("array", items=Arg("integer")),
    "stock_status": Arg("string", enum=STOCK_STATUSES),
    "category": Arg("string"),
}

VARIATION_LIST_ARGS: dict[str, Arg] = {
    **PAGING,
    **DATE_FILTERS,
    "orderby": Arg("string", enum=PRODUCT_ORDERBY),
    "sku": Arg("string"),
    "status": Arg("string", enum=("any", "trash", "draft", "pending", "private", "publish")),
    "stock_status": Arg("string", enum=STOCK_STATUSES),
}

_ORDER_COLUMNS = {
    "date": "date_created_gmt",
    "id": "id",
    "title": "name",
    "slug": "slug",
    "modified": "date_modified_gmt",
    "price": "price_num",
    "popularity": "total_sales",
    "rating": "id",
    "menu_order": "menu_order",
}


def sku_keys(raw: str) -> list[str]:
    """Keys to look up for a `sku` filter: each comma part and the whole string."""
    keys = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if raw.strip():
        keys.add(raw.strip().lower())
    return sorted(keys)


def list_products(
    db: Database, args: dict[str, Any], *, ties: TieOrder, parent_id: int | None = None
) -> Page[Doc]:
    """Run a validated products (or, with `parent_id`, variations) list query.

    Products break no tie (see `ties`); variations break `date` ties by id, because
    their controller keeps the CRUD `date ID` order that the products one loses.
    """
    query = ListQuery.from_args(args)
    where = Where()
    if parent_id is not None:
        where.add("kind = 'variation'")
        where.add("parent_id = ?", parent_id)
    elif args.get("sku"):
        # A SKU search also covers variations (golden 049).
        where.add("kind IN ('product', 'variation')")
    else:
        where.add("kind = 'product'")
    if args.get("sku"):
        where.add_in("sku_key", sku_keys(str(args["sku"])))
    statuses = list(args.get("include_status") or [args.get("status") or "any"])
    named = [status for status in statuses if status != "any"]
    if "any" in statuses:
        # "any" is every status but trash and auto-draft; others named next to it add to it.
        marks = ",".join("?" for _ in named) or "NULL"
        where.add(f"(status NOT IN ('trash', 'auto-draft') OR status IN ({marks}))", *named)
    else:
        where.add_in("status", named)
    if args.get("type"):
        where.add("type = ?", args["type"])
    if args.get("parent"):
        where.add_in("parent_id", [int(value) for value in args["parent"]])
    if args.get("slug"):
        where.add("slug = ?", args["slug"])
    if args.get("stock_status"):
        where.add("json_extract(doc, '$.stock_status') = ?", args["stock_status"])
    if args.get("category"):
        ids = [int(part) for part in str(args["category"]).split(",") if part.strip().isdigit()]
        marks = ",".join("?" for _ in ids) or "NULL"
        where.add(
            f"EXISTS (SELECT 1 FROM json_each(doc, '$.category_ids') WHERE value IN ({marks}))",
            *ids,
        )
    if query.search:
        where.add(
            "(name LIKE ? OR json_extract(doc, '$.description') LIKE ?)",
            *([f"%{query.search}%"] * 2),
        )
    query.add_common(
        where, created="date_created_gmt", modified="date_modified_gmt", id_column="id"
    )
    id_breaks = ("date",) if parent_id is not None else ()
    order = query.order_sql(_ORDER_COLUMNS, id_column="id", ties=ties, id_breaks=id_breaks)
    limit, offset = query.limit_offset()
    total_row = db.one(
        f"SELECT COUNT(*) AS n FROM products WHERE {where.sql()}", tuple(where.params)
    )
    rows = db.all(
        f"SELECT doc FROM products WHERE {where.sql()} ORDER BY {order} LIMIT ? OFFSET ?",
        (*where.params, limit, offset),
    )
    total = int(total_row["n"]) if total_row is not None else 0
    return Page([loads(row["doc"]) for row in rows], total, query.page, query.per_page)
