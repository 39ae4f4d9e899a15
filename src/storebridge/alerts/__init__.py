"""Alerts: tell people when a store needs them, once per problem, and when it recovers.

Conditions (`conditions`): a store turned red, an order export parked, a
product link broken or deleted, a webhook disabled, the quarantine grew.  The
alerts job (`job.run_alerts`, run by `storebridge run` every
``intervals.alerts`` seconds) observes the first four in the database
(`observe`) and keeps the ``alerts`` table (`ledger`) in step; checkers that
find a condition elsewhere (the webhook status check) record it with
`raise_alert` and `clear_alert` and the job sends the message.  Messages go
through Apprise (`delivery`) to ``[alerts].urls`` or a store's
``alert_urls``.

Only `conditions` and `ledger` are imported here, so a checker can raise an
alert without pulling in the runner::

    from storebridge.alerts import WEBHOOK_DISABLED, clear_alert, raise_alert

    with services.sessions.begin() as session:
        raise_alert(session, kind=WEBHOOK_DISABLED, store="main", key="12",
                    message="webhook 12 (order.updated) was disabled by WooCommerce")
"""

from storebridge.alerts.conditions import (
    EXPORT_PARKED,
    KINDS,
    LINK_BROKEN,
    QUARANTINE_GREW,
    STORE_RED,
    WEBHOOK_DISABLED,
    Condition,
)
from storebridge.alerts.ledger import clear_alert, open_alerts, raise_alert

__all__ = [
    "EXPORT_PARKED",
    "KINDS",
    "LINK_BROKEN",
    "QUARANTINE_GREW",
    "STORE_RED",
    "WEBHOOK_DISABLED",
    "Condition",
    "clear_alert",
    "open_alerts",
    "raise_alert",
]
