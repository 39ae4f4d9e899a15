"""Which order webhooks a store needs, what state they are in, and how to fix them.

StoreBridge subscribes each store to the topics in its ``webhook_topics``,
delivered to ``<public_url>/webhooks/woocommerce/<store>`` and named
``StoreBridge <store>``. `assess` compares that with the webhooks WooCommerce
lists and gives one `Subscription` per topic; `repairs` turns the states into
the changes that make them right. Both are pure: the I/O is in
`sync.setup.webhooks`.

A webhook counts as StoreBridge's when it carries the name or delivers to the
store's receiver URL. Facts of WooCommerce 10.0.2 this relies on:

* a webhook created through ``/wc/v3/webhooks`` gets API version wc/v3 (the
  controller sets it; the REST API never shows it back), and a secret WooCommerce
  invents when none is sent -- so StoreBridge always sends its own;
* the secret is write-only: nothing can tell whether a webhook still holds the
  configured one (a repair sends it again);
* after more than 5 failed deliveries in a row WooCommerce sets the status to
  ``disabled``; a PUT of ``status: active`` revives it, but keeps the failure
  count, so it is disabled again at its next failure unless a delivery succeeds;
* a webhook *created* with status ``disabled`` comes back ``active``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CreateWebhook",
    "ExistingWebhook",
    "Problem",
    "Repair",
    "Subscription",
    "UpdateWebhook",
    "assess",
    "delivery_url",
    "receiver_path",
    "repairs",
    "webhook_name",
]

#: What is wrong with one topic's subscription ("ok" when nothing is).
Problem = Literal["ok", "missing", "disabled", "paused", "wrong_url"]

_EXPLAIN: Mapping[Problem, str] = {
    "ok": "active",
    "missing": "no webhook",
    "disabled": "disabled by WooCommerce after failed deliveries",
    "paused": "paused in WooCommerce",
    "wrong_url": "delivers elsewhere",
}


def receiver_path(store: str) -> str:
    """The path of the store's webhook receiver on StoreBridge's web listener."""
    return f"/webhooks/woocommerce/{store}"


def delivery_url(public_url: str, store: str) -> str:
    """Where WooCommerce must deliver the store's webhooks."""
    return public_url.rstrip("/") + receiver_path(store)


def webhook_name(store: str) -> str:
    """The name StoreBridge gives the store's webhooks (shown in wp-admin)."""
    return f"StoreBridge {store}"


@dataclass(frozen=True, slots=True)
class ExistingWebhook:
    """A webhook as WooCommerce lists it (its secret is never shown)."""

    id: int
    name: str
    topic: str
    status: str
    delivery_url: str


@dataclass(frozen=True, slots=True)
class Subscription:
    """One needed topic and the webhook that serves it, if any."""

    topic: str
    problem: Problem
    webhook: ExistingWebhook | None = None
    #: Other StoreBridge webhooks of the same topic: each would deliver every event again.
    duplicates: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether this topic is delivered where it should be."""
        return self.problem == "ok"

    def describe(self) -> str:
        """One line for the operator, e.g. ``order.updated: disabled by WooCommerce ...``."""
        text = f"{self.topic}: {_EXPLAIN[self.problem]}"
        if self.webhook is not None:
            text += f" (#{self.webhook.id}"
            if self.problem == "wrong_url":
                text += f" → {self.webhook.delivery_url}"
            text += ")"
        if self.duplicates:
            ids = ", ".join(f"#{i}" for i in self.duplicates)
            text += f"; duplicates {ids} deliver the same events again"
        return text


def _ours(hook: ExistingWebhook, store: str, url: str | None) -> bool:
    if hook.name == webhook_name(store):
        return True
    if url is not None:
        return hook.delivery_url.rstrip("/") == url
    return hook.delivery_url.rstrip("/").endswith(receiver_path(store))


def _problem(hook: ExistingWebhook, url: str | None) -> Problem:
    if url is not None and hook.delivery_url.rstrip("/") != url:
        return "wrong_url"
    if hook.status == "disabled":
        return "disabled"
    if hook.status == "paused":
        return "paused"
    return "ok"


def _rank(hook: ExistingWebhook, url: str | None) -> tuple[int, int, int]:
    """Best first: delivering to the right URL, then active, then the oldest."""
    right_url = url is None or hook.delivery_url.rstrip("/") == url
    return (0 if right_url else 1, 0 if hook.status == "active" else 1, hook.id)


def assess(
    store: str,
    topics: Sequence[str],
    existing: Iterable[ExistingWebhook],
    *,
    public_url: str | None,
) -> list[Subscription]:
    """The state of each needed topic (`public_url` None: the URL cannot be checked)."""
    url = delivery_url(public_url, store) if public_url is not None else None
    ours = [hook for hook in existing if _ours(hook, store, url)]
    result: list[Subscription] = []
    for topic in topics:
        candidates = sorted((h for h in ours if h.topic == topic), key=lambda h: _rank(h, url))
        if not candidates:
            result.append(Subscription(topic, "missing"))
            continue
        best, *others = candidates
        result.append(Subscription(topic, _problem(best, url), best, tuple(h.id for h in others)))
    return result


@dataclass(frozen=True, slots=True)
class CreateWebhook:
    """Create the webhook of a topic (the secret is added by the caller)."""

    topic: str
    name: str
    delivery_url: str


@dataclass(frozen=True, slots=True)
class UpdateWebhook:
    """Change an existing webhook; `send_secret` re-sends the configured secret."""

    webhook_id: int
    topic: str
    changes: Mapping[str, str]
    send_secret: bool = False


Repair = CreateWebhook | UpdateWebhook


def repairs(
    store: str,
    subscriptions: Iterable[Subscription],
    *,
    public_url: str,
    resend_secret: bool = False,
) -> list[Repair]:
    """What makes every topic right: nothing at all when all are (install is idempotent).

    A missing topic is created; a disabled or paused webhook is re-activated; one
    delivering elsewhere is pointed at the receiver. With `resend_secret` every
    StoreBridge webhook also gets the configured secret again (after a rotation,
    or when deliveries fail their signature check). Duplicates are reported by
    `assess`, never deleted: StoreBridge deletes nothing in WooCommerce.
    """
    url = delivery_url(public_url, store)
    name = webhook_name(store)
    planned: list[Repair] = []
    for sub in subscriptions:
        hook = sub.webhook
        if hook is None:
            planned.append(CreateWebhook(sub.topic, name, url))
            continue
        changes: dict[str, str] = {}
        if hook.delivery_url.rstrip("/") != url:
            changes["delivery_url"] = url
        if hook.status != "active":
            changes["status"] = "active"
        if hook.name != name:
            changes["name"] = name
        if changes or resend_secret:
            planned.append(UpdateWebhook(hook.id, sub.topic, changes, send_secret=resend_secret))
    return planned
