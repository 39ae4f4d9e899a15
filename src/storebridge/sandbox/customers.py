"""Customers: WordPress users with the `customer` role.

E-mail is required and unique case-insensitively across users (the error
echoes the caller's casing); `?email=` matches exactly, ignoring case. A
partial billing/shipping object on update merges into the stored address.
Customers cannot be trashed: DELETE needs force.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError, missing_params, trash_not_supported
from storebridge.sandbox.events import Announcer
from storebridge.sandbox.listing import ListQuery, Page, Where
from storebridge.sandbox.product_write import upsert_meta
from storebridge.sandbox.schema import PAGING, Arg, is_email
from storebridge.sandbox.ties import TieOrder
from storebridge.sandbox.urls import ITEM_METHODS, links

Doc = dict[str, Any]

BILLING_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "postcode",
    "country",
    "state",
    "email",
    "phone",
)
SHIPPING_FIELDS = tuple(field for field in BILLING_FIELDS if field != "email")

CUSTOMER_WRITE_ARGS: dict[str, Arg] = {
    "email": Arg("string", format="email"),
    "first_name": Arg("string"),
    "last_name": Arg("string"),
    "username": Arg("string"),
    "password": Arg("string"),
    "billing": Arg("object"),
    "shipping": Arg("object"),
    "meta_data": Arg("array"),
}

CUSTOMER_LIST_ARGS: dict[str, Arg] = {
    **PAGING,
    "email": Arg("string", format="email"),  # golden 207: rest_invalid_param
    "role": Arg("string"),
    "orderby": Arg("string", enum=("id", "include", "name", "registered_date")),
}


class CustomerStore:
    """Customers in SQLite."""

    def __init__(self, db: Database, clock: Clock, announce: Announcer) -> None:
        self._db = db
        self._clock = clock
        self._announce = announce

    def find(self, customer_id: int) -> Doc | None:
        """A customer by id, or None."""
        row = self._db.one("SELECT doc FROM customers WHERE id = ?", (customer_id,))
        return loads(row["doc"]) if row is not None else None

    def get(self, customer_id: int) -> Doc:
        """A customer, or 404."""
        doc = self.find(customer_id)
        if doc is None:
            raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return doc

    def create(self, payload: dict[str, Any]) -> Doc:
        """POST /customers."""
        if payload.get("id"):
            raise WooError(
                "woocommerce_rest_customer_exists", "Cannot create existing resource.", 400
            )
        email = str(payload.get("email") or "").strip()
        if not email:
            raise missing_params(["email"])
        if not is_email(email):
            raise WooError("customer_invalid_email", "Invalid email address", 400)  # golden 206
        if self._db.one("SELECT 1 FROM customers WHERE email_key = ?", (email.lower(),)):
            raise WooError(
                "registration-error-email-exists",
                f"An account is already registered with {email}. Please log in or use a "
                "different email address.",
                400,
            )
        username = str(payload.get("username") or "").strip() or self._username_for(email)
        if self._db.one("SELECT 1 FROM customers WHERE username_key = ?", (username.lower(),)):
            raise WooError(
                "registration-error-username-exists",
                "An account is already registered with that username. Please choose another.",
                400,
            )
        when = stored(self._clock())
        doc: Doc = {
            "date_created": when,
            "date_modified": when,
            "email": email,
            "first_name": "",
            "last_name": "",
            "role": "customer",
            "username": username,
            "billing": dict.fromkeys(BILLING_FIELDS, ""),
            "shipping": dict.fromkeys(SHIPPING_FIELDS, ""),
            "is_paying_customer": False,
            "meta_data": [],
        }
        with self._db.transaction():
            doc["id"] = self._db.next_id("user")
            if not payload.get("password"):
                # WooCommerce generates the password and flags the nag (golden 113).
                doc["meta_data"].append(
                    {"id": self._db.next_id("meta"), "key": "default_password_nag", "value": "1"}
                )
            self._apply(doc, payload)
            self._db.execute(
                "INSERT INTO customers(id, email_key, username_key, display_name, "
                "date_created_gmt, doc) VALUES (?, ?, ?, ?, ?, ?)",
                (doc["id"], email.lower(), username.lower(), username, when, dumps(doc)),
            )
            self._announce("customer", "created", doc["id"])
        return doc

    def update(self, customer_id: int, payload: dict[str, Any]) -> Doc:
        """PUT /customers/<id>."""
        doc = self.get(customer_id)
        email = payload.get("email")
        if email and str(email).lower() != doc["email"].lower():
            taken = self._db.one(
                "SELECT 1 FROM customers WHERE email_key = ? AND id != ?",
                (str(email).lower(), customer_id),
            )
            if taken:
                raise WooError(
                    "woocommerce_rest_customer_invalid_email", "Email address is invalid.", 400
                )
            doc["email"] = str(email)
        username = payload.get("username")
        if username and username != doc["username"]:
            raise WooError(
                "woocommerce_rest_customer_invalid_argument", "Username isn't editable.", 400
            )
        with self._db.transaction():
            self._apply(doc, payload)
            doc["date_modified"] = stored(self._clock())
            self._save(doc)
            self._announce("customer", "updated", customer_id)
        return doc

    def delete(self, customer_id: int, *, force: bool) -> Doc:
        """DELETE /customers/<id>?force=true."""
        doc = self.get(customer_id)
        if not force:
            raise trash_not_supported("Customers do not support trashing.")
        before = copy.deepcopy(doc)
        before["date_modified"] = stored(self._clock())
        with self._db.transaction():
            self._db.execute("DELETE FROM customers WHERE id = ?", (customer_id,))
            self._announce("customer", "deleted", customer_id)
        return before

    def query(self, args: dict[str, Any], *, ties: TieOrder) -> Page[Doc]:
        """GET /customers (role defaults to customer, which every sandbox user is)."""
        query = ListQuery.from_args(args, orderby="name", order="asc")
        where = Where()
        if args.get("role") not in (None, "", "all", "customer"):
            where.add("0")
        if args.get("email"):
            where.add("email_key = ?", str(args["email"]).strip().lower())
        if query.search:
            term = f"%{query.search.strip('*')}%"
            where.add("(email_key LIKE ? OR username_key LIKE ? OR doc LIKE ?)", term, term, term)
        query.add_common(
            where, created="date_created_gmt", modified="date_created_gmt", id_column="id"
        )
        columns = {"date": "date_created_gmt", "id": "id", "name": "display_name"}
        # WP_User_Query breaks no tie of `name` or `registered_date`.
        order = query.order_sql(
            columns | {"registered_date": "date_created_gmt"}, id_column="id", ties=ties
        )
        limit, offset = query.limit_offset()
        count = self._db.one(
            f"SELECT COUNT(*) AS n FROM customers WHERE {where.sql()}", tuple(where.params)
        )
        rows = self._db.all(
            f"SELECT doc FROM customers WHERE {where.sql()} ORDER BY {order} LIMIT ? OFFSET ?",
            (*where.params, limit, offset),
        )
        total = int(count["n"]) if count is not None else 0
        return Page([loads(row["doc"]) for row in rows], total, query.page, query.per_page)

    @staticmethod
    def render(doc: Doc, base_url: str, *, deleted: bool = False) -> dict[str, Any]:
        """A customer as the REST API returns it."""
        digest = hashlib.sha256(doc["email"].strip().lower().encode()).hexdigest()
        body = {
            "id": doc["id"],
            "date_created": doc["date_created"],
            "date_created_gmt": doc["date_created"],
            "date_modified": doc["date_modified"],
            "date_modified_gmt": doc["date_modified"],
            "email": doc["email"],
            "first_name": doc["first_name"],
            "last_name": doc["last_name"],
            "role": doc["role"],
            "username": doc["username"],
            "billing": dict(doc["billing"]),
            "shipping": dict(doc["shipping"]),
            "is_paying_customer": doc["is_paying_customer"],
            "avatar_url": f"https://secure.gravatar.com/avatar/{digest}?s=96&d=mm&r=g",
            "meta_data": list(doc["meta_data"]),
        }
        item = f"/customers/{doc['id']}"
        # The answer to a DELETE carries no targetHints (golden 159).
        body["_links"] = links(
            base_url, item, "/customers", allow=None if deleted else ITEM_METHODS
        )
        return body

    def _apply(self, doc: Doc, payload: dict[str, Any]) -> None:
        for key in ("first_name", "last_name"):
            if key in payload and payload[key] is not None:
                doc[key] = str(payload[key])
        for kind in ("billing", "shipping"):
            if isinstance(payload.get(kind), dict):
                for field, value in payload[kind].items():
                    if field in doc[kind]:
                        doc[kind][field] = "" if value is None else str(value)
        if isinstance(payload.get("meta_data"), list):
            upsert_meta(doc["meta_data"], payload["meta_data"], self._db)

    def _save(self, doc: Doc) -> None:
        self._db.execute(
            "UPDATE customers SET email_key = ?, doc = ? WHERE id = ?",
            (doc["email"].lower(), dumps(doc), doc["id"]),
        )

    def _username_for(self, email: str) -> str:
        """wc_create_new_customer_username(): the e-mail's local part; taken, it gets
        "-" and 4 random digits (golden 209: goldsmall-2260) until it is free."""
        base = re.sub(r"[^a-z0-9_.\-]", "", email.split("@")[0].lower()) or "customer"
        candidate = base
        while self._db.one("SELECT 1 FROM customers WHERE username_key = ?", (candidate,)):
            candidate = f"{base}-{secrets.randbelow(10_000):04d}"
        return candidate
