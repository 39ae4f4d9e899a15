"""Sandbox configuration: the knobs a test, the demo or a benchmark turns.

`SandboxConfig` is a plain value object. It holds the API keys the emulated
store accepts, the transport rules (`assume_https`), the latency and fault
injection settings, the batch limit and the webhook delivery timing. Secrets
are `SecretStr` so they never show up in a repr or a log line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

Permission = Literal["read", "write", "read_write"]
#: The WordPress role of the user a key belongs to: an administrator can also install
#: plugins, a shop manager only manage the shop (what `storebridge doctor` tells apart).
UserRole = Literal["administrator", "shop_manager"]

DEMO_CONSUMER_KEY = "ck_demo_read_write"
DEMO_CONSUMER_SECRET = "cs_demo_read_write"  # noqa: S105 - a public demo credential
DEMO_READONLY_KEY = "ck_demo_read_only"
DEMO_READONLY_SECRET = "cs_demo_read_only"  # noqa: S105 - a public demo credential


class ApiKey(BaseModel):
    """One WooCommerce REST key: consumer key, secret and permission."""

    model_config = ConfigDict(frozen=True)

    consumer_key: str
    consumer_secret: SecretStr
    permissions: Permission = "read_write"
    user_id: int = 1
    user_name: str = "admin"
    role: UserRole = "administrator"


def demo_keys() -> tuple[ApiKey, ...]:
    """The keys a sandbox accepts unless told otherwise: one read_write, one read-only."""
    return (
        ApiKey(consumer_key=DEMO_CONSUMER_KEY, consumer_secret=SecretStr(DEMO_CONSUMER_SECRET)),
        ApiKey(
            consumer_key=DEMO_READONLY_KEY,
            consumer_secret=SecretStr(DEMO_READONLY_SECRET),
            permissions="read",
        ),
    )


class FaultConfig(BaseModel):
    """Random fault injection, drawn from one seeded generator per sandbox.

    Each rate is the probability that an API request gets that fault. The
    draws are deterministic for a given seed and request order.
    """

    seed: int = 0
    rate_429: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after_seconds: int = Field(default=1, ge=0)
    rate_500: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_502: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_503: float = Field(default=0.0, ge=0.0, le=1.0)
    # The connection is closed before the request is processed: nothing was written.
    rate_drop: float = Field(default=0.0, ge=0.0, le=1.0)
    # The request stalls for `timeout_seconds`, then the connection is closed: nothing written.
    rate_timeout: float = Field(default=0.0, ge=0.0, le=1.0)
    # The request is fully processed, then the connection is closed: the write happened
    # but the client never learns it (the "timeout after a partly applied batch" case).
    rate_drop_after: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_seconds: float = Field(default=30.0, ge=0.0)
    # Probability that a webhook delivery is silently never sent.
    webhook_drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # Probability that a delivery is sent twice (Action Scheduler running an action again).
    webhook_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # Each delivery waits up to this many extra seconds (drawn at random) beyond
    # `webhook_delay_seconds`, so deliveries arrive late and out of order.
    webhook_max_extra_delay_seconds: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _rates_fit_in_one(self) -> FaultConfig:
        total = (
            self.rate_429
            + self.rate_500
            + self.rate_502
            + self.rate_503
            + self.rate_drop
            + self.rate_timeout
            + self.rate_drop_after
        )
        if total > 1.0:
            raise ValueError(f"fault rates add up to {total}, which is more than 1")
        return self


class SandboxConfig(BaseModel):
    """Everything that shapes one sandbox instance."""

    db_path: str = ":memory:"
    keys: tuple[ApiKey, ...] = Field(default_factory=demo_keys)
    # Behind a TLS-terminating proxy: treat plain-http requests as https, and honour
    # X-Forwarded-Proto. Off, only the real scheme counts (like WordPress' is_ssl()).
    assume_https: bool = False
    latency_seconds: float = Field(default=0.0, ge=0.0)
    batch_limit: int = Field(default=100, ge=1)
    faults: FaultConfig = Field(default_factory=FaultConfig)
    # Seeds the order of rows that tie on a list's sort key, which varies per request
    # as on a real store (see `ties`); a failing test replays with the same seed.
    tie_seed: int = 0
    webhook_delay_seconds: float = Field(default=0.2, ge=0.0)
    # Off, deliveries wait for an explicit flush (deterministic tests).
    webhook_auto_deliver: bool = True
    webhook_timeout_seconds: float = Field(default=5.0, gt=0.0)
    webhook_max_failures: int = Field(default=5, ge=0)
    # Home URL used for links in webhook payloads; None means "the URL of the request
    # that caused the event".
    site_url: str | None = None
