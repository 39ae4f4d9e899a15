"""Walking a wc/v3 list endpoint page by page (woocommerce-rest-api.md §2.3).

Pages are requested with `per_page=100` (the server's maximum) and
`page=1, 2, ...` until `page >= X-WP-TotalPages`.  A page that comes back
empty also ends the walk (a page past the end is `[]` with status 200), and
when a proxy strips the header a short page does.  `_fields` is passed
through so large reads stay light; WooCommerce always keeps `id`.

Every walk asks for a total order: `orderby=id&order=asc` unless the caller
names its own.  WooCommerce's default (`date`, newest first) breaks no tie
for products: items created in the same second (any batch import) come back
in a different order on each page request, so an offset walk repeats some and
skips others (300 batch-created products listed that way gave 298-300
distinct ids on a real 10.0.2 store).  Ordering by id also keeps a walk
whole while items are edited under it: an edit changes no id, and a new item
comes at the end.  Incremental readers use keyset paging instead (see
`domain.cursor`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from storebridge.woocommerce.errors import WooInvalidResponse
from storebridge.woocommerce.params import Params, ParamValue
from storebridge.woocommerce.session import WooSession, decode_json

__all__ = ["MAX_PER_PAGE", "TOTAL_ORDER", "iter_items", "iter_pages", "total_pages"]

MAX_PER_PAGE = 100

#: The order of every walk unless the caller names one: ids are unique, so no ties.
TOTAL_ORDER: Params = {"orderby": "id", "order": "asc"}


def total_pages(response: httpx.Response) -> int | None:
    """`X-WP-TotalPages` as an int, or None when absent or unreadable."""
    raw = response.headers.get("X-WP-TotalPages")
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


async def iter_pages(
    session: WooSession,
    path: str,
    params: Params | None = None,
    *,
    fields: Sequence[str] | None = None,
    per_page: int = MAX_PER_PAGE,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield each non-empty page of a list endpoint, in order.

    Args:
        session: the HTTP session.
        path: a list route, e.g. ``/products``.
        params: filters; `page` and `per_page` are managed here. Without an `orderby`
            the walk is in `TOTAL_ORDER`; a caller that names one must name a total order.
        fields: optional `_fields` list to trim each object.
        per_page: page size, 1 to 100.
    """
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    query: dict[str, ParamValue] = {**TOTAL_ORDER, **dict(params or {})}
    query["per_page"] = per_page
    if fields:
        query["_fields"] = list(fields)
    page = 1
    while True:
        query["page"] = page
        response = await session.request("GET", path, params=query, idempotent=True)
        body = decode_json(response, "GET", path)
        if not isinstance(body, list):
            raise WooInvalidResponse(
                f"expected a JSON list from a collection, got {type(body).__name__}",
                status=response.status_code,
                code="invalid_collection",
                method="GET",
                endpoint=path,
            )
        if not body:
            return
        yield [item for item in body if isinstance(item, dict)]
        pages = total_pages(response)
        if pages is not None and page >= pages:
            return
        if pages is None and len(body) < per_page:
            return
        page += 1


async def iter_items(
    session: WooSession,
    path: str,
    params: Params | None = None,
    *,
    fields: Sequence[str] | None = None,
    per_page: int = MAX_PER_PAGE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield every object of a list endpoint, across pages."""
    async for page in iter_pages(session, path, params, fields=fields, per_page=per_page):
        for item in page:
            yield item
