"""Connecting a store: the checks of `storebridge doctor` and the order webhooks.

- `doctor.diagnose` gathers the facts (WooCommerce, the connector, the
  database) and returns `domain.readiness` verdicts;
- `webhooks` reads, installs and repairs the store's order webhooks through
  the REST API (`domain.webhook_subscriptions` decides what to change).
"""
