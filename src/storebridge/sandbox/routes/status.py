"""`GET /system_status` (the part StoreBridge reads) and the wc-admin plugin probe.

`storebridge doctor` learns the WooCommerce version, the currency and whether
the site runs over TLS from `/system_status`, and whether the key's user is an
administrator from `GET /wp-json/wc-admin/plugins/install/status`: WooCommerce
answers it (`[]` when no install is running) only to users who may install
plugins, and 401 (anonymous) or 403 `woocommerce_rest_cannot_update` to
everyone else, shop managers included (wc-admin `Plugins` controller, checked
on a real 10.0.2). Both are reads: a read-only key may call them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.errors import WooError
from storebridge.sandbox.routes.common import authorize, base_url_of, one, plain, sandbox_of

router = APIRouter()
#: Mounted at /wp-json/wc-admin: WooCommerce authenticates its keys there too.
admin_router = APIRouter()

#: The WooCommerce and WordPress versions the sandbox emulates (the goldens' store).
WOOCOMMERCE_VERSION = "10.0.2"
WORDPRESS_VERSION = "6.8.8"


@router.get("/system_status")
async def system_status(request: Request) -> Response:
    """GET /system_status: environment, settings and security, for the emulated part."""
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    settings = sandbox.settings
    body: dict[str, Any] = {
        "environment": {
            "home_url": base,
            "site_url": base,
            "version": WOOCOMMERCE_VERSION,
            "wp_version": WORDPRESS_VERSION,
        },
        "settings": {
            "api_enabled": False,
            "force_ssl": False,
            "currency": settings.value("woocommerce_currency"),
            "number_of_decimals": int(settings.value("woocommerce_price_num_decimals") or 0),
        },
        "security": {"secure_connection": base.startswith("https://"), "hide_errors": True},
    }
    return one(request, body)


@admin_router.get("/plugins/install/status")
async def plugin_install_status(request: Request) -> Response:
    """GET /wp-json/wc-admin/plugins/install/status: needs the install_plugins capability."""
    caller = getattr(request.state, "sandbox_caller", None)
    if caller is None or caller.key.role != "administrator":
        status = 401 if caller is None else 403
        raise WooError(
            "woocommerce_rest_cannot_update", "Sorry, you cannot manage plugins.", status
        )
    return plain(request, [])


__all__ = ["admin_router", "router"]
