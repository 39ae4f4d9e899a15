"""The four routes of a minimal resource: list, create, read and delete one item.

Coupons, tax rates and the product categories and tags are served the same
way; each differs only in its store, its list arguments and filters, and what
a DELETE without ``force=true`` does.  Each route keeps WordPress's order:
arguments (or the body) first, then the permission check, then the work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.listing import Page
from storebridge.sandbox.routes.common import (
    ITEM_ARGS,
    authorize,
    base_url_of,
    body_of,
    checked_args,
    is_forced,
    many,
    one,
    sandbox_of,
)
from storebridge.sandbox.schema import Arg

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

__all__ = ["Resource", "add_resource_routes", "paged"]

Doc = dict[str, Any]


def paged(items: list[Doc], args: Mapping[str, Any]) -> Page[Doc]:
    """The page of `items` that ``per_page`` and ``page`` ask for (WordPress: 10, page 1)."""
    per_page, page_no = int(args.get("per_page") or 10), int(args.get("page") or 1)
    window = items[(page_no - 1) * per_page : page_no * per_page]
    return Page(window, len(items), page_no, per_page)


@dataclass(frozen=True, slots=True)
class Resource:
    """One minimal resource, bound to the sandbox's store that keeps it."""

    #: The collection's path ("/coupons"); an item is ``{path}/<id>``.
    path: str
    list_args: Mapping[str, Arg]
    #: Every item matching the validated list arguments, in the order asked.
    listing: Callable[[Sandbox, dict[str, Any]], list[Doc]]
    create: Callable[[Sandbox, dict[str, Any]], Doc]
    read: Callable[[Sandbox, int], Doc]
    #: (sandbox, id, force): raises when the resource cannot be trashed and force is off.
    delete: Callable[[Sandbox, int, bool], Doc]
    render: Callable[[Sandbox, Doc, str], dict[str, Any]]
    #: Whether GET of one item validates ``context``/``force`` (terms do not).
    checks_item_args: bool = True
    #: Whether the DELETE answer's self link drops its targetHints (terms: golden 163).
    deleted_without_hints: bool = False


def add_resource_routes(router: APIRouter, resource: Resource) -> None:
    """Register GET and POST on the collection, GET and DELETE on an item."""

    async def list_items(request: Request) -> Response:
        args = checked_args(request, dict(resource.list_args))
        authorize(request, "list")
        sandbox, base = sandbox_of(request), base_url_of(request)
        page = paged(resource.listing(sandbox, args), args)
        return many(request, page, lambda doc: resource.render(sandbox, doc, base))

    async def create_item(request: Request) -> Response:
        body = await body_of(request)
        authorize(request, "create")
        sandbox = sandbox_of(request)
        doc = resource.create(sandbox, body if isinstance(body, dict) else {})
        rendered = resource.render(sandbox, doc, base_url_of(request))
        return one(request, rendered, status=201, location=f"{resource.path}/{doc['id']}")

    async def read_item(request: Request) -> Response:
        if resource.checks_item_args:
            checked_args(request, ITEM_ARGS)
        authorize(request, "read")
        sandbox = sandbox_of(request)
        doc = resource.read(sandbox, request.path_params["item_id"])
        return one(request, resource.render(sandbox, doc, base_url_of(request)))

    async def delete_item(request: Request) -> Response:
        force = is_forced(request)
        authorize(request, "delete")
        sandbox = sandbox_of(request)
        doc = resource.delete(sandbox, request.path_params["item_id"], force)
        rendered = resource.render(sandbox, doc, base_url_of(request))
        if resource.deleted_without_hints:
            rendered["_links"]["self"][0].pop("targetHints", None)
        return one(request, rendered)

    item = f"{resource.path}/{{item_id:int}}"
    router.add_api_route(resource.path, list_items, methods=["GET"])
    router.add_api_route(resource.path, create_item, methods=["POST"])
    router.add_api_route(item, read_item, methods=["GET"])
    router.add_api_route(item, delete_item, methods=["DELETE"])
