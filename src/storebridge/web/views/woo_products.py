"""What the product list shows from WooCommerce: each product's name and status, and its wp-admin link.

Names and statuses are merchant-owned (design.md §2) and live in WooCommerce,
so the list reads them for the page it shows: one request per 100 products
(``include=``, every status but trash), never one per row.  A variation is
shown with its parent product's name and status, and links to the parent's
edit page, where WooCommerce edits variations.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from storebridge.persistence.tables import ProductLink
from storebridge.woocommerce import WooClient

__all__ = ["WooProduct", "admin_url", "product_ids", "read_products"]

#: WooCommerce's largest page.
_CHUNK = 100


@dataclass(frozen=True, slots=True)
class WooProduct:
    """A product as WooCommerce shows it to the merchant."""

    name: str
    status: str  # draft | pending | private | publish | future


def product_ids(links: Iterable[ProductLink]) -> set[int]:
    """The WooCommerce products to read for these links (a variation's parent, not itself)."""
    found: set[int] = set()
    for link in links:
        shown = link.woo_parent_id or link.woo_id
        if shown is not None:
            found.add(shown)
    return found


async def read_products(woo: WooClient, ids: Collection[int]) -> dict[int, WooProduct]:
    """Name and status of the products `ids` (missing from the answer: trashed or deleted)."""
    ordered = sorted(set(ids))
    found: dict[int, WooProduct] = {}
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        page = await woo.request_json(
            "GET",
            "/products",
            params={
                "include": ",".join(str(i) for i in chunk),
                "per_page": len(chunk),
                "status": "any",
                "_fields": "id,name,status",
            },
        )
        for item in page if isinstance(page, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                found[item["id"]] = WooProduct(
                    str(item.get("name", "")), str(item.get("status", ""))
                )
    return found


def admin_url(store_url: str, link: ProductLink) -> str | None:
    """The product's edit page in wp-admin (a variation's parent), or None without an id."""
    shown = link.woo_parent_id or link.woo_id
    if shown is None:
        return None
    return f"{store_url.rstrip('/')}/wp-admin/post.php?post={shown}&action=edit"
