"""The commented example configuration written by `storebridge init`.

It runs out of the box against the built-in demo POS and the local WooCommerce
sandbox (`storebridge sandbox`), and documents every setting a real
installation changes.  The dashboard secret key and the webhook secret are
generated per installation; the demo WooCommerce keys are the sandbox's.
"""

from __future__ import annotations

import secrets
from string import Template

from storebridge.sandbox.config import DEMO_CONSUMER_KEY as SANDBOX_DEMO_KEY
from storebridge.sandbox.config import DEMO_CONSUMER_SECRET as SANDBOX_DEMO_SECRET

__all__ = [
    "DEMO_CONSUMER_KEY",
    "DEMO_CONSUMER_SECRET",
    "DEMO_SANDBOX_URL",
    "render_example_config",
]

DEMO_SANDBOX_URL = "http://127.0.0.1:8081"
# The sandbox's own demo key pair, so `storebridge init` + `storebridge sandbox`
# work together out of the box.
DEMO_CONSUMER_KEY = SANDBOX_DEMO_KEY
DEMO_CONSUMER_SECRET = SANDBOX_DEMO_SECRET

_TEMPLATE = Template("""\
# StoreBridge configuration, written by `storebridge init`.
#
# Overrides: every setting can be replaced by an environment variable named
# STOREBRIDGE_<SECTION>__<KEY> (two underscores between levels), e.g.
#   STOREBRIDGE_STORAGE__URL=postgresql+psycopg://storebridge@db:5432/storebridge
#   STOREBRIDGE_STORES__MAIN__WOOCOMMERCE__CONSUMER_SECRET=cs_live_...
# Lists and tables are given as JSON: STOREBRIDGE_STORES__MAIN__LOCATIONS='["store-1"]'.
#
# Secrets: any secret may be read from a file instead; add _file to its key:
#   consumer_secret_file = "/run/secrets/woo_consumer_secret"
# (or STOREBRIDGE_STORES__MAIN__WOOCOMMERCE__CONSUMER_SECRET_FILE=/run/secrets/...).
# Secrets are never printed: logs, errors and the dashboard show **********.
#
# Relative paths are relative to the directory StoreBridge is started from.

[storage]
# SQLite (the file and its folder are created on first use), or PostgreSQL for
# production and for distributed workers:
#   url = "postgresql+psycopg://storebridge@db.example:5432/storebridge"
url = "sqlite:///var/storebridge.sqlite3"

[web]
# The dashboard and the webhook receiver.
host = "127.0.0.1"
port = 8080
# Signs session cookies and CSRF tokens; keep it secret, keep it stable.
secret_key = "$secret_key"
# To expose only the webhook receiver (docs/operations.md, "Deploying safely"):
#   webhook_host = "0.0.0.0"
#   webhook_port = 8081
# Behind a TLS-terminating proxy, trust its forwarded headers (cookie then Secure):
#   forwarded_allow_ips = ["127.0.0.1"]
# The address WooCommerce reaches StoreBridge at: `storebridge webhooks install`
# delivers there, `storebridge doctor` and the runner check the webhooks point there.
#   public_url = "https://bridge.example"

[runner.intervals]
# Seconds between runs of each job; a store may override any of them in
# [stores.<name>.intervals].
products = 300     # read the POS, create drafts, push prices and stock
orders = 60        # refresh the order ledger (allocation)
export = 60        # export completed orders to the POS
reconcile = 3600   # read WooCommerce back to find and fix drift
alerts = 60        # check for problems to tell people about, send the alerts

# Alerts (docs/operations.md, "Alerts"): who is told when a store turns red, an
# order export is parked, a product link breaks, a webhook is disabled or the
# quarantine grows; each problem once, and again when it recovers. Apprise URLs:
# e-mail, Slack, Microsoft Teams, generic webhooks (json://)... They hold
# credentials: prefer urls_file (one URL per line). A store may have its own
# alert_urls in its [stores.<name>] table.
[alerts]
#   urls = ["mailtos://user:password@smtp.example.com?to=ops@example.com",
#           "slack://TokenA/TokenB/TokenC/#storebridge"]
#   urls_file = "/run/secrets/storebridge_alert_urls"
quarantine_min_rows = 1   # alert from this many quarantined POS rows, again as it grows

# One [stores.<name>] table per WooCommerce store. The name (lower-case letters,
# digits, underscores) keys everything StoreBridge stores about that shop.
[stores.main]
# Which POS items go to the web: "flag" (item-level web flag), "webstore"
# (a named ERP web store; set webstore = "..."), or "all".
selection = "flag"
# webstore = "Online shop"
# What happens to an item that leaves the selection: "zero_stock" or "leave".
delist = "zero_stock"
# POS locations whose on-hand counts for the web; empty means all of them.
locations = []
# Units held back from the web per SKU, and per-SKU exceptions.
safety_stock = 0
safety_overrides = {}   # e.g. { "TSHIRT-RED-M" = 2 }
# Order statuses that hold stock until the POS has the order.
allocating_statuses = ["pending", "processing", "on-hold"]
# Order statuses that trigger the export to the POS.
export_statuses = ["completed"]
export_max_attempts = 8
# Hold each open web order's units in the POS itself (a reservation), so the
# till cannot sell them before the order is exported; completion turns the
# reservation into the exported sale. Connectors: demo, file_feed, tryton
# (Tryton also needs on_hand = "available" in its connector settings).
reservations = false
# Let the POS/ERP ship web orders (needs reservations; Tryton): once its customer
# shipment is done, StoreBridge completes the WooCommerce order and adds the
# tracking reference as a customer note and as order meta.
ship_from_pos = false
# Only orders created at or after this moment are exported. Older ones are
# listed as skipped ("created before go-live ..."): you keyed them into the POS
# by hand before StoreBridge; `storebridge orders retry ID` exports one anyway.
# Open older orders still hold stock until they are completed.
# "first-run" is the moment StoreBridge first reads this store's orders; or give
# a date and time with its UTC offset, e.g.
#   export_orders_since = 2025-03-01T00:00:00Z
export_orders_since = "first-run"
# Create missing WooCommerce categories when a draft is created.
create_categories = true
# Whether the POS's prices include tax ("gross") or not ("net"). StoreBridge sends
# them unchanged, so `storebridge plan` warns when WooCommerce's "Prices entered
# with tax" setting disagrees (or when this is left unset).
pos_prices = "gross"
# Verifies WooCommerce webhook signatures (use the same value in WooCommerce).
webhook_secret = "$webhook_secret"

[stores.main.woocommerce]
# The shop's home URL. Over https the keys travel as HTTP Basic auth; over plain
# http (like this local sandbox) requests are signed with OAuth 1.0a.
url = "$sandbox_url"
consumer_key = "$consumer_key"
consumer_secret = "$consumer_secret"
# auth = "auto"          # or "basic", "oauth1", "query"
# verify_tls = true
# timeout_s = 30.0
# max_concurrency = 4      # ceiling; batch writes start at half of it and adapt to the store
# max_retries = 5

[stores.main.connector]
# The built-in demo POS: a SQLite database seeded with a sample catalogue.
# Other connectors: type = "file_feed" (CSV/JSON-lines drop folder), or a Tryton ERP:
#   type = "tryton", url = "https://erp.example:8000", database = "shop",
#   user = "storebridge", password_file = "/run/secrets/tryton", web_shop = "Web",
#   warehouses = ["WH"], shipping_product = "SHIPPING", fee_product = "FEE",
#   taxes = { "10" = "VAT 10%" }   (WooCommerce rate in percent -> Tryton tax)
#   (docs/operations.md, "Tryton", lists every key)
type = "demo"
path = "var/demo-pos.sqlite3"
seed_items = 200
# Products runs read only the items changed since the last run, everything every
# full_read_every_s (3600); incremental = false reads every item on every run.
incremental = true
""")


def render_example_config(
    *,
    secret_key: str | None = None,
    webhook_secret: str | None = None,
) -> str:
    """The example `storebridge.toml`; secrets are freshly generated unless given."""
    return _TEMPLATE.substitute(
        secret_key=secret_key or secrets.token_urlsafe(32),
        webhook_secret=webhook_secret or secrets.token_urlsafe(24),
        sandbox_url=DEMO_SANDBOX_URL,
        consumer_key=DEMO_CONSUMER_KEY,
        consumer_secret=DEMO_CONSUMER_SECRET,
    )
