"""Routes of /webhooks. Creating a webhook pings its delivery URL first."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.routes.common import (
    ITEM_ARGS,
    authorize,
    base_url_of,
    checked_args,
    is_forced,
    many,
    one,
    payload_of,
    sandbox_of,
)
from storebridge.sandbox.schema import Arg
from storebridge.sandbox.webhooks import WEBHOOK_LIST_ARGS, WEBHOOK_WRITE_ARGS, WebhookStore

router = APIRouter()
# delivery_url is a required argument of the create route (golden 212).
WEBHOOK_CREATE_ARGS = {**WEBHOOK_WRITE_ARGS, "delivery_url": Arg("string", required=True)}


@router.get("/webhooks")
async def list_all(request: Request) -> Response:
    """GET /webhooks."""
    args = checked_args(request, WEBHOOK_LIST_ARGS)
    authorize(request, "list")
    base = base_url_of(request)
    sandbox = sandbox_of(request)
    page = sandbox.webhooks.query(args, ties=sandbox.ties)
    return many(request, page, lambda doc: WebhookStore.render(doc, base))


@router.post("/webhooks")
async def create(request: Request) -> Response:
    """POST /webhooks; the ping runs during the request, its outcome is ignored."""
    payload = await payload_of(request, WEBHOOK_CREATE_ARGS)
    authorize(request, "create")
    sandbox = sandbox_of(request)
    doc = sandbox.webhooks.create(payload)
    # Off the event loop: the delivery URL may well be served by this very process.
    await asyncio.to_thread(sandbox.dispatcher.ping, doc)
    body = WebhookStore.render(doc, base_url_of(request))
    return one(request, body, status=201, location=f"/webhooks/{doc['id']}")


@router.get("/webhooks/{webhook_id:int}")
async def read(request: Request) -> Response:
    """GET /webhooks/<id>."""
    checked_args(request, ITEM_ARGS)
    authorize(request, "read")
    doc = sandbox_of(request).webhooks.get(request.path_params["webhook_id"])
    return one(request, WebhookStore.render(doc, base_url_of(request)))


@router.api_route("/webhooks/{webhook_id:int}", methods=["POST", "PUT", "PATCH"])
async def update(request: Request) -> Response:
    """PUT /webhooks/<id>."""
    payload = await payload_of(request, WEBHOOK_WRITE_ARGS)
    authorize(request, "edit")
    doc = sandbox_of(request).webhooks.update(request.path_params["webhook_id"], payload)
    return one(request, WebhookStore.render(doc, base_url_of(request)))


@router.delete("/webhooks/{webhook_id:int}")
async def delete(request: Request) -> Response:
    """DELETE /webhooks/<id>?force=true."""
    force = is_forced(request)
    authorize(request, "delete")
    doc = sandbox_of(request).webhooks.delete(request.path_params["webhook_id"], force=force)
    return one(request, WebhookStore.render(doc, base_url_of(request)))
