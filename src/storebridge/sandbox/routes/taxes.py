"""Routes of /settings/<group>/<id> and /taxes (the tax setup the orders read)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from storebridge.sandbox.errors import trash_not_supported
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
    plain,
    sandbox_of,
)
from storebridge.sandbox.schema import PAGING, Arg

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


@router.get("/taxes")
async def list_rates(request: Request) -> Response:
    """GET /taxes."""
    args = checked_args(request, TAX_LIST_ARGS)
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    rates = sandbox.tax_rates.all()
    if args.get("include"):
        wanted = {int(i) for i in args["include"]}
        rates = [rate for rate in rates if rate["id"] in wanted]
    per_page, page_no = int(args.get("per_page") or 10), int(args.get("page") or 1)
    window = rates[(page_no - 1) * per_page : page_no * per_page]
    page = Page(window, len(rates), page_no, per_page)
    return many(request, page, lambda doc: sandbox.tax_rates.render(doc, base))


@router.post("/taxes")
async def create_rate(request: Request) -> Response:
    """POST /taxes."""
    body = await body_of(request)
    authorize(request, "create")
    sandbox = sandbox_of(request)
    doc = sandbox.tax_rates.create(body if isinstance(body, dict) else {})
    rendered = sandbox.tax_rates.render(doc, base_url_of(request))
    return one(request, rendered, status=201, location=f"/taxes/{doc['id']}")


@router.get("/taxes/{rate_id:int}")
async def read_rate(request: Request) -> Response:
    """GET /taxes/<id>."""
    checked_args(request, ITEM_ARGS)
    authorize(request, "read")
    sandbox = sandbox_of(request)
    doc = sandbox.tax_rates.get(request.path_params["rate_id"])
    return one(request, sandbox.tax_rates.render(doc, base_url_of(request)))


@router.delete("/taxes/{rate_id:int}")
async def delete_rate(request: Request) -> Response:
    """DELETE /taxes/<id>: rates cannot be trashed, force=true is required."""
    force = is_forced(request)
    authorize(request, "delete")
    sandbox = sandbox_of(request)
    if not force:
        raise trash_not_supported("Taxes do not support trashing.")
    doc = sandbox.tax_rates.delete(request.path_params["rate_id"])
    return one(request, sandbox.tax_rates.render(doc, base_url_of(request)))
