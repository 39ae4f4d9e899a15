"""Routes of /products/categories, /products/tags and /coupons (the minimal ones)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

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
    sandbox_of,
)
from storebridge.sandbox.schema import PAGING, Arg

router = APIRouter()
TAXONOMIES = {"categories": "product_cat", "tags": "product_tag"}
TERM_ORDERBY = (
    "id",
    "include",
    "name",
    "slug",
    "include_slugs",
    "term_group",
    "description",
    "count",
)
TERM_LIST_ARGS = {**PAGING, "orderby": Arg("string", enum=TERM_ORDERBY)}


def _term_routes(kind: str, taxonomy: str) -> None:
    """Register the routes of one taxonomy (categories or tags)."""

    async def list_terms(request: Request) -> Response:
        args = checked_args(request, TERM_LIST_ARGS)
        authorize(request, "list")
        sandbox, base = sandbox_of(request), base_url_of(request)
        orderby, descending = str(args.get("orderby") or "name"), args.get("order") == "desc"
        terms = sandbox.terms.all(
            taxonomy, orderby=orderby, descending=descending, ties=sandbox.ties
        )
        per_page, page_no = int(args.get("per_page") or 10), int(args.get("page") or 1)
        window = terms[(page_no - 1) * per_page : page_no * per_page]
        page = Page(window, len(terms), page_no, per_page)
        return many(request, page, lambda doc: sandbox.terms.render(taxonomy, doc, base))

    async def create_term(request: Request) -> Response:
        body = await body_of(request)
        authorize(request, "create")
        sandbox = sandbox_of(request)
        doc = sandbox.terms.create(taxonomy, body if isinstance(body, dict) else {})
        rendered = sandbox.terms.render(taxonomy, doc, base_url_of(request))
        return one(request, rendered, status=201, location=f"/products/{kind}/{doc['id']}")

    async def read_term(request: Request) -> Response:
        authorize(request, "read")
        sandbox = sandbox_of(request)
        doc = sandbox.terms.get(taxonomy, request.path_params["term_id"])
        return one(request, sandbox.terms.render(taxonomy, doc, base_url_of(request)))

    async def delete_term(request: Request) -> Response:
        force = is_forced(request)
        authorize(request, "delete")
        sandbox = sandbox_of(request)
        doc = sandbox.terms.delete(taxonomy, request.path_params["term_id"], force=force)
        rendered = sandbox.terms.render(taxonomy, doc, base_url_of(request))
        # The answer to a DELETE carries no targetHints (golden 163).
        rendered["_links"]["self"][0].pop("targetHints", None)
        return one(request, rendered)

    collection, item = f"/products/{kind}", f"/products/{kind}/{{term_id:int}}"
    router.add_api_route(collection, list_terms, methods=["GET"])
    router.add_api_route(collection, create_term, methods=["POST"])
    router.add_api_route(item, read_term, methods=["GET"])
    router.add_api_route(item, delete_term, methods=["DELETE"])


for _kind, _taxonomy in TAXONOMIES.items():
    _term_routes(_kind, _taxonomy)


@router.get("/coupons")
async def list_coupons(request: Request) -> Response:
    """GET /coupons."""
    args = checked_args(request, {**PAGING, "code": PAGING["search"]})
    authorize(request, "list")
    sandbox, base = sandbox_of(request), base_url_of(request)
    coupons = sandbox.coupons.all()
    if args.get("code"):
        coupons = [c for c in coupons if c["code"] == str(args["code"]).lower()]
    per_page, page_no = int(args.get("per_page") or 10), int(args.get("page") or 1)
    page = Page(
        coupons[(page_no - 1) * per_page : page_no * per_page], len(coupons), page_no, per_page
    )
    return many(request, page, lambda doc: sandbox.coupons.render(doc, base))


@router.post("/coupons")
async def create_coupon(request: Request) -> Response:
    """POST /coupons."""
    body = await body_of(request)
    authorize(request, "create")
    sandbox = sandbox_of(request)
    doc = sandbox.coupons.create(body if isinstance(body, dict) else {})
    rendered = sandbox.coupons.render(doc, base_url_of(request))
    return one(request, rendered, status=201, location=f"/coupons/{doc['id']}")


@router.get("/coupons/{coupon_id:int}")
async def read_coupon(request: Request) -> Response:
    """GET /coupons/<id>."""
    checked_args(request, ITEM_ARGS)
    authorize(request, "read")
    sandbox = sandbox_of(request)
    doc = sandbox.coupons.get(request.path_params["coupon_id"])
    return one(request, sandbox.coupons.render(doc, base_url_of(request)))


@router.delete("/coupons/{coupon_id:int}")
async def delete_coupon(request: Request) -> Response:
    """DELETE /coupons/<id>."""
    force = is_forced(request)
    authorize(request, "delete")
    sandbox = sandbox_of(request)
    doc = sandbox.coupons.delete(request.path_params["coupon_id"], force=force)
    return one(request, sandbox.coupons.render(doc, base_url_of(request)))
