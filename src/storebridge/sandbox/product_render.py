"""Products and variations as the REST API shows them.

Write answers and `context=edit` show raw descriptions plus `generated_slug`
and `permalink_template`; `context=view` (every GET by default, and webhook
payloads) wpautop's the descriptions. A variation read through `/products`
takes the product shape (type "variation", full name, string total_sales);
through `/products/<id>/variations` it takes the variation shape. Variable
parents derive price, on-sale state and stock status from their children.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from storebridge.sandbox.formatting import sanitize_title, wpautop
from storebridge.sandbox.pricing import (
    active_price,
    children_stock_status,
    is_on_sale,
    lowest,
    price_html,
    range_price_html,
)
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.urls import links

Doc = dict[str, Any]


class ProductRenderer:
    """Builds product and variation JSON from stored documents."""

    def __init__(self, products: ProductStore) -> None:
        self._products = products

    def product(self, doc: Doc, base_url: str, *, context: str = "view") -> dict[str, Any]:
        """The /products shape (also for a variation read through /products)."""
        if doc["type"] == "variation":
            return self._variation_as_product(doc, base_url, context)
        now = self._products.clock()
        children = self._products.children(doc["id"]) if doc["type"] == "variable" else []
        if doc["type"] == "variable":
            child_prices = [p for p in (active_price(c, now) for c in children) if p != ""]
            price = lowest(child_prices)
            on_sale = any(is_on_sale(child, now) for child in children)
            html = range_price_html(
                child_prices, [c["regular_price"] for c in children if c["regular_price"]], on_sale
            )
        else:
            price, on_sale, html = (
                active_price(doc, now),
                is_on_sale(doc, now),
                price_html(doc, now),
            )
        stock_status = doc["stock_status"]
        if doc["type"] == "variable" and not doc["manage_stock"]:
            stock_status = children_stock_status([self._stock(c)[2] for c in children])
        body = self._common(doc, base_url, context, price=price, on_sale=on_sale)
        body.update(
            categories=self._products.terms.refs("product_cat", doc["category_ids"]),
            brands=[],
            tags=self._products.terms.refs("product_tag", doc["tag_ids"]),
            images=list(doc["images"]),
            attributes=list(doc["attributes"]),
            default_attributes=list(doc["default_attributes"]),
            variations=[child["id"] for child in children],
            grouped_products=[],
            menu_order=doc["menu_order"],
            price_html=html,
            related_ids=[],
            meta_data=list(doc["meta_data"]),
            stock_status=stock_status,
            has_options=doc["type"] == "variable",
            post_password=doc["post_password"],
            global_unique_id=doc["global_unique_id"],
        )
        self._edit_extras(body, doc, base_url, context)
        body["_links"] = links(base_url, f"/products/{doc['id']}", "/products")
        return body

    def variation(self, doc: Doc, base_url: str, *, context: str = "view") -> dict[str, Any]:
        """The /products/<id>/variations shape."""
        now = self._products.clock()
        parent = self._products.find(doc["parent_id"]) or {}
        manage, quantity, stock_status = self._stock(doc)
        backorders = parent.get("backorders", "no") if manage == "parent" else doc["backorders"]
        description = doc["description"] if context == "edit" else wpautop(doc["description"])
        pid = doc["parent_id"]
        return {
            "id": doc["id"],
            "type": "variation",
            "date_created": doc["date_created"],
            "date_created_gmt": doc["date_created"],
            "date_modified": doc["date_modified"],
            "date_modified_gmt": doc["date_modified"],
            "description": description,
            "permalink": self.permalink(doc, base_url),
            "sku": doc["sku"] or parent.get("sku", ""),
            "global_unique_id": doc["global_unique_id"],
            "price": active_price(doc, now),
            "regular_price": doc["regular_price"],
            "sale_price": doc["sale_price"],
            **_sale_dates(doc),
            "on_sale": is_on_sale(doc, now),
            "status": doc["status"],
            "purchasable": active_price(doc, now) != "",
            "virtual": doc["virtual"],
            "downloadable": doc["downloadable"],
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "tax_status": doc["tax_status"],
            "tax_class": doc["tax_class"] if context == "edit" else _view_tax_class(doc),
            "manage_stock": manage,
            "stock_quantity": quantity,
            "stock_status": stock_status,
            "backorders": backorders,
            "backorders_allowed": backorders in ("yes", "notify"),
            "backordered": stock_status == "onbackorder",
            "low_stock_amount": doc["low_stock_amount"],
            "weight": doc["weight"],
            "dimensions": dict(doc["dimensions"]),
            "shipping_class": doc["shipping_class"],
            "shipping_class_id": 0,
            "image": doc.get("image"),
            "attributes": self.variation_attributes(doc),
            "menu_order": doc["menu_order"],
            "meta_data": list(doc["meta_data"]),
            "name": ", ".join(str(a["option"]) for a in doc["attributes"]),
            "parent_id": pid,
            "_links": links(
                base_url,
                f"/products/{pid}/variations/{doc['id']}",
                f"/products/{pid}/variations",
                up=f"/products/{pid}",
            ),
        }

    def permalink(self, doc: Doc, base_url: str) -> str:
        """The storefront URL of a product or variation."""
        if doc["type"] == "variation":
            parent = self._products.find(doc["parent_id"]) or {"slug": "", "status": "draft"}
            query = "&".join(
                f"attribute_{sanitize_title(a['name'])}={quote(str(a['option']))}"
                for a in doc["attributes"]
            )
            if parent["status"] == "publish" and parent["slug"]:
                return f"{base_url}/product/{parent['slug']}/" + (f"?{query}" if query else "")
            return f"{base_url}/?post_type=product&p={doc['parent_id']}" + (
                f"&{query}" if query else ""
            )
        if doc["status"] == "publish" and doc["slug"]:
            return f"{base_url}/product/{doc['slug']}/"
        return f"{base_url}/?post_type=product&p={doc['id']}"

    def variation_attributes(self, doc: Doc) -> list[dict[str, Any]]:
        """`[{id, name, slug, option}]` of a variation."""
        return [
            {
                "id": a.get("id", 0),
                "name": a["name"],
                "slug": sanitize_title(a["name"]),
                "option": a["option"],
            }
            for a in doc["attributes"]
        ]

    def _variation_as_product(self, doc: Doc, base_url: str, context: str) -> dict[str, Any]:
        now = self._products.clock()
        manage, quantity, stock_status = self._stock(doc)
        body = self._common(
            doc,
            base_url,
            context,
            price=active_price(doc, now),
            on_sale=is_on_sale(doc, now),
            manage=manage,
            quantity=quantity,
        )
        body["total_sales"] = str(body["total_sales"])
        if context != "edit" and not doc["sku"]:
            # In view context a variation without a SKU of its own shows its parent's.
            parent = self._products.find(doc["parent_id"]) or {}
            body["sku"] = parent.get("sku", "")
        body.update(
            categories=[],
            brands=[],
            tags=[],
            images=[],
            attributes=self.variation_attributes(doc),
            default_attributes=[],
            variations=[],
            grouped_products=[],
            menu_order=doc["menu_order"],
            price_html=price_html(doc, now),
            related_ids=[],
            meta_data=list(doc["meta_data"]),
            stock_status=stock_status,
            has_options=False,
            post_password=doc["post_password"],
            global_unique_id=doc["global_unique_id"],
        )
        self._edit_extras(body, doc, base_url, context)
        body["_links"] = links(
            base_url, f"/products/{doc['id']}", "/products", up=f"/products/{doc['parent_id']}"
        )
        return body

    def _common(
        self,
        doc: Doc,
        base_url: str,
        context: str,
        *,
        price: str,
        on_sale: bool,
        manage: bool | str | None = None,
        quantity: int | None = None,
    ) -> dict[str, Any]:
        view = context != "edit"
        backorders = doc["backorders"]
        return {
            "id": doc["id"],
            "name": doc["name"],
            "slug": doc["slug"],
            "permalink": self.permalink(doc, base_url),
            "date_created": doc["date_created"],
            "date_created_gmt": doc["date_created"],
            "date_modified": doc["date_modified"],
            "date_modified_gmt": doc["date_modified"],
            "type": doc["type"],
            "status": doc["status"],
            "featured": doc["featured"],
            "catalog_visibility": doc["catalog_visibility"],
            "description": wpautop(doc["description"]) if view else doc["description"],
            "short_description": (
                wpautop(doc["short_description"]) if view else doc["short_description"]
            ),
            "sku": doc["sku"],
            "price": price,
            "regular_price": doc["regular_price"],
            "sale_price": doc["sale_price"],
            **_sale_dates(doc),
            "on_sale": on_sale,
            "purchasable": price != "",
            "total_sales": int(doc.get("total_sales") or 0),
            "virtual": doc["virtual"],
            "downloadable": doc["downloadable"],
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "external_url": doc["external_url"],
            "button_text": doc["button_text"],
            "tax_status": doc["tax_status"],
            "tax_class": _view_tax_class(doc),
            "manage_stock": doc["manage_stock"] if manage is None else manage,
            "stock_quantity": doc["stock_quantity"] if manage is None else quantity,
            "backorders": backorders,
            "backorders_allowed": backorders in ("yes", "notify"),
            "backordered": doc["stock_status"] == "onbackorder",
            "low_stock_amount": doc["low_stock_amount"],
            "sold_individually": doc["sold_individually"],
            "weight": doc["weight"],
            "dimensions": dict(doc["dimensions"]),
            "shipping_required": not doc["virtual"],
            "shipping_taxable": not doc["virtual"] and doc["tax_status"] in ("taxable", "shipping"),
            "shipping_class": doc["shipping_class"],
            "shipping_class_id": 0,
            "reviews_allowed": doc["reviews_allowed"],
            "average_rating": "0.00" if view else "0",
            "rating_count": 0,
            "upsell_ids": list(doc["upsell_ids"]),
            "cross_sell_ids": list(doc["cross_sell_ids"]),
            "parent_id": doc["parent_id"],
            "purchase_note": doc["purchase_note"],
        }

    def _edit_extras(self, body: dict[str, Any], doc: Doc, base_url: str, context: str) -> None:
        if context == "edit":
            body["permalink_template"] = f"{base_url}/product/%pagename%/"
            slug = doc["slug"].removesuffix("__trashed")
            body["generated_slug"] = slug or self._products.unique_slug(
                sanitize_title(doc["name"]) or str(doc["id"]), doc["id"]
            )

    def _stock(self, doc: Doc) -> tuple[bool | str, int | None, str]:
        """(manage_stock, stock_quantity, stock_status) as shown, resolving "parent"."""
        if doc["type"] != "variation" or doc["manage_stock"]:
            return doc["manage_stock"], doc["stock_quantity"], doc["stock_status"]
        parent = self._products.find(doc["parent_id"])
        if parent is not None and parent["manage_stock"]:
            return "parent", parent["stock_quantity"], parent["stock_status"]
        return False, None, doc["stock_status"]


def _sale_dates(doc: Doc) -> dict[str, str | None]:
    start, end = doc.get("date_on_sale_from"), doc.get("date_on_sale_to")
    return {
        "date_on_sale_from": start,
        "date_on_sale_from_gmt": start,
        "date_on_sale_to": end,
        "date_on_sale_to_gmt": end,
    }


def _view_tax_class(doc: Doc) -> str:
    """In view context a variation's "parent" tax class shows as the parent's (empty)."""
    return "" if doc["tax_class"] == "parent" else str(doc["tax_class"])
