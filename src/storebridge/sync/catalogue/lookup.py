"""Read-side adapters of the products engine: existing products by SKU, and categories.

**Adoption look-up.**  Before creating anything, the engine asks WooCommerce
which unlinked SKUs it already holds, so that an existing product is adopted
instead of duplicated (and a create whose bookkeeping was lost in a crash is
found again).  Two ways, chosen by cost in requests:

* ``GET /products?sku=a,b,c`` in chunks of 50 (it also finds variations):
  ``ceil(unlinked / 50)`` requests;
* one paged listing of every product with ``_fields`` (100 per page) plus one
  variations listing per variable product: ``ceil(products / 100) + variable``
  requests, found by two one-item probes reading ``X-WP-Total``.

With at most 50 unlinked SKUs one look-up request is always cheapest; beyond
that the probes decide, and an empty store costs the single probe.

**Categories.**  WooCommerce ignores a category given by name (golden 001),
so names are resolved to ids through ``/products/categories``, creating the
missing ones when the store's ``create_categories`` is on.
"""

from __future__ import annotations

import asyncio
import html
import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from storebridge.domain.links import WooView
from storebridge.domain.model import sku_key
from storebridge.sync.catalogue.mapping import VIEW_FIELDS, view_from_item, view_from_model
from storebridge.woocommerce import WooBadRequest, WooClient

__all__ = ["SKU_CHUNK", "find_existing", "resolve_categories"]

#: SKUs per ``?sku=`` look-up request (the client's own chunk size).
SKU_CHUNK = 50
_PAGE = 100


async def _total(woo: WooClient, params: Mapping[str, Any]) -> int:
    """``X-WP-Total`` of a product listing, read with a one-item page."""
    response = await woo.request(
        "GET", "/products", params={**params, "per_page": 1, "_fields": "id"}
    )
    raw = response.headers.get("X-WP-Total")
    if raw is not None and raw.strip().isdigit():
        return int(raw)
    # No header (a proxy stripped it): assume the worst so the cheap path is chosen.
    return 1_000_000_000


async def find_existing(woo: WooClient, skus: Iterable[str]) -> dict[str, WooView]:
    """WooCommerce products and variations holding these SKUs, by SKU key.

    Args:
        woo: the store's client.
        skus: the unlinked SKUs (and style codes), as the POS spells them.
    """
    wanted: dict[str, str] = {}
    for sku in skus:
        wanted.setdefault(sku_key(sku), sku.strip())
    wanted.pop("", None)
    if not wanted:
        return {}
    lookups = math.ceil(len(wanted) / SKU_CHUNK)
    if lookups > 1:
        products = await _total(woo, {})
        if products == 0:
            return {}
        listing = math.ceil(products / _PAGE)
        if listing < lookups:
            variable = await _total(woo, {"type": "variable"})
            if listing + variable < lookups:
                return await _by_listing(woo, wanted.keys())
    found = await woo.find_products_by_skus(wanted.values())
    return {key: view_from_model(product) for key, product in found.items() if key in wanted}


async def _by_listing(woo: WooClient, wanted: Collection[str]) -> dict[str, WooView]:
    keys = set(wanted)
    found: dict[str, WooView] = {}
    parents: list[tuple[int, str]] = []
    async for page in woo.iter_pages("/products", fields=VIEW_FIELDS):
        for item in page:
            view = view_from_item(item)
            key = sku_key(view.sku)
            if key in keys:
                found.setdefault(key, view)
            if view.type == "variable":
                parents.append((view.id, key))

    async def variations(parent_id: int, parent_key: str) -> list[WooView]:
        views: list[WooView] = []
        path = f"/products/{parent_id}/variations"
        async for item in woo.iter_items(path, fields=VIEW_FIELDS):
            view = view_from_item({**item, "type": "variation", "parent_id": parent_id})
            # A variation without its own SKU shows its parent's: that is not a holder.
            if view.sku and sku_key(view.sku) != parent_key:
                views.append(view)
        return views

    for views in await asyncio.gather(*(variations(pid, key) for pid, key in parents)):
        for view in views:
            key = sku_key(view.sku)
            if key in keys:
                found.setdefault(key, view)
    return found


async def resolve_categories(
    woo: WooClient, names: Iterable[str], *, create: bool
) -> dict[str, int]:
    """Category ids by case-folded name for `names`; missing ones created when `create`.

    Names WooCommerce does not have (and may not create) are left out: the
    draft is created without them and the merchant files it.
    """
    wanted: dict[str, str] = {}
    for name in names:
        if name.strip():
            wanted.setdefault(name.strip().casefold(), name.strip())
    if not wanted:
        return {}
    ids: dict[str, int] = {}
    async for item in woo.iter_items("/products/categories", fields=("id", "name")):
        # WooCommerce returns term names HTML-escaped ("Bed &amp; Bath").
        key = html.unescape(str(item.get("name") or "")).strip().casefold()
        if key in wanted and isinstance(item.get("id"), int):
            ids.setdefault(key, item["id"])
    missing = [name for key, name in wanted.items() if key not in ids]
    if create and missing:
        created = await asyncio.gather(*(_create_category(woo, name) for name in missing))
        for name, category_id in zip(missing, created, strict=True):
            if category_id is not None:
                ids[name.casefold()] = category_id
    return ids


async def _create_category(woo: WooClient, name: str) -> int | None:
    try:
        body = await woo.request_json("POST", "/products/categories", json={"name": name})
    except WooBadRequest as error:
        # Created meanwhile (or differing only in case): WooCommerce names the holder.
        holder = error.data.get("resource_id")
        if error.code == "term_exists" and isinstance(holder, int):
            return holder
        return None  # refused (a name WordPress cannot store): the draft goes without it
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, int) else None
