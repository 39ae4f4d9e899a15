"""A faithful local emulator of the WooCommerce wc/v3 REST API.

The sandbox behaves like the real store for everything StoreBridge uses
(products, variations, batches, orders and their stock effects, customers,
webhooks, authentication), as captured in the golden files. It keeps its
state in SQLite, injects latency and faults on demand, counts requests, and
exposes a control plane under /_sandbox.

Layout (state store -> thin routes -> app, as in moto):

- `sandbox.Sandbox` wires the stores: `products`, `variations`, `orders`
  (+ `order_lines`, `order_status`, `refunds`, `notes`), `customers`,
  `webhooks` (+ `delivery`), `coupons`, `terms`, all over `db.Database`;
- `gate.ApiGate` counts, delays, faults and authenticates every API call;
- `routes/` holds the FastAPI routes; `app.create_sandbox_app` builds the app;
- `server.running_sandbox` serves it from a background thread.
"""

from storebridge.sandbox.app import create_sandbox_app
from storebridge.sandbox.clock import ManualClock
from storebridge.sandbox.config import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    DEMO_READONLY_KEY,
    DEMO_READONLY_SECRET,
    ApiKey,
    FaultConfig,
    SandboxConfig,
)
from storebridge.sandbox.delivery import sign
from storebridge.sandbox.gate import SimulatedDisconnect, SimulatedTimeout
from storebridge.sandbox.sandbox import Sandbox
from storebridge.sandbox.server import SandboxServer, running_sandbox

__all__ = [
    "DEMO_CONSUMER_KEY",
    "DEMO_CONSUMER_SECRET",
    "DEMO_READONLY_KEY",
    "DEMO_READONLY_SECRET",
    "ApiKey",
    "FaultConfig",
    "ManualClock",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "SimulatedDisconnect",
    "SimulatedTimeout",
    "create_sandbox_app",
    "running_sandbox",
    "sign",
]
