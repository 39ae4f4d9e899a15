"""Webhook delivery: queued, coalesced, built late, signed, sent by a worker.

Like WooCommerce's Action Scheduler queue, an event for a resource that
already has a pending delivery to the same webhook adds nothing: many changes
collapse into one delivery, and its payload is rendered when it is *sent*,
from the current state (so an `order.created` can already show "completed").
Bodies are PHP-style JSON; `X-WC-Webhook-Signature` is
base64(HMAC-SHA256(secret, raw body)). Failed deliveries are never retried.

A daemon thread sends deliveries after `webhook_delay_seconds`; `flush()`
sends everything pending right now, which tests use instead of waiting.

Webhook chaos (`FaultConfig`, read at each event so `PUT /_sandbox/faults`
takes effect at once): a delivery may be dropped (`webhook_drop_rate`), sent
twice (`webhook_duplicate_rate`, as when Action Scheduler runs an action
again), or held back a random extra delay (`webhook_max_extra_delay_seconds`)
so deliveries arrive out of order.  Each injected fault is reported through
`on_fault` ("webhook_drop", "webhook_duplicate", "webhook_delay"), and the
resources whose delivery was dropped are kept in `dropped`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from storebridge.sandbox.config import FaultConfig, SandboxConfig
from storebridge.sandbox.events import current_base_url
from storebridge.sandbox.formatting import php_json
from storebridge.sandbox.webhooks import WebhookStore

USER_AGENT = "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)"
DEFAULT_BASE_URL = "http://localhost"

# (resource, resource id, base url) -> the REST GET shape, or None when it is gone.
PayloadRenderer = Callable[[str, int, str], dict[str, Any] | None]


def sign(secret: str, body: bytes) -> str:
    """The X-WC-Webhook-Signature value for a raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Pending:
    """One queued delivery."""

    webhook_id: int
    resource: str
    event: str
    resource_id: int
    base_url: str
    due: float


class WebhookDispatcher:
    """Receives resource events and delivers them to subscribed webhooks."""

    def __init__(
        self,
        webhooks: WebhookStore,
        render: PayloadRenderer,
        config: SandboxConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        faults: Callable[[], FaultConfig] | None = None,
        on_fault: Callable[[str], None] | None = None,
    ) -> None:
        self._webhooks = webhooks
        self._render = render
        self._config = config
        # The live fault rates (the sandbox's injector), else the start-up ones.
        self._faults = faults or (lambda: config.faults)
        self._on_fault = on_fault or (lambda _kind: None)
        self._client = httpx.Client(
            transport=transport, timeout=config.webhook_timeout_seconds, follow_redirects=False
        )
        self._random = random.Random(config.faults.seed)
        self._pending: dict[tuple[int, int], Pending] = {}
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.log: deque[dict[str, Any]] = deque(maxlen=1000)
        #: (topic, resource id) of each delivery dropped by fault injection.
        self.dropped: deque[tuple[str, int]] = deque(maxlen=100_000)

    # -- the event side ----------------------------------------------------------------------

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """Queue deliveries for every active webhook on `resource.event`."""
        hooks = self._webhooks.active_for(f"{resource}.{event}")
        if not hooks:
            return
        base_url = self._config.site_url or current_base_url.get() or DEFAULT_BASE_URL
        due = time.monotonic() + self._config.webhook_delay_seconds
        extra = self._faults().webhook_max_extra_delay_seconds
        with self._cond:
            if extra > 0:
                due += self._random.uniform(0.0, extra)
                self._on_fault("webhook_delay")
            for hook in hooks:
                key = (int(hook["id"]), resource_id)
                if key not in self._pending:
                    self._pending[key] = Pending(
                        int(hook["id"]), resource, event, resource_id, base_url, due
                    )
            self._cond.notify_all()
        if self._config.webhook_auto_deliver:
            self._ensure_worker()

    def pending_count(self) -> int:
        """How many deliveries wait in the queue."""
        with self._cond:
            return len(self._pending)

    def flush(self) -> list[dict[str, Any]]:
        """Deliver everything pending now, in this thread; returns the records."""
        with self._cond:
            batch = sorted(self._pending.values(), key=lambda p: (p.due, p.webhook_id))
            self._pending.clear()
        return [self._deliver(item) for item in batch]

    def clear(self) -> None:
        """Forget pending deliveries and the log (sandbox reset)."""
        with self._cond:
            self._pending.clear()
        self.log.clear()
        self.dropped.clear()

    def ping(self, webhook: dict[str, Any]) -> dict[str, Any]:
        """The synchronous ping sent on create: form-encoded, unsigned, result ignored."""
        record: dict[str, Any] = {
            "webhook_id": webhook["id"],
            "topic": "ping",
            "delivery_url": webhook["delivery_url"],
            "body": f"webhook_id={webhook['id']}",
        }
        try:
            response = self._client.post(
                webhook["delivery_url"],
                content=record["body"].encode(),
                headers={
                    "User-Agent": USER_AGENT,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            record["status_code"] = response.status_code
        except httpx.HTTPError as error:
            record["error"] = type(error).__name__
        self.log.append(record)
        return record

    def close(self) -> None:
        """Stop the worker and close the HTTP client."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()

    # -- the delivery side -------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        with self._cond:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-webhooks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    now = time.monotonic()
                    due = [p for p in self._pending.values() if p.due <= now]
                    if due:
                        for item in due:
                            del self._pending[(item.webhook_id, item.resource_id)]
                        break
                    wait = min((p.due for p in self._pending.values()), default=now + 1) - now
                    self._cond.wait(timeout=max(wait, 0.01))
                if self._stopped:
                    return
            for item in sorted(due, key=lambda p: (p.due, p.webhook_id)):
                self._deliver(item)

    def _deliver(self, item: Pending) -> dict[str, Any]:
        record: dict[str, Any] = {
            "webhook_id": item.webhook_id,
            "topic": f"{item.resource}.{item.event}",
            "resource_id": item.resource_id,
        }
        hook = self._webhooks.find(item.webhook_id)
        if hook is None or hook["status"] != "active":
            record["skipped"] = "webhook not active"
            self.log.append(record)
            return record
        record["delivery_url"] = hook["delivery_url"]
        faults = self._faults()
        if self._random.random() < faults.webhook_drop_rate:
            record["skipped"] = "dropped by fault injection"
            self.log.append(record)
            self.dropped.append((record["topic"], item.resource_id))
            self._on_fault("webhook_drop")
            return record
        if item.event == "deleted":
            payload: dict[str, Any] | None = {"id": item.resource_id}
        else:
            payload = self._render(item.resource, item.resource_id, item.base_url)
        if payload is None:
            record["skipped"] = "resource no longer exists"
            self.log.append(record)
            return record
        body = php_json(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": item.base_url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": record["topic"],
            "X-WC-Webhook-Resource": item.resource,
            "X-WC-Webhook-Event": item.event,
            "X-WC-Webhook-Signature": sign(str(hook["secret"]), body),
            "X-WC-Webhook-ID": str(item.webhook_id),
            "X-WC-Webhook-Delivery-ID": hashlib.md5(  # noqa: S324 - an id, not security
                f"{item.webhook_id}{int(time.time())}".encode()
            ).hexdigest(),
        }
        record["body"] = body.decode()
        success = self._post(hook["delivery_url"], body, headers, record)
        if self._random.random() < faults.webhook_duplicate_rate:
            record["duplicated"] = True
            self._on_fault("webhook_duplicate")
            success = self._post(hook["delivery_url"], body, headers, record) or success
        record["success"] = success
        self._webhooks.record_delivery(
            item.webhook_id, success=success, max_failures=self._config.webhook_max_failures
        )
        self.log.append(record)
        return record

    def _post(self, url: str, body: bytes, headers: dict[str, str], record: dict[str, Any]) -> bool:
        """Send one delivery; True when the receiver accepted it."""
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            record["error"] = type(error).__name__
            return False
        record["status_code"] = response.status_code
        return 200 <= response.status_code < 300 or response.status_code in (301, 302)
