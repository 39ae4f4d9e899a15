"""Routes of /products, /products/batch and /products/<id>/variations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.product_query import PRODUCT_LIST_ARGS, VARIATION_LIST_ARGS, list_products
from storebridge.sandbox.product_write import PRODUCT_ARGS, VARIATION_ARGS
from storebridge.sandbox.routes.common import (
    ITEM_ARGS,
    BatchOperations,
    answer_batch,
    authorize,
    base_url_of,
    checked_args,
    is_forced,
    many,
    one,
    payload_of,
    sandbox_of,
)

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

router = APIRouter()
EDIT = ("POST", "PUT", "PATCH")


@router.get("/products")
async def list_all(request: Request) -> Response:
    """GET /products."""
    args = checked_args(request, PRODUCT_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    context = args.get("context") or "view"
    page = list_products(sandbox.db, args, ties=sandbox.ties)
    return many(request, page, lambda doc: sandbox.renderer.product(doc, base, context=context))


@router.post("/products")
async def create(request: Request) -> Response:
    """POST /products."""
    payload = await payload_of(request, PRODUCT_ARGS)
    authorize(request, "create")
    sandbox = sandbox_of(request)
    doc = sandbox.products.create(payload)
    body = sandbox.renderer.product(doc, base_url_of(request), context="edit")
    return one(request, body, status=201, location=f"/products/{doc['id']}")


@router.post("/products/batch")
@router.put("/products/batch")
@router.patch("/products/batch")
async def batch(request: Request) -> Response:
    """POST /products/batch."""

    def operations(sandbox: Sandbox, base: str) -> BatchOperations:
        products, render = sandbox.products, sandbox.renderer.product

        def delete(product_id: int) -> dict[str, Any]:
            # The answer is the product as it was, variations included: render first.
            body = render(products.get_product(product_id), base, context="edit")
            products.delete(product_id, force=True)
            return body

        return BatchOperations(
            create=lambda item: render(products.create(item), base, context="edit"),
            update=lambda item_id, item: render(
                products.update(item_id, item), base, context="edit"
            ),
            delete=delete,
        )

    return await answer_batch(request, operations)


@router.get("/products/{product_id:int}")
async def read(request: Request) -> Response:
    """GET /products/<id> (a variation id is served too)."""
    args = checked_args(request, ITEM_ARGS)
    authorize(request, "read")
    sandbox = sandbox_of(request)
    doc = sandbox.products.get_product(request.path_params["product_id"])
    context = args.get("context") or "view"
    return one(request, sandbox.renderer.product(doc, base_url_of(request), context=context))


@router.api_route("/products/{product_id:int}", methods=list(EDIT))
async def update(request: Request) -> Response:
    """PUT /products/<id>."""
    payload = await payload_of(request, PRODUCT_ARGS)
    authorize(request, "edit")
    sandbox = sandbox_of(request)
    doc = sandbox.products.update(request.path_params["product_id"], payload)
    return one(request, sandbox.renderer.product(doc, base_url_of(request), context="edit"))


@router.delete("/products/{product_id:int}")
async def delete(request: Request) -> Response:
    """DELETE /products/<id>."""
    force = is_forced(request)
    authorize(request, "delete")
    sandbox = sandbox_of(request)
    product_id = request.path_params["product_id"]
    # The answer is the product as it was, variations included: render first.
    before = sandbox.products.get_product(product_id)
    body = sandbox.renderer.product(before, base_url_of(request), context="edit")
    sandbox.products.delete(product_id, force=force)
    return one(request, body)


@router.get("/products/{parent_id:int}/variations")
async def list_variations(request: Request) -> Response:
    """GET /products/<id>/variations."""
    args = checked_args(request, VARIATION_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    page = list_products(
        sandbox.db, args, ties=sandbox.ties, parent_id=request.path_params["parent_id"]
    )
    return many(request, page, lambda doc: sandbox.renderer.variation(doc, base))


@router.post("/products/{parent_id:int}/variations")
async def create_variation(request: Request) -> Response:
    """POST /products/<id>/variations."""
    payload = await payload_of(request, VARIATION_ARGS)
    authorize(request, "create")
    sandbox = sandbox_of(request)
    parent_id = request.path_params["parent_id"]
    doc = sandbox.variations.create(parent_id, payload)
    body = sandbox.renderer.variation(doc, base_url_of(request), context="edit")
    return one(request, body, status=201, location=f"/products/{parent_id}/variations/{doc['id']}")


@router.post("/products/{parent_id:int}/variations/batch")
@router.put("/products/{parent_id:int}/variations/batch")
@router.patch("/products/{parent_id:int}/variations/batch")
async def batch_variations(request: Request) -> Response:
    """POST /products/<id>/variations/batch."""
    parent_id = request.path_params["parent_id"]

    def operations(sandbox: Sandbox, base: str) -> BatchOperations:
        variations, render = sandbox.variations, sandbox.renderer.variation
        return BatchOperations(
            create=lambda item: render(variations.create(parent_id, item), base, context="edit"),
            update=lambda vid, item: render(
                variations.update(parent_id, vid, item, missing=404), base, context="edit"
            ),
            delete=lambda vid: render(
                variations.delete(parent_id, vid, force=True), base, context="edit"
            ),
        )

    return await answer_batch(request, operations)


@router.get("/products/{parent_id:int}/variations/{variation_id:int}")
async def read_variation(request: Request) -> Response:
    """GET /products/<id>/variations/<vid>."""
    args = checked_args(request, ITEM_ARGS)
    authorize(request, "read")
    sandbox = sandbox_of(request)
    params = request.path_params
    doc = sandbox.variations.get(params["parent_id"], params["variation_id"])
    context = args.get("context") or "view"
    return one(request, sandbox.renderer.variation(doc, base_url_of(request), context=context))


@router.api_route("/products/{parent_id:int}/variations/{variation_id:int}", methods=list(EDIT))
async def update_variation(request: Request) -> Response:
    """PUT /products/<id>/variations/<vid>."""
    payload = await payload_of(request, VARIATION_ARGS)
    authorize(request, "edit")
    sandbox = sandbox_of(request)
    params = request.path_params
    doc = sandbox.variations.update(params["parent_id"], params["variation_id"], payload)
    return one(request, sandbox.renderer.variation(doc, base_url_of(request), context="edit"))


@router.delete("/products/{parent_id:int}/variations/{variation_id:int}")
async def delete_variation(request: Request) -> Response:
    """DELETE /products/<id>/variations/<vid>."""
    force = is_forced(request)
    authorize(request, "delete")
    sandbox = sandbox_of(request)
    params = request.path_params
    doc = sandbox.variations.delete(params["parent_id"], params["variation_id"], force=force)
    return one(request, sandbox.renderer.variation(doc, base_url_of(request), context="edit"))
