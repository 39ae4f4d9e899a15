"""The alerts job: observe a store, update its conditions, send what is owed.

Run by the runner like any other job (``alerts`` in `runner.jobs`, every
``intervals.alerts`` seconds, under its own per-store lock, so two runners
never send the same message twice):

1. **observe** (`observe.observe`) in a read-only session;
2. **reconcile** the open conditions in one short write transaction: new
   conditions open, vanished ones resolve (a recovery is owed if the problem
   was told);
3. **send** with no transaction open: for each target, one message with every
   notice it is owed; then record each outcome in its own short transaction.
   A failed send is retried on a later run (30 s, doubling, at most an hour;
   given up after `ledger.MAX_ATTEMPTS`) and logged with the target's safe
   name, never its URL.

With no alert URL configured the conditions are still kept, and nothing is
owed to anyone: notices are settled as they fall due, so configuring a URL
later does not replay old news.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from storebridge.alerts.conditions import compose
from storebridge.alerts.delivery import Target, deliver, targets_of
from storebridge.alerts.ledger import Owed, owed, reconcile, record_delivered, record_failed
from storebridge.alerts.observe import observe
from storebridge.bootstrap import Services
from storebridge.persistence.types import utcnow
from storebridge.runner.jobs import JobResult

__all__ = ["SendReport", "run_alerts", "send_owed"]

logger = logging.getLogger("storebridge.alerts")


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one sending round did: messages sent, failed sends and why."""

    sent: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()


async def send_owed(
    services: Services, store: str, targets: list[Target], now: datetime
) -> SendReport:
    """Send every notice of `store` due at `now`: one message per target."""
    with services.sessions() as session:
        due = owed(session, store=store, now=now)
    if not due:
        return SendReport()
    digests = [target.digest for target in targets]
    if not targets:
        with services.sessions.begin() as session:
            for notice in due:  # nobody to tell: settle them, as if every target had them
                record_delivered(session, owed_notice=notice, target="", targets=(), now=now)
        return SendReport()
    sent = 0
    failures: dict[int, list[str]] = defaultdict(list)
    for target in targets:
        batch = [notice for notice in due if target.digest not in notice.delivered_to]
        if not batch:
            continue
        title, body = compose(store, [notice.notice for notice in batch])
        recovery = all(notice.notice.notice == "recovery" for notice in batch)
        error = await deliver(target, title, body, recovery=recovery)
        if error is None:
            sent += 1
            with services.sessions.begin() as session:
                for notice in batch:
                    record_delivered(
                        session, owed_notice=notice, target=target.digest, targets=digests, now=now
                    )
            continue
        logger.warning("store %s: alert not delivered to %s; will retry", store, error)
        for notice in batch:
            failures[notice.alert_id].append(error)
    if failures:
        by_id: dict[int, Owed] = {notice.alert_id: notice for notice in due}
        with services.sessions.begin() as session:
            for alert_id, errors in failures.items():
                why = "; ".join(errors)
                if record_failed(session, owed_notice=by_id[alert_id], error=why, now=now):
                    given_up = by_id[alert_id].notice
                    logger.error(
                        "store %s: alert %s %s given up: %s",
                        store,
                        given_up.kind,
                        given_up.notice,
                        why,
                    )
    failed = tuple(dict.fromkeys(e for es in failures.values() for e in es))
    return SendReport(sent, len(failed), failed)


async def run_alerts(services: Services, store: str, now: datetime | None = None) -> JobResult:
    """One alerts run for `store` (see the module docstring)."""
    at = now or utcnow()
    with services.sessions() as session:
        observed = observe(session, services.settings, store, at)
    with services.sessions.begin() as session:
        changed = reconcile(session, store=store, observed=observed, now=at)
    report = await send_owed(services, store, targets_of(services.settings.alert_urls(store)), at)
    counts = {
        "conditions": len(observed),
        "opened": changed.opened,
        "grew": changed.grew,
        "resolved": changed.resolved,
        "messages_sent": report.sent,
        "messages_failed": report.failed,
    }
    if report.errors:
        return JobResult(
            outcome="partial",
            counts=counts,
            error=f"{report.failed} alert message(s) not delivered: {'; '.join(report.errors)}",
        )
    return JobResult(counts=counts)
