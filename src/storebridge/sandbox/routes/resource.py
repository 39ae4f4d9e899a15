"""Routes served the same way for several resources.

`add_item_routes`: GET, PUT (when the resource can be edited) and DELETE of
one item (customers, webhooks, and the minimal resources below).
`add_resource_routes`: a minimal resource, which also gets its list and
create routes: coupons, tax rates and the product categories and tags; each
differs only in its store, its list arguments and filters, and what a DELETE
without ``force=true`` does.  Each route keeps WordPress's order: arguments
(or the body) first, then the permission check, then the work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    payload_of,
    sandbox_of,
)
from storebridge.sandbox.schema import Arg

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

__all__ = ["Items", "Resource", "add_item_routes", "add_resource_routes", "paged"]

Doc = dict[str, Any]


def paged(items: list[Doc], args: Mapping[str, Any]) -> Page[Doc]:
    """The page of `items` that ``per_page`` and ``page`` ask for (WordPress: 10, page 1)."""
    per_page, page_no = int(args.get("per_page") or 10), int(args.get("page") or 1)
    window = items[(page_no - 1) * per_page : page_no * per_page]
    return Page(window, len(items), page_no, per_page)


Render = Callable[["Sandbox", Doc, str], dict[str, Any]]
EDIT = ["POST", "PUT", "PATCH"]


@dataclass(frozen=True, slots=True)
class Items:
    """The items of one resource, bound to the sandbox's store that keeps them."""

    #: The collection's path ("/customers"); an item is ``{path}/<id>``.
    path: str
    read: Callable[[Sandbox, int], Doc]
    #: (sandbox, id, force): raises when the resource cannot be trashed and force is off.
    delete: Callable[[Sandbox, int, bool], Doc]
    render: Render
    #: (sandbox, id, validated payload); None when items cannot be edited.
    update: Callable[[Sandbox, int, dict[str, Any]], Doc] | None = None
    write_args: Mapping[str, Arg] = field(default_factory=dict)
    #: How the DELETE answer renders the item (default: `render`).
    render_deleted: Render | None = None
    #: Whether GET of one item validates ``context``/``force`` (terms do not).
    checks_item_args: bool = True


@dataclass(frozen=True, slots=True)
class Resource:
    """A minimal resource: its items, and how its collection is listed and grown."""

    items: Items
    list_args: Mapping[str, Arg]
    #: Every item matching the validated list arguments, in the order asked.
    listing: Callable[[Sandbox, dict[str, Any]], list[Doc]]
    create: Callable[[Sandbox, dict[str, Any]], Doc]


def add_item_routes(router: APIRouter, items: Items) -> None:
    """Register GET, PUT (if `items.update`) and DELETE on ``{path}/<id>``."""

    async def read_item(request: Request) -> Response:
        if items.checks_item_args:
            checked_args(request, ITEM_ARGS)
        authorize(request, "read")
        sandbox = sandbox_of(request)
        doc = items.read(sandbox, request.path_params["item_id"])
        return one(request, items.render(sandbox, doc, base_url_of(request)))

    async def update_item(request: Request) -> Response:
        assert items.update is not None  # registered only then
        payload = await payload_of(request, dict(items.write_args))
        authorize(request, "edit")
        sandbox = sandbox_of(request)
        doc = items.update(sandbox, request.path_params["item_id"], payload)
        return one(request, items.render(sandbox, doc, base_url_of(request)))

    async def delete_item(request: Request) -> Response:
        force = is_forced(request)
        authorize(request, "delete")
        sandbox = sandbox_of(request)
        doc = items.delete(sandbox, request.path_params["item_id"], force)
        render = items.render_deleted or items.render
        return one(request, render(sandbox, doc, base_url_of(request)))

    item = f"{items.path}/{{item_id:int}}"
    router.add_api_route(item, read_item, methods=["GET"])
    if items.update is not None:
        router.add_api_route(item, update_item, methods=EDIT)
    router.add_api_route(item, delete_item, methods=["DELETE"])


def add_resource_routes(router: APIRouter, resource: Resource) -> None:
    """Register GET and POST on the collection, then the item routes."""
    items = resource.items

    async def list_items(request: Request) -> Response:
        args = checked_args(request, dict(resource.list_args))
        authorize(request, "list")
        sandbox, base = sandbox_of(request), base_url_of(request)
        page = paged(resource.listing(sandbox, args), args)
        return many(request, page, lambda doc: items.render(sandbox, doc, base))

    async def create_item(request: Request) -> Response:
        body = await body_of(request)
        authorize(request, "create")
        sandbox = sandbox_of(request)
        doc = resource.create(sandbox, body if isinstance(body, dict) else {})
        rendered = items.render(sandbox, doc, base_url_of(request))
        return one(request, rendered, status=201, location=f"{items.path}/{doc['id']}")

    router.add_api_route(items.path, list_items, methods=["GET"])
    router.add_api_route(items.path, create_item, methods=["POST"])
    add_item_routes(router, items)
