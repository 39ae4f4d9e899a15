"""URLs and `_links` of the emulated API.

Every link is built from the home URL the caller used (scheme + host), the
way WordPress builds them from `home_url()`.
"""

from __future__ import annotations

from typing import Any

API_PREFIX = "/wp-json/wc/v3"
#: WooCommerce Admin's namespace, authenticated with the same REST keys.
ADMIN_PREFIX = "/wp-json/wc-admin"
ITEM_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def api_url(base_url: str, path: str) -> str:
    """Absolute URL of an API path such as `/products/12`."""
    return f"{base_url}{API_PREFIX}{path}"


def links(
    base_url: str,
    item_path: str,
    collection_path: str,
    *,
    allow: tuple[str, ...] | None = ITEM_METHODS,
    up: str | None = None,
    extra: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The `_links` object of one item."""
    self_link: dict[str, Any] = {"href": api_url(base_url, item_path)}
    if allow:
        self_link["targetHints"] = {"allow": list(allow)}
    result: dict[str, list[dict[str, Any]]] = {
        "self": [self_link],
        "collection": [{"href": api_url(base_url, collection_path)}],
    }
    if extra:
        result.update(extra)
    if up is not None:
        result["up"] = [{"href": api_url(base_url, up)}]
    return result
