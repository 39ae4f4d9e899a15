"""Routes of /customers and /customers/batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.customers import CUSTOMER_LIST_ARGS, CUSTOMER_WRITE_ARGS, CustomerStore
from storebridge.sandbox.routes.common import (
    BatchOperations,
    answer_batch,
    authorize,
    base_url_of,
    checked_args,
    many,
    one,
    payload_of,
    sandbox_of,
)
from storebridge.sandbox.routes.resource import Items, add_item_routes
from storebridge.sandbox.schema import Arg

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

router = APIRouter()
# POST /customers checks the address itself: customer_invalid_email, not rest_invalid_param.
CREATE_ARGS = {**CUSTOMER_WRITE_ARGS, "email": Arg("string", required=True)}


@router.get("/customers")
async def list_all(request: Request) -> Response:
    """GET /customers."""
    args = checked_args(request, CUSTOMER_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    page = sandbox.customers.query(args, ties=sandbox.ties)
    return many(request, page, lambda doc: CustomerStore.render(doc, base))


@router.post("/customers")
async def create(request: Request) -> Response:
    """POST /customers."""
    payload = await payload_of(request, CREATE_ARGS)
    authorize(request, "create")
    doc = sandbox_of(request).customers.create(payload)
    body = CustomerStore.render(doc, base_url_of(request))
    return one(request, body, status=201, location=f"/customers/{doc['id']}")


@router.post("/customers/batch")
@router.put("/customers/batch")
@router.patch("/customers/batch")
async def batch(request: Request) -> Response:
    """POST /customers/batch."""

    def operations(sandbox: Sandbox, base: str) -> BatchOperations:
        customers = sandbox.customers
        return BatchOperations(
            create=lambda item: CustomerStore.render(customers.create(item), base),
            update=lambda cid, item: CustomerStore.render(customers.update(cid, item), base),
            delete=lambda cid: CustomerStore.render(
                customers.delete(cid, force=True), base, deleted=True
            ),
        )

    return await answer_batch(request, operations)


add_item_routes(
    router,
    Items(
        path="/customers",
        read=lambda sandbox, customer_id: sandbox.customers.get(customer_id),
        update=lambda sandbox, customer_id, payload: sandbox.customers.update(customer_id, payload),
        write_args=CUSTOMER_WRITE_ARGS,
        delete=lambda sandbox, customer_id, force: sandbox.customers.delete(
            customer_id, force=force
        ),
        render=lambda _sandbox, doc, base: CustomerStore.render(doc, base),
        render_deleted=lambda _sandbox, doc, base: CustomerStore.render(doc, base, deleted=True),
    ),
)
