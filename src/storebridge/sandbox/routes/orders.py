"""Routes of /orders, /orders/batch, /orders/<id>/refunds and /orders/<id>/notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.errors import WooError
from storebridge.sandbox.orders import ORDER_LIST_ARGS, ORDER_WRITE_ARGS
from storebridge.sandbox.routes.common import (
    ITEM_ARGS,
    BatchOperations,
    answer_batch,
    authorize,
    base_url_of,
    body_of,
    checked_args,
    is_forced,
    many,
    one,
    payload_of,
    plain,
    sandbox_of,
)
from storebridge.sandbox.schema import CRUD_ORDERBY, DATE_FILTERS, PAGING, Arg

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

router = APIRouter()
EDIT = ["POST", "PUT", "PATCH"]
ORDER_ITEM_ARGS = {**ITEM_ARGS, "dp": Arg("integer")}
REFUND_LIST_ARGS = {**PAGING, **DATE_FILTERS, "orderby": Arg("string", enum=CRUD_ORDERBY)}
NOTE_LIST_ARGS = {"type": Arg("string", enum=("any", "customer", "internal"))}


@router.get("/orders")
async def list_all(request: Request) -> Response:
    """GET /orders."""
    args = checked_args(request, ORDER_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    dp = int(args.get("dp") or 2)
    page = sandbox.orders.query(args, ties=sandbox.ties)
    return many(request, page, lambda doc: sandbox.order_renderer.order(doc, base, dp=dp))


@router.post("/orders")
async def create(request: Request) -> Response:
    """POST /orders."""
    payload = await payload_of(request, ORDER_WRITE_ARGS)
    authorize(request, "create")
    sandbox = sandbox_of(request)
    doc = sandbox.orders.create(payload)
    body = sandbox.order_renderer.order(doc, base_url_of(request))
    return one(request, body, status=201, location=f"/orders/{doc['id']}")


@router.post("/orders/batch")
@router.put("/orders/batch")
@router.patch("/orders/batch")
async def batch(request: Request) -> Response:
    """POST /orders/batch."""

    def operations(sandbox: Sandbox, base: str) -> BatchOperations:
        orders, render = sandbox.orders, sandbox.order_renderer.order
        return BatchOperations(
            create=lambda item: render(orders.create(item), base),
            update=lambda order_id, item: render(orders.update(order_id, item), base),
            delete=lambda order_id: render(orders.delete(order_id, force=True), base),
        )

    return await answer_batch(request, operations)


@router.get("/orders/{order_id:int}")
async def read(request: Request) -> Response:
    """GET /orders/<id>."""
    args = checked_args(request, ORDER_ITEM_ARGS)
    authorize(request, "read")
    sandbox = sandbox_of(request)
    doc = sandbox.orders.get(request.path_params["order_id"])
    body = sandbox.order_renderer.order(doc, base_url_of(request), dp=int(args.get("dp") or 2))
    return one(request, body)


@router.api_route("/orders/{order_id:int}", methods=EDIT)
async def update(request: Request) -> Response:
    """PUT /orders/<id>."""
    payload = await payload_of(request, ORDER_WRITE_ARGS)
    authorize(request, "edit")
    sandbox = sandbox_of(request)
    doc = sandbox.orders.update(request.path_params["order_id"], payload)
    return one(request, sandbox.order_renderer.order(doc, base_url_of(request)))


@router.delete("/orders/{order_id:int}")
async def delete(request: Request) -> Response:
    """DELETE /orders/<id>."""
    force = is_forced(request)
    authorize(request, "delete")
    sandbox = sandbox_of(request)
    doc = sandbox.orders.delete(request.path_params["order_id"], force=force)
    return one(request, sandbox.order_renderer.order(doc, base_url_of(request)))


@router.get("/orders/{order_id:int}/refunds")
async def list_refunds(request: Request) -> Response:
    """GET /orders/<id>/refunds."""
    args = checked_args(request, REFUND_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    order_id = request.path_params["order_id"]
    _order_or_404(request, order_id)
    page = sandbox.refunds.for_order(order_id, args, ties=sandbox.ties)
    return many(request, page, lambda doc: sandbox.order_renderer.refund(doc, order_id, base))


@router.post("/orders/{order_id:int}/refunds")
async def create_refund(request: Request) -> Response:
    """POST /orders/<id>/refunds."""
    body = await body_of(request)
    caller = authorize(request, "create")
    sandbox = sandbox_of(request)
    order_id = request.path_params["order_id"]
    refund = sandbox.orders.refund(
        order_id, body if isinstance(body, dict) else {}, user_id=caller.key.user_id
    )
    body_out = sandbox.order_renderer.refund(refund, order_id, base_url_of(request))
    return one(request, body_out, status=201, location=f"/orders/{order_id}/refunds/{refund['id']}")


@router.get("/orders/{order_id:int}/refunds/{refund_id:int}")
async def read_refund(request: Request) -> Response:
    """GET /orders/<id>/refunds/<rid>."""
    checked_args(request, ITEM_ARGS)
    authorize(request, "read")
    sandbox = sandbox_of(request)
    params = request.path_params
    _order_or_404(request, params["order_id"])
    refund = sandbox.refunds.get(params["order_id"], params["refund_id"])
    return one(
        request, sandbox.order_renderer.refund(refund, params["order_id"], base_url_of(request))
    )


@router.get("/orders/{order_id:int}/notes")
async def list_notes(request: Request) -> Response:
    """GET /orders/<id>/notes (a plain array, no paging headers)."""
    args = checked_args(request, NOTE_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    order_id = request.path_params["order_id"]
    _note_order_or_404(request, order_id)
    notes = sandbox.notes.for_order(order_id, str(args.get("type") or "any"))
    return plain(request, [sandbox.notes.render(note, order_id, base) for note in notes])


@router.post("/orders/{order_id:int}/notes")
async def create_note(request: Request) -> Response:
    """POST /orders/<id>/notes."""
    body = await body_of(request)
    caller = authorize(request, "create")
    sandbox = sandbox_of(request)
    order_id = request.path_params["order_id"]
    _note_order_or_404(request, order_id)
    note = sandbox.notes.create(
        order_id, body if isinstance(body, dict) else {}, user_name=caller.user_name
    )
    rendered = sandbox.notes.render(note, order_id, base_url_of(request))
    return one(request, rendered, status=201, location=f"/orders/{order_id}/notes/{note['id']}")


@router.get("/orders/{order_id:int}/notes/{note_id:int}")
async def read_note(request: Request) -> Response:
    """GET /orders/<id>/notes/<nid>."""
    authorize(request, "read")
    sandbox = sandbox_of(request)
    params = request.path_params
    _note_order_or_404(request, params["order_id"])
    note = sandbox.notes.get(params["order_id"], params["note_id"])
    return one(request, sandbox.notes.render(note, params["order_id"], base_url_of(request)))


@router.delete("/orders/{order_id:int}/notes/{note_id:int}")
async def delete_note(request: Request) -> Response:
    """DELETE /orders/<id>/notes/<nid>?force=true."""
    force = is_forced(request)
    authorize(request, "delete")
    sandbox = sandbox_of(request)
    params = request.path_params
    _note_order_or_404(request, params["order_id"])
    note = sandbox.notes.delete(params["order_id"], params["note_id"], force=force)
    return one(request, sandbox.notes.render(note, params["order_id"], base_url_of(request)))


def _order_or_404(request: Request, order_id: int) -> dict[str, Any]:
    order = sandbox_of(request).orders.find(order_id)
    if order is None:
        raise WooError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
    return order


def _note_order_or_404(request: Request, order_id: int) -> None:
    if sandbox_of(request).orders.find(order_id) is None:
        raise WooError("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
