"""Routes of /settings/<group>/<id> and /taxes (the tax setup the orders read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.errors import trash_not_supported
from storebridge.sandbox.routes.common import (
    authorize,
    base_url_of,
    body_of,
    one,
    plain,
    sandbox_of,
)
from storebridge.sandbox.routes.resource import Doc, Items, Resource, add_resource_routes
from storebridge.sandbox.schema import PAGING, Arg

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

router = APIRouter()
EDIT = ["POST", "PUT", "PATCH"]
TAX_LIST_ARGS = {**PAGING, "include": Arg("array", items=Arg("integer"))}


@router.get("/settings/{group_id}")
async def list_settings(request: Request) -> Response:
    """GET /settings/<group>: the group's emulated settings (no `group_id` key in a list)."""
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    settings = sandbox.settings.group(request.path_params["group_id"])
    bodies = [sandbox.settings.render(setting, base) for setting in settings]
    for body in bodies:
        body.pop("group_id")
    return plain(request, bodies)


@router.get("/settings/{group_id}/{setting_id}")
async def read_setting(request: Request) -> Response:
    """GET /settings/<group>/<id>."""
    authorize(request, "read")
    sandbox = sandbox_of(request)
    setting = sandbox.settings.lookup(
        request.path_params["group_id"], request.path_params["setting_id"]
    )
    return one(request, sandbox.settings.render(setting, base_url_of(request)))


@router.api_route("/settings/{group_id}/{setting_id}", methods=EDIT)
async def update_setting(request: Request) -> Response:
    """PUT /settings/<group>/<id> with {"value": ...}."""
    body = await body_of(request)
    authorize(request, "edit")
    sandbox = sandbox_of(request)
    setting = sandbox.settings.lookup(
        request.path_params["group_id"], request.path_params["setting_id"]
    )
    sandbox.settings.write(setting, body.get("value") if isinstance(body, dict) else None)
    return one(request, sandbox.settings.render(setting, base_url_of(request)))


def _rates(sandbox: Sandbox, args: dict[str, Any]) -> list[Doc]:
    rates = sandbox.tax_rates.all()
    if args.get("include"):
        wanted = {int(i) for i in args["include"]}
        rates = [rate for rate in rates if rate["id"] in wanted]
    return rates


def _delete_rate(sandbox: Sandbox, rate_id: int, force: bool) -> Doc:
    """Rates cannot be trashed: force=true is required (checked before the rate is looked up)."""
    if not force:
        raise trash_not_supported("Taxes do not support trashing.")
    return sandbox.tax_rates.delete(rate_id)


add_resource_routes(
    router,
    Resource(
        Items(
            path="/taxes",
            read=lambda sandbox, rate_id: sandbox.tax_rates.get(rate_id),
            delete=_delete_rate,
            render=lambda sandbox, doc, base: sandbox.tax_rates.render(doc, base),
        ),
        list_args=TAX_LIST_ARGS,
        listing=_rates,
        create=lambda sandbox, body: sandbox.tax_rates.create(body),
    ),
)
