"""Webhook subscriptions: `/webhooks` CRUD and the topic table.

A webhook has a topic (`order.updated`...), a delivery URL (http or https
only) and a secret that is never echoed back. `hooks` lists the WordPress
actions behind the topic, as WooCommerce reports them. Delivery outcomes are
recorded here: a success resets the failure count, and a failure while the
count is already above the maximum (5) disables the webhook, i.e. the 7th
consecutive failure. Re-activating a webhook (PUT status active) keeps the
count, as `WC_Webhook::set_status` does: until a delivery succeeds, the next
failure disables it again. Deliveries also bump `date_modified` (golden 136).
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from storebridge.sandbox.clock import Clock, from_stored, stored
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError, invalid_id, trash_not_supported
from storebridge.sandbox.listing import ListQuery, Page, Where
from storebridge.sandbox.schema import PAGING, Arg
from storebridge.sandbox.ties import TieOrder
from storebridge.sandbox.urls import links

Doc = dict[str, Any]

TOPIC_HOOKS: dict[str, list[str]] = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": [
        "user_register",
        "woocommerce_created_customer",
        "woocommerce_new_customer",
    ],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}
WEBHOOK_STATUSES = ("active", "paused", "disabled")

WEBHOOK_WRITE_ARGS: dict[str, Arg] = {
    "name": Arg("string"),
    "status": Arg("string", enum=WEBHOOK_STATUSES),
    "topic": Arg("string"),
    "delivery_url": Arg("string"),
    "secret": Arg("string"),
}

WEBHOOK_LIST_ARGS: dict[str, Arg] = {
    **PAGING,
    "status": Arg("string", enum=("all", *WEBHOOK_STATUSES)),
    "orderby": Arg("string", enum=("date", "id", "title")),
}


def valid_topic(topic: str) -> bool:
    """wc_is_webhook_valid_topic()."""
    return topic in TOPIC_HOOKS or (topic.startswith("action.") and len(topic) > len("action."))


def topic_hooks(topic: str) -> list[str]:
    """The WordPress hooks behind a topic."""
    return TOPIC_HOOKS.get(topic, [topic.removeprefix("action.")])


class WebhookStore:
    """Webhook subscriptions in SQLite."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def find(self, webhook_id: int) -> Doc | None:
        """A webhook by id, or None."""
        row = self._db.one("SELECT doc FROM webhooks WHERE id = ?", (webhook_id,))
        return loads(row["doc"]) if row is not None else None

    def get(self, webhook_id: int) -> Doc:
        """A webhook, or 404."""
        doc = self.find(webhook_id)
        if doc is None:
            raise invalid_id("shop_webhook", 404)
        return doc

    def create(self, payload: dict[str, Any]) -> Doc:
        """POST /webhooks (the ping is sent by the caller)."""
        topic = str(payload.get("topic") or "").lower()
        if not valid_topic(topic):
            raise _bad_topic()
        url = str(payload.get("delivery_url") or "")
        if not _valid_url(url):
            raise _bad_url()
        now = self._clock()
        name = payload.get("name") or "Webhook created on " + now.strftime("%b %d, %Y @ %I:%M %p")
        secret = payload.get("secret") or "".join(
            secrets.choice(string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|")
            for _ in range(50)
        )
        doc: Doc = {
            "name": str(name),
            # A new webhook is active whatever status was asked for (golden 210);
            # a PUT can disable it afterwards.
            "status": "active",
            "topic": topic,
            "delivery_url": url,
            "secret": str(secret),
            "date_created": stored(now),
            "date_modified": None,
            "failure_count": 0,
        }
        with self._db.transaction():
            doc["id"] = self._db.next_id("webhook")
            self._db.execute(
                "INSERT INTO webhooks(id, status, topic, date_created_gmt, doc) VALUES (?, ?, ?, ?, ?)",
                (doc["id"], doc["status"], topic, doc["date_created"], dumps(doc)),
            )
        return doc

    def update(self, webhook_id: int, payload: dict[str, Any]) -> Doc:
        """PUT /webhooks/<id>."""
        doc = self.get(webhook_id)
        if "topic" in payload:
            topic = str(payload["topic"] or "").lower()
            if not valid_topic(topic):
                raise _bad_topic()
            doc["topic"] = topic
        if "delivery_url" in payload:
            if not _valid_url(str(payload["delivery_url"] or "")):
                raise _bad_url()
            doc["delivery_url"] = str(payload["delivery_url"])
        for key in ("name", "secret"):
            if payload.get(key):
                doc[key] = str(payload[key])
        if payload.get("status"):
            doc["status"] = payload["status"]
        doc["date_modified"] = stored(self._clock())
        self._save(doc)
        return doc

    def delete(self, webhook_id: int, *, force: bool) -> Doc:
        """DELETE /webhooks/<id>?force=true."""
        doc = self.get(webhook_id)
        if not force:
            raise trash_not_supported("Webhooks do not support trashing.")
        self._db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))
        return copy.deepcopy(doc)

    def query(self, args: dict[str, Any], *, ties: TieOrder) -> Page[Doc]:
        """GET /webhooks."""
        query = ListQuery.from_args(args)
        where = Where()
        status = args.get("status") or "all"
        if status != "all":
            where.add("status = ?", status)
        if query.search:
            where.add("json_extract(doc, '$.name') LIKE ?", f"%{query.search}%")
        query.add_common(
            where, created="date_created_gmt", modified="date_created_gmt", id_column="id"
        )
        # The webhook data store sorts by the one column asked for: ties are in no set order.
        order = query.order_sql(
            {"date": "date_created_gmt", "id": "id", "title": "json_extract(doc, '$.name')"},
            id_column="id",
            ties=ties,
        )
        limit, offset = query.limit_offset()
        count = self._db.one(
            f"SELECT COUNT(*) AS n FROM webhooks WHERE {where.sql()}", tuple(where.params)
        )
        rows = self._db.all(
            f"SELECT doc FROM webhooks WHERE {where.sql()} ORDER BY {order} LIMIT ? OFFSET ?",
            (*where.params, limit, offset),
        )
        total = int(count["n"]) if count is not None else 0
        return Page([loads(row["doc"]) for row in rows], total, query.page, query.per_page)

    def active_for(self, topic: str) -> list[Doc]:
        """Active webhooks subscribed to a topic."""
        rows = self._db.all(
            "SELECT doc FROM webhooks WHERE topic = ? AND status = 'active' ORDER BY id", (topic,)
        )
        return [loads(row["doc"]) for row in rows]

    def record_delivery(self, webhook_id: int, *, success: bool, max_failures: int) -> None:
        """WC_Webhook::log_delivery(): count failures, disable after too many."""
        with self._db.transaction():
            doc = self.find(webhook_id)
            if doc is None:
                return
            if success:
                doc["failure_count"] = 0
            elif doc["failure_count"] > max_failures:
                doc["status"] = "disabled"
            else:
                doc["failure_count"] += 1
            doc["date_modified"] = stored(self._clock())
            self._save(doc)

    @staticmethod
    def render(doc: Doc, base_url: str) -> dict[str, Any]:
        """A webhook as the REST API returns it (never with its secret)."""
        resource, _, event = doc["topic"].partition(".")
        modified = from_stored(doc["date_modified"])
        return {
            "id": doc["id"],
            "name": doc["name"],
            "status": doc["status"],
            "topic": doc["topic"],
            "resource": resource,
            "event": event,
            "hooks": topic_hooks(doc["topic"]),
            "delivery_url": doc["delivery_url"],
            "date_created": doc["date_created"],
            "date_created_gmt": doc["date_created"],
            "date_modified": doc["date_modified"] if modified else None,
            "date_modified_gmt": doc["date_modified"] if modified else None,
            "_links": links(base_url, f"/webhooks/{doc['id']}", "/webhooks"),
        }

    def _save(self, doc: Doc) -> None:
        self._db.execute(
            "UPDATE webhooks SET status = ?, topic = ?, doc = ? WHERE id = ?",
            (doc["status"], doc["topic"], dumps(doc), doc["id"]),
        )


def _valid_url(url: str) -> bool:
    return url.startswith(("http://", "https://")) and len(url) > len("https://")


def _bad_topic() -> WooError:
    return WooError(
        "woocommerce_rest_shop_webhook_invalid_topic",
        "Webhook topic is required and must be valid.",
        400,
    )


def _bad_url() -> WooError:
    return WooError(
        "woocommerce_rest_shop_webhook_invalid_delivery_url",
        "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        400,
    )
