"""Reading linked products back from WooCommerce, in as few requests as possible.

Reconcile needs, for every linked id, what WooCommerce holds now (or that it
is gone).  Products are read by id with ``GET /products?include=<100 ids>``
and ``_fields`` (one request per 100).  Variations are read either per parent
(``/products/<parent>/variations?include=...``) or, when there are many
parents with few linked variations each, by SKU (``/products?sku=<50 SKUs>``,
which also finds variations): whichever takes fewer requests.

An id that a listing did not return is read on its own with
``context=edit`` (so a variation without its own SKU does not show its
parent's): a 404 means deleted; the trash is reported by its status.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

from storebridge.domain.links import LinkView, WooView
from storebridge.domain.model import sku_key
from storebridge.sync.catalogue.lookup import SKU_CHUNK
from storebridge.sync.catalogue.mapping import VIEW_FIELDS, view_from_item, view_from_model
from storebridge.woocommerce import WooClient, WooNotFound

__all__ = ["read_linked"]

_PAGE = 100


async def read_linked(woo: WooClient, links: Sequence[LinkView]) -> dict[str, WooView | None]:
    """What WooCommerce holds for each link's id, by SKU key (None: gone for good)."""
    products = [link for link in links if link.woo_id is not None and link.woo_parent_id is None]
    variations = [link for link in links if link.woo_id is not None and link.woo_parent_id]
    by_id: dict[int, WooView] = {}
    await _products_by_id(woo, products, by_id)
    await _variations(woo, variations, by_id)
    found: dict[str, WooView | None] = {}
    missing: list[LinkView] = []
    for link in [*products, *variations]:
        view = by_id.get(link.live_id)
        if view is None:
            missing.append(link)
        else:
            found[link.sku_key] = view
    singles = await asyncio.gather(*(_one(woo, link) for link in missing))
    for link, view in zip(missing, singles, strict=True):
        found[link.sku_key] = view
    return found


async def _products_by_id(
    woo: WooClient, links: Sequence[LinkView], by_id: dict[int, WooView]
) -> None:
    ids = [link.live_id for link in links]
    chunks = [ids[start : start + _PAGE] for start in range(0, len(ids), _PAGE)]

    async def read(chunk: list[int]) -> None:
        params = {"include": chunk}
        async for page in woo.iter_pages("/products", params, fields=VIEW_FIELDS):
            for item in page:
                view = view_from_item(item)
                by_id[view.id] = view

    await asyncio.gather(*(read(chunk) for chunk in chunks))


async def _variations(woo: WooClient, links: Sequence[LinkView], by_id: dict[int, WooView]) -> None:
    if not links:
        return
    parents: dict[int, list[int]] = {}
    for link in links:
        assert link.woo_parent_id is not None
        parents.setdefault(link.woo_parent_id, []).append(link.live_id)
    per_parent = sum(math.ceil(len(ids) / _PAGE) for ids in parents.values())
    if math.ceil(len(links) / SKU_CHUNK) < per_parent:
        found = await woo.find_products_by_skus(link.sku for link in links)
        for link in links:
            product = found.get(sku_key(link.sku))
            if product is not None and product.id == link.woo_id:
                by_id[product.id] = view_from_model(product)
        return

    async def read(parent_id: int, ids: list[int]) -> None:
        path = f"/products/{parent_id}/variations"
        for start in range(0, len(ids), _PAGE):
            params = {"include": ids[start : start + _PAGE]}
            async for item in woo.iter_items(path, params, fields=VIEW_FIELDS):
                view = view_from_item({**item, "type": "variation", "parent_id": parent_id})
                by_id[view.id] = view

    await asyncio.gather(*(read(pid, ids) for pid, ids in parents.items()))


async def _one(woo: WooClient, link: LinkView) -> WooView | None:
    try:
        body = await woo.request_json(
            "GET",
            f"/products/{link.live_id}",
            params={"context": "edit", "_fields": ",".join(VIEW_FIELDS)},
        )
    except WooNotFound:
        return None
    return view_from_item(body) if isinstance(body, dict) else None
