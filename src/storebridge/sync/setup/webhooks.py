"""Read, install and repair a store's order webhooks through the wc/v3 REST API.

`webhook_status` lists the store's webhooks and judges each needed topic
(`domain.webhook_subscriptions.assess`); `install_webhooks` applies the
repairs that judgement implies and reads the result back. Installing twice
changes nothing the second time. The runner calls `check_webhooks` after each
reconcile: it logs a warning for every topic that is not delivered (a webhook
WooCommerce disabled after failed deliveries, most often) and records the
counts per state on the reconcile's run row, which the overview shows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from storebridge.bootstrap import Services
from storebridge.domain.webhook_subscriptions import (
    CreateWebhook,
    ExistingWebhook,
    Repair,
    Subscription,
    assess,
    repairs,
)
from storebridge.errors import ConfigError
from storebridge.woocommerce import WooClient
from storebridge.woocommerce.errors import WooError

__all__ = [
    "WEBHOOK_COUNT_PREFIX",
    "WebhookChanges",
    "check_webhooks",
    "configured_public_url",
    "install_webhooks",
    "read_subscriptions",
    "webhook_status",
]

#: Run-log counts of the webhook check: ``webhooks_ok``, ``webhooks_disabled``...
WEBHOOK_COUNT_PREFIX = "webhooks_"

logger = logging.getLogger("storebridge.webhooks")


def configured_public_url(services: Services, public_url: str | None = None) -> str | None:
    """`public_url` when given, else ``[web] public_url`` (without a trailing slash)."""
    chosen = public_url or services.settings.web.public_url
    return chosen.rstrip("/") if chosen else None


async def read_subscriptions(
    woo: WooClient, store: str, topics: tuple[str, ...], public_url: str | None
) -> list[Subscription]:
    """The state of each topic the store needs, from one listing of its webhooks."""
    existing = [
        ExistingWebhook(h.id, h.name, h.topic, h.status, h.delivery_url)
        for h in await woo.list_webhooks(status="all")
    ]
    return assess(store, topics, existing, public_url=public_url)


async def webhook_status(
    services: Services, store: str, public_url: str | None = None
) -> list[Subscription]:
    """The store's order webhooks, judged (read only)."""
    store_services = services.store(store)
    url = configured_public_url(services, public_url)
    async with store_services.woo() as woo:
        return await read_subscriptions(woo, store, store_services.settings.webhook_topics, url)


async def check_webhooks(services: Services, store: str) -> dict[str, int]:
    """The runner's periodic check: topics per state, and a warning for each one not delivered.

    A store without ``webhook_secret`` does not use webhooks: nothing is checked.
    A WooCommerce failure is logged and gives no counts; it never fails the job.
    """
    if services.store(store).settings.webhook_secret is None:
        return {}
    try:
        subscriptions = await webhook_status(services, store)
    except WooError as error:
        logger.warning("store %s: cannot check the webhooks: %s", store, error)
        return {}
    counts: dict[str, int] = {}
    for sub in subscriptions:
        key = WEBHOOK_COUNT_PREFIX + sub.problem
        counts[key] = counts.get(key, 0) + 1
        if not sub.ok:
            logger.warning(
                "store %s: webhook %s; run storebridge webhooks repair --store %s",
                store,
                sub.describe(),
                store,
            )
    return counts


@dataclass
class WebhookChanges:
    """What `install_webhooks` did: the changes sent, and the state read back after."""

    applied: list[str] = field(default_factory=list)
    after: list[Subscription] = field(default_factory=list)


def _describe(repair: Repair) -> str:
    if isinstance(repair, CreateWebhook):
        return f"created {repair.topic} → {repair.delivery_url}"
    parts = [f"{key} → {value}" for key, value in sorted(repair.changes.items())]
    if repair.send_secret:
        parts.append("secret sent again")
    return f"updated {repair.topic} (#{repair.webhook_id}): {', '.join(parts)}"


async def install_webhooks(
    services: Services, store: str, public_url: str | None = None, *, resend_secret: bool = False
) -> WebhookChanges:
    """Create the missing webhooks and fix the others (`resend_secret`: `webhooks repair`).

    Raises:
        ConfigError: no public URL is known, or the store has no ``webhook_secret``.
        WooError: WooCommerce refused a change (earlier changes stay made).
    """
    store_services = services.store(store)
    url = configured_public_url(services, public_url)
    if url is None:
        raise ConfigError(
            "no public URL: pass --public-url (the address WooCommerce reaches this "
            "StoreBridge at) or set public_url in [web]"
        )
    secret = store_services.settings.webhook_secret
    if secret is None or not secret.get_secret_value():
        raise ConfigError(
            f"[stores.{store}] has no webhook_secret: set one (a long random string, letters "
            "and digits) before installing webhooks"
        )
    topics = store_services.settings.webhook_topics
    changes = WebhookChanges()
    async with store_services.woo() as woo:
        before = await read_subscriptions(woo, store, topics, url)
        for repair in repairs(store, before, public_url=url, resend_secret=resend_secret):
            if isinstance(repair, CreateWebhook):
                # Always our own secret: without one WooCommerce invents a secret we never see.
                await woo.create_webhook(
                    name=repair.name,
                    topic=repair.topic,
                    delivery_url=repair.delivery_url,
                    secret=secret,
                )
            else:
                payload = dict(repair.changes)
                if repair.send_secret:
                    payload["secret"] = secret.get_secret_value()
                await woo.update_webhook(repair.webhook_id, payload)
            changes.applied.append(_describe(repair))
            logger.info("store %s: webhook %s", store, _describe(repair))
        changes.after = await read_subscriptions(woo, store, topics, url)
    return changes
