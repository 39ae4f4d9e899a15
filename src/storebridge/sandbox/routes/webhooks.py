"""Routes of /webhooks. Creating a webhook pings its delivery URL first."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.routes.common import (
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


add_item_routes(
    router,
    Items(
        path="/webhooks",
        read=lambda sandbox, webhook_id: sandbox.webhooks.get(webhook_id),
        update=lambda sandbox, webhook_id, payload: sandbox.webhooks.update(webhook_id, payload),
        write_args=WEBHOOK_WRITE_ARGS,
        delete=lambda sandbox, webhook_id, force: sandbox.webhooks.delete(webhook_id, force=force),
        render=lambda _sandbox, doc, base: WebhookStore.render(doc, base),
    ),
)
