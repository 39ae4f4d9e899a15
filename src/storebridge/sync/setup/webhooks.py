"""Read, install and repair a store's order webhooks through the wc/v3 REST API.

`webhook_status` lists the store's webhooks and judges each needed topic
(`domain.webhook_subscriptions.assess`); `install_webhooks` applies the
repairs that judgement implies and reads the result back. Installing twice
changes nothing the second time. The runner calls `check_webhooks` after each
reconcile: it logs a warning for every topic that is not delivered (a webhook
WooCommerce disabled after failed deliveries, most often) and records the
counts per state on the reconcile's run row, which the overview shows; a webhook
WooCommerce disabled also raises a ``webhook_disabled`` alert (`storebridge.alerts`),
cleared once it delivers again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from storebridge.alerts import WEBHOOK_DISABLED, clear_alert, open_alerts, raise_alert
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
    """The runner's periodic check: topics per state, a warning for each one not delivered,
    and the ``webhook_disabled`` alerts raised or cleared.

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
    _record_alerts(services, store, subscriptions)
    return counts


def _record_alerts(services: Services, store: str, subscriptions: list[Subscription]) -> None:
    """Raise a `webhook_disabled` alert per webhook WooCommerce disabled; clear the revived ones.

    Only WooCommerce's own action is alerted: a missing or paused webhook is a
    person's doing, shown by `webhooks status` and the overview.
    """
    disabled = {
        str(sub.webhook.id): sub
        for sub in subscriptions
        if sub.problem == "disabled" and sub.webhook is not None
    }
    with services.sessions.begin() as session:
        for key, sub in disabled.items():
            raise_alert(
                session,
                kind=WEBHOOK_DISABLED,
                store=store,
                key=key,
                message=f"webhook #{key} ({sub.topic}) was disabled by WooCommerce after failed "
                f"deliveries; run storebridge webhooks repair --store {store}",
            )
        for alert in open_alerts(session, store=store):
            if alert.kind == WEBHOOK_DISABLED and alert.key not in disabled:
                clear_alert(session, kind=WEBHOOK_DISABLED, store=store, key=alert.key)


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
