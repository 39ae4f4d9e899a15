"""Routes of /products/categories, /products/tags and /coupons (the minimal ones)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from storebridge.sandbox.routes.resource import Doc, Items, Resource, add_resource_routes
from storebridge.sandbox.schema import PAGING, Arg

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

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


def _term_resource(kind: str, taxonomy: str) -> Resource:
    """One taxonomy (categories or tags); terms cannot be trashed (`TermStore.delete`)."""

    def listing(sandbox: Sandbox, args: dict[str, Any]) -> list[Doc]:
        orderby, descending = str(args.get("orderby") or "name"), args.get("order") == "desc"
        return sandbox.terms.all(
            taxonomy, orderby=orderby, descending=descending, ties=sandbox.ties
        )

    def render(sandbox: Sandbox, doc: Doc, base: str) -> dict[str, Any]:
        return sandbox.terms.render(taxonomy, doc, base)

    def render_deleted(sandbox: Sandbox, doc: Doc, base: str) -> dict[str, Any]:
        rendered = render(sandbox, doc, base)
        # The answer to a DELETE carries no targetHints (golden 163).
        rendered["_links"]["self"][0].pop("targetHints", None)
        return rendered

    return Resource(
        Items(
            path=f"/products/{kind}",
            read=lambda sandbox, term_id: sandbox.terms.get(taxonomy, term_id),
            delete=lambda sandbox, term_id, force: sandbox.terms.delete(
                taxonomy, term_id, force=force
            ),
            render=render,
            render_deleted=render_deleted,
            checks_item_args=False,
        ),
        list_args=TERM_LIST_ARGS,
        listing=listing,
        create=lambda sandbox, body: sandbox.terms.create(taxonomy, body),
    )


def _coupons(sandbox: Sandbox, args: dict[str, Any]) -> list[Doc]:
    coupons = sandbox.coupons.all()
    if args.get("code"):
        coupons = [c for c in coupons if c["code"] == str(args["code"]).lower()]
    return coupons


for _kind, _taxonomy in TAXONOMIES.items():
    add_resource_routes(router, _term_resource(_kind, _taxonomy))
add_resource_routes(
    router,
    Resource(
        Items(
            path="/coupons",
            read=lambda sandbox, coupon_id: sandbox.coupons.get(coupon_id),
            delete=lambda sandbox, coupon_id, force: sandbox.coupons.delete(coupon_id, force=force),
            render=lambda sandbox, doc, base: sandbox.coupons.render(doc, base),
        ),
        list_args={**PAGING, "code": PAGING["search"]},
        listing=_coupons,
        create=lambda sandbox, body: sandbox.coupons.create(body),
    ),
)
