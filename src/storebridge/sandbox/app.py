"""`create_sandbox_app`: the Sandbox behind a FastAPI app.

The emulated API lives under /wp-json/wc/v3 (plus one wc-admin probe under
/wp-json/wc-admin), the control plane under
/_sandbox. Every error leaves as a WooCommerce error object; an unknown path
or a wrong method under /wp-json is 404 `rest_no_route` (WordPress has no
405). The same app serves in-process tests (httpx.ASGITransport) and a real
server (uvicorn).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from storebridge.sandbox.clock import Clock
from storebridge.sandbox.config import SandboxConfig
from storebridge.sandbox.errors import WooError, no_route
from storebridge.sandbox.gate import API_ROOT, ApiGate
from storebridge.sandbox.responses import error_response
from storebridge.sandbox.routes import (
    catalog,
    control,
    customers,
    orders,
    products,
    status,
    taxes,
    webhooks,
)
from storebridge.sandbox.routes.common import base_url_of
from storebridge.sandbox.sandbox import Sandbox
from storebridge.sandbox.urls import ADMIN_PREFIX, API_PREFIX


def create_sandbox_app(
    config: SandboxConfig | None = None,
    *,
    clock: Clock | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
    sandbox: Sandbox | None = None,
) -> FastAPI:
    """Build the sandbox app (pass `sandbox` to serve an existing one)."""
    owned = sandbox is None
    store = sandbox or Sandbox(config, clock=clock, webhook_transport=webhook_transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            store.close()

    app = FastAPI(
        title="StoreBridge WooCommerce sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.sandbox = store
    modules = (products, orders, customers, webhooks, catalog, taxes, status)
    for module in modules:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(status.admin_router, prefix=ADMIN_PREFIX)
    app.include_router(control.router, prefix="/_sandbox")
    app.add_exception_handler(WooError, _woo_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    api_routes = [route for module in modules for route in module.router.routes]
    app.add_middleware(ApiGate, sandbox=store, routes=api_routes)
    return app


async def _woo_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, WooError)
    return error_response(error, base_url_of(request))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if request.url.path.startswith(API_ROOT) and error.status_code in (404, 405):
        return error_response(no_route(), base_url_of(request))
    return JSONResponse({"detail": error.detail}, status_code=error.status_code)
