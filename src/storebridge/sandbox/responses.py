"""HTTP answers shaped like WordPress': JSON bodies, list headers, `_fields`.

Lists carry `X-WP-Total` and `X-WP-TotalPages`; their `Link` header has only
`rel="prev"`/`rel="next"`, built from the caller's own query string with
`page` replaced (PHP-urlencoded, so commas become %2C). With neither, the
header is the `https://api.w.org/` discovery link. `_fields` keeps the named
top-level keys; single items get their `_links` back afterwards, list items
do not (golden 011 vs 043).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from starlette.responses import Response

from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import php_json
from storebridge.sandbox.listing import Page


class WooJSONResponse(Response):
    """A JSON response encoded the way PHP's json_encode does."""

    media_type = "application/json; charset=UTF-8"

    def render(self, content: Any) -> bytes:
        """Encode the body."""
        return php_json(content).encode()


def discovery_link(base_url: str) -> str:
    """The Link header every WordPress REST answer carries."""
    return f'<{base_url}/wp-json/>; rel="https://api.w.org/"'


def error_response(error: WooError, base_url: str) -> WooJSONResponse:
    """A WooError as an HTTP answer."""
    return WooJSONResponse(
        error.body(), status_code=error.status, headers={"Link": discovery_link(base_url)}
    )


def json_response(
    body: Any, base_url: str, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> WooJSONResponse:
    """A successful JSON answer."""
    all_headers = {"Link": discovery_link(base_url), **(headers or {})}
    return WooJSONResponse(body, status_code=status, headers=all_headers)


def list_headers(page: Page[Any], *, base_url: str, path: str, raw_query: str) -> dict[str, str]:
    """X-WP-Total, X-WP-TotalPages and the prev/next Link header."""
    headers = {"X-WP-Total": str(page.total), "X-WP-TotalPages": str(page.total_pages)}
    rels = []
    if page.page > 1 and page.total_pages > 0:
        rels.append((min(page.page - 1, page.total_pages), "prev"))
    if page.page < page.total_pages:
        rels.append((page.page + 1, "next"))
    if rels:
        parts = [f'<{_page_url(base_url, path, raw_query, n)}>; rel="{rel}"' for n, rel in rels]
        headers["Link"] = ", ".join(parts)
    return headers


def _page_url(base_url: str, path: str, raw_query: str, page: int) -> str:
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if any(key == "page" for key, _ in pairs):
        pairs = [(key, str(page) if key == "page" else value) for key, value in pairs]
    else:
        pairs.append(("page", str(page)))
    query = "&".join(f"{quote_plus(k, safe='[]')}={quote_plus(v)}" for k, v in pairs)
    return f"{base_url}{path}?{query}"


def wanted_fields(args: Mapping[str, Any]) -> list[str] | None:
    """The `_fields` list, or None."""
    raw = args.get("_fields")
    if not raw:
        return None
    values = raw if isinstance(raw, list) else str(raw).split(",")
    return [value.strip() for value in values if value.strip()]


def filter_fields(
    body: dict[str, Any], fields: list[str] | None, *, single: bool
) -> dict[str, Any]:
    """Keep the requested keys; a single item keeps its `_links`.

    A dotted field (``environment.version``) keeps that nested key of an
    object only, as WordPress' `rest_filter_response_fields` does.
    """
    if fields is None:
        return body
    kept = _pick(body, [field.split(".") for field in fields])
    if single and "_links" in body:
        kept["_links"] = body["_links"]
    return kept


def _pick(body: dict[str, Any], paths: list[list[str]]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in body.items():
        nested = [path[1:] for path in paths if path[0] == key]
        if not nested:
            continue
        if any(not rest for rest in nested):
            kept[key] = value
        elif isinstance(value, dict):
            kept[key] = _pick(value, nested)
        # A dotted field into a list (`categories.name`) keeps nothing (golden 043).
    return kept
