"""The control plane under /_sandbox: test and demo knobs, never under /wp-json.

Reset, seed, faults, latency, request counters, the write journal, webhook
flushing, and the two
humans the API never sees: a shopper placing an order and a merchant editing
a product or an order status in the admin. No authentication, no faults, not
counted.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from storebridge.sandbox.config import FaultConfig
from storebridge.sandbox.errors import WooError, invalid_id
from storebridge.sandbox.events import current_base_url
from storebridge.sandbox.faults import FAULT_KINDS
from storebridge.sandbox.orders import ORDER_STATUSES
from storebridge.sandbox.routes.common import sandbox_of

router = APIRouter()


class SeedRequest(BaseModel):
    """POST /_sandbox/seed."""

    count: int = Field(ge=1, le=1_000_000)
    sku_prefix: str = "SEED-"
    start: int = Field(default=1, ge=0)
    price: str = "9.99"
    stock: int | None = 10
    status: str = "publish"


class FailNextRequest(BaseModel):
    """POST /_sandbox/faults/next."""

    kind: str
    count: int = Field(default=1, ge=1)
    method: str | None = None
    path_contains: str | None = None


class LatencyRequest(BaseModel):
    """PUT /_sandbox/latency."""

    seconds: float = Field(ge=0.0)


class ShopperOrder(BaseModel):
    """POST /_sandbox/orders: what a shopper puts in the cart, and how checkout ends."""

    line_items: list[dict[str, Any]] = Field(default_factory=list)
    sku: str | None = None
    quantity: int = Field(default=1, ge=1)
    status: str = "processing"
    set_paid: bool = False
    customer_id: int = 0
    billing: dict[str, Any] = Field(default_factory=dict)
    shipping: dict[str, Any] = Field(default_factory=dict)
    coupon_lines: list[dict[str, Any]] = Field(default_factory=list)
    payment_method: str = "bacs"


class StatusChange(BaseModel):
    """POST /_sandbox/orders/{id}/status."""

    status: str


class ProductEdit(BaseModel):
    """POST /_sandbox/products/edit: a merchant's edit in the admin."""

    id: int | None = None
    sku: str | None = None
    changes: dict[str, Any]


@contextmanager
def _events_from(request: Request) -> Iterator[None]:
    """Webhooks fired by a control action link back to the caller's host."""
    token = current_base_url.set(str(request.base_url).rstrip("/"))
    try:
        yield
    finally:
        current_base_url.reset(token)


@router.get("/health")
async def health() -> dict[str, bool]:
    """Readiness probe."""
    return {"ok": True}


@router.post("/reset")
async def reset(request: Request) -> dict[str, bool]:
    """Forget everything."""
    sandbox_of(request).reset()
    return {"reset": True}


@router.post("/seed")
async def seed(request: Request, body: SeedRequest) -> dict[str, Any]:
    """Bulk-create simple products."""
    result = sandbox_of(request).seed_products(**body.model_dump())
    return dataclasses.asdict(result)


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    """The random fault rates and the queued deterministic faults."""
    faults = sandbox_of(request).faults
    return {
        "config": faults.config.model_dump(),
        "next": [dataclasses.asdict(rule) for rule in faults.queued()],
    }


@router.put("/faults")
async def set_faults(request: Request, body: FaultConfig) -> dict[str, Any]:
    """Replace the random fault rates."""
    sandbox_of(request).faults.configure(body)
    return {"config": body.model_dump()}


@router.post("/faults/next")
async def fail_next(request: Request, body: FailNextRequest) -> dict[str, Any]:
    """Make the next N matching API requests fail with a given fault."""
    if body.kind not in FAULT_KINDS:
        raise WooError(
            "sandbox_invalid_fault", f"kind must be one of {', '.join(FAULT_KINDS)}", 400
        )
    sandbox_of(request).faults.fail_next(
        body.kind, body.count, method=body.method, path_contains=body.path_contains
    )
    return {"queued": body.model_dump()}


@router.delete("/faults/next")
async def clear_faults(request: Request) -> dict[str, bool]:
    """Drop queued deterministic faults."""
    sandbox_of(request).faults.reset()
    return {"cleared": True}


@router.put("/latency")
async def set_latency(request: Request, body: LatencyRequest) -> dict[str, float]:
    """Change the per-request latency."""
    sandbox_of(request).set_latency(body.seconds)
    return {"seconds": body.seconds}


@router.get("/counters")
async def counters(request: Request) -> dict[str, Any]:
    """Request counters by method and route template."""
    return sandbox_of(request).counters.snapshot()


@router.delete("/counters")
async def reset_counters(request: Request) -> dict[str, bool]:
    """Start counting from zero."""
    sandbox_of(request).counters.reset()
    return {"reset": True}


@router.get("/writes")
async def writes(request: Request) -> dict[str, Any]:
    """The write journal: the keys of every processed API write (`sandbox.journal`)."""
    return {"writes": sandbox_of(request).journal.snapshot()}


@router.delete("/writes")
async def clear_writes(request: Request) -> dict[str, bool]:
    """Forget the write journal."""
    sandbox_of(request).journal.clear()
    return {"cleared": True}


@router.post("/orders", status_code=201)
async def place_order(request: Request, body: ShopperOrder) -> dict[str, Any]:
    """A shopper checks out (fires order.created like a real checkout)."""
    if body.status not in ORDER_STATUSES:
        raise WooError("sandbox_invalid_status", f"unknown status {body.status!r}", 400)
    lines = list(body.line_items)
    if body.sku:
        lines.append({"sku": body.sku, "quantity": body.quantity})
    payload = body.model_dump(exclude={"sku", "quantity", "line_items"}) | {"line_items": lines}
    sandbox = sandbox_of(request)
    with _events_from(request):
        doc = sandbox.place_order(payload)
    return sandbox.order_renderer.order(doc, str(request.base_url).rstrip("/"))


@router.post("/orders/{order_id:int}/status")
async def change_status(request: Request, body: StatusChange) -> dict[str, Any]:
    """A merchant changes an order's status in the admin."""
    if body.status not in ORDER_STATUSES:
        raise WooError("sandbox_invalid_status", f"unknown status {body.status!r}", 400)
    sandbox = sandbox_of(request)
    with _events_from(request):
        doc = sandbox.orders.set_status(request.path_params["order_id"], body.status)
    return sandbox.order_renderer.order(doc, str(request.base_url).rstrip("/"))


@router.post("/products/edit")
async def edit_product(request: Request, body: ProductEdit) -> dict[str, Any]:
    """A merchant edits a product (or variation) in the admin, by id or SKU."""
    sandbox = sandbox_of(request)
    doc = sandbox.products.find(body.id) if body.id else None
    if doc is None and body.sku:
        doc = sandbox.products.by_sku(body.sku)
    if doc is None:
        raise invalid_id("product", 404)
    with _events_from(request):
        if doc["type"] == "variation":
            doc = sandbox.variations.update(doc["parent_id"], doc["id"], body.changes)
        else:
            doc = sandbox.products.update(doc["id"], body.changes)
    return sandbox.renderer.product(doc, str(request.base_url).rstrip("/"), context="edit")


@router.post("/webhooks/flush")
async def flush_webhooks(request: Request) -> dict[str, Any]:
    """Deliver every pending webhook now (off the event loop)."""
    delivered = await asyncio.to_thread(sandbox_of(request).flush_webhooks)
    return {"delivered": delivered}


@router.get("/webhooks/deliveries")
async def deliveries(request: Request) -> dict[str, Any]:
    """The delivery log (pings included), oldest first."""
    dispatcher = sandbox_of(request).dispatcher
    return {
        "deliveries": list(dispatcher.log),
        "pending": dispatcher.pending_count(),
        "dropped": [{"topic": topic, "resource_id": rid} for topic, rid in dispatcher.dropped],
    }
