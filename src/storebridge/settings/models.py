"""The configuration schema: what `storebridge.toml` may contain, as pydantic models.

One `Settings` object describes a whole installation: where state is stored
(`[storage]`), the dashboard (`[web]`), the default job intervals
(`[runner]`) and one or more stores (`[stores.<name>]`), each joining one
WooCommerce shop to one POS/ERP connector.

Every model is frozen and rejects unknown keys, so a typo is reported instead
of silently ignored.  Secrets are `SecretStr`: `repr()`, `str()` and JSON
dumps show ``**********``; the storage URL, which may embed a database
password, is shown with its password masked.  Loading (TOML, environment
overrides, secret files, readable errors) lives in `settings.loader`.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from storebridge.connectors.settings import ConnectorSettings
from storebridge.domain.model import DelistPolicy, SelectionMode, sku_key
from storebridge.errors import ConfigError
from storebridge.woocommerce.connection import WooConnection

__all__ = [
    "DEFAULT_STORAGE_URL",
    "FIRST_RUN",
    "AlertSettings",
    "JobIntervals",
    "RunnerSettings",
    "Settings",
    "StorageSettings",
    "StoreSettings",
    "WebSettings",
]

DEFAULT_STORAGE_URL = "sqlite:///var/storebridge.sqlite3"

#: Store names become database keys and environment-variable segments
#: (STOREBRIDGE_STORES__<NAME>__...), so they must survive upper-casing and
#: must not contain the "__" level separator.
_STORE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

#: Statuses that end an order's life before export; allocating or exporting in
#: them would hold or send goods that never leave the shop.
_RELEASING_STATUSES = frozenset({"cancelled", "failed", "refunded", "trash"})

_SUPPORTED_BACKENDS = ("sqlite", "postgresql")

#: `StoreSettings.export_orders_since` meaning "when StoreBridge first refreshed the store's
#: order ledger" (recorded per store by `sync.orders.go_live`).
FIRST_RUN: Final = "first-run"

_SINCE_EXAMPLE = 'e.g. 2025-03-01T00:00:00Z or 2025-03-01T00:00:00+01:00, or "first-run"'


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class StorageSettings(_Model):
    """Where StoreBridge keeps its state (links, ledger, exports, runs)."""

    url: str = Field(default=DEFAULT_STORAGE_URL, repr=False)

    @field_validator("url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        text = value.strip()
        try:
            parsed = make_url(text)
        except ArgumentError:
            raise ValueError(
                "is not a database URL; use sqlite:///path/to/file.sqlite3 or "
                "postgresql+psycopg://user@host:5432/dbname"
            ) from None
        if parsed.get_backend_name() not in _SUPPORTED_BACKENDS:
            raise ValueError(
                f"database {parsed.get_backend_name()!r} is not supported for storage; use "
                "sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user@host:5432/dbname"
            )
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() not in (
            "psycopg",
            "psycopg2",
        ):
            raise ValueError("PostgreSQL URLs must use the psycopg driver: postgresql+psycopg://")
        return text

    @property
    def sqlalchemy_url(self) -> URL:
        """The URL as SQLAlchemy parses it (its `repr`/`str` mask the password)."""
        return make_url(self.url)

    @property
    def display_url(self) -> str:
        """The URL with any password replaced by ``***``, safe to print or log."""
        return self.sqlalchemy_url.render_as_string(hide_password=True)

    def __repr_args__(self) -> Any:
        yield "url", self.display_url


class WebSettings(_Model):
    """The dashboard and webhook receiver (docs/operations.md, "Deploying safely")."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    secret_key: SecretStr = Field(
        min_length=32,
        description="signs session cookies and CSRF tokens; generate one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    )
    secret_key_previous: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="the key being rotated out: sessions it signed stay valid; remove it "
        "once they have expired (12 hours)",
    )
    webhook_host: str = "127.0.0.1"
    webhook_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="serve /webhooks/... on their own listener (webhook_host:webhook_port), "
        "and not on the dashboard's",
    )
    forwarded_allow_ips: tuple[str, ...] = Field(
        default=(),
        description="addresses of the TLS-terminating proxies whose X-Forwarded-For/-Proto "
        "headers are trusted; when set, the session cookie is Secure",
    )
    public_url: str | None = Field(
        default=None,
        description="the address WooCommerce reaches StoreBridge at (e.g. https://bridge.example); "
        "webhooks are delivered to <public_url>/webhooks/woocommerce/<store>, and "
        "`storebridge doctor` and the runner check they point there",
    )

    @field_validator("public_url")
    @classmethod
    def _absolute_public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(f"public_url must be an absolute http(s) URL, got {value!r}")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _distinct_listeners(self) -> WebSettings:
        if self.webhook_port == self.port and self.webhook_host == self.host:
            raise ValueError("webhook_port must differ from port on the same host")
        return self

    @property
    def separate_webhooks(self) -> bool:
        """Whether webhooks have a listener of their own."""
        return self.webhook_port is not None

    @property
    def behind_proxy(self) -> bool:
        """Whether a TLS-terminating proxy is configured (trust its headers, Secure cookie)."""
        return bool(self.forwarded_allow_ips)


class JobIntervals(_Model):
    """Seconds between two runs of each periodic job."""

    products: int = Field(default=300, ge=1)
    orders: int = Field(default=60, ge=1)
    export: int = Field(default=60, ge=1)
    reconcile: int = Field(default=3600, ge=1)
    alerts: int = Field(default=60, ge=1)


def _alert_urls(value: Any) -> Any:
    """Accept a list, or text holding the URLs (a secret file, an environment variable).

    Text is a JSON list or URLs separated by white space (one per line in a
    file): Apprise URLs never contain white space.
    """
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(
                    "looks like a JSON list but is not valid JSON; write "
                    '["mailto://...", "json://..."] or one URL per line'
                ) from None
        else:
            value = text.split()
    return value


def _checked_alert_urls(urls: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
    """Every URL must be one Apprise can send to; the error never shows the URL (a secret)."""
    if not urls:
        return urls
    import apprise  # loads Apprise's plugins: only when alerts are configured

    for number, url in enumerate(urls, start=1):
        text = url.get_secret_value().strip()
        scheme = text.split("://", 1)[0] if "://" in text else ""
        if not scheme or apprise.Apprise.instantiate(text) is None:
            raise ValueError(
                f"URL number {number} (scheme {scheme or 'missing'!r}) is not one Apprise can "
                "send to; write it as the Apprise documentation shows, e.g. "
                "mailto://user:password@smtp.example.com?to=ops@example.com, "
                "slack://TokenA/TokenB/TokenC or json://hooks.example.com/path"
            )
    return urls


#: Apprise URLs: a list, or text with one URL per line or word (a secret file, a variable).
AlertUrls = Annotated[
    tuple[SecretStr, ...], BeforeValidator(_alert_urls), AfterValidator(_checked_alert_urls)
]


class AlertSettings(_Model):
    """Where alerts go (docs/operations.md, "Alerts"): Apprise URLs, one list for every store."""

    urls: AlertUrls = Field(
        default=(),
        description="Apprise URLs (e-mail, Slack, Teams, generic webhooks...); secrets: "
        "use urls_file (one URL per line) to keep them out of the file",
    )
    quarantine_min_rows: int = Field(
        default=1,
        ge=1,
        description="alert when at least this many POS rows are quarantined, and again "
        "each time the number grows",
    )


class RunnerSettings(_Model):
    """Defaults for the job runner; a store's own `intervals` override them key by key."""

    intervals: JobIntervals = Field(default_factory=JobIntervals)


def _statuses(value: tuple[str, ...], field: str) -> tuple[str, ...]:
    # WooCommerce stores "wc-processing" in its database but speaks "processing" over REST.
    cleaned = tuple(dict.fromkeys(s.strip().lower().removeprefix("wc-") for s in value))
    if not cleaned or "" in cleaned:
        raise ValueError(f"{field} must list at least one non-empty order status")
    releasing = sorted(_RELEASING_STATUSES.intersection(cleaned))
    if releasing:
        raise ValueError(
            f"{', '.join(releasing)} cannot be in {field}: those statuses release an order "
            "before export; remove them"
        )
    return cleaned


#: Connector types that implement `ports.PosReserver`.
RESERVING_CONNECTORS: Final = frozenset({"tryton", "demo", "file_feed"})


class StoreSettings(_Model):
    """One WooCommerce store joined to one POS/ERP connector."""

    woocommerce: WooConnection
    webhook_secret: SecretStr | None = None
    #: The secret being rotated out: deliveries signed with it are accepted too, until removed.
    webhook_secret_previous: SecretStr | None = None
    #: The webhook topics this store accepts; a delivery of any other topic is refused.
    webhook_topics: tuple[str, ...] = (
        "order.created",
        "order.updated",
        "order.deleted",
        "order.restored",
    )
    #: Deliveries accepted per store per minute; more are answered 429.
    webhook_rate_per_minute: int = Field(default=600, ge=1)
    connector: ConnectorSettings = Field(discriminator="type")
    selection: SelectionMode = "flag"
    webstore: str | None = Field(default=None, validate_default=True)
    delist: DelistPolicy = "zero_stock"
    locations: tuple[str, ...] = ()
    safety_stock: int = Field(default=0, ge=0)
    safety_overrides: dict[str, int] = Field(default_factory=dict)
    allocating_statuses: tuple[str, ...] = ("pending", "processing", "on-hold")
    export_statuses: tuple[str, ...] = ("completed",)
    export_max_attempts: int = Field(default=8, ge=1, le=100)
    reservations: bool = Field(
        default=False,
        description="place a reservation in the POS/ERP when a web order starts allocating, "
        "so the till stops selling its units (connectors: demo, file_feed, tryton)",
    )
    ship_from_pos: bool = Field(
        default=False,
        description="the POS/ERP ships web orders: StoreBridge completes the WooCommerce order "
        "with the tracking number once the POS shipment is done (needs reservations; tryton)",
    )
    export_orders_since: AwareDatetime | Literal["first-run"] = Field(
        default=FIRST_RUN,
        description="only orders created at or after this moment are exported; "
        '"first-run" is when StoreBridge first refreshed the store\'s order ledger',
    )
    intervals: JobIntervals = Field(default_factory=JobIntervals)
    create_categories: bool = True
    alert_urls: AlertUrls | None = Field(
        default=None,
        description="Apprise URLs for this store's alerts, instead of [alerts].urls "
        "(alert_urls_file: one URL per line)",
    )
    pos_prices: Literal["gross", "net"] | None = Field(
        default=None,
        description='whether the POS\'s prices include tax ("gross") or not ("net"); '
        "`storebridge plan` warns when WooCommerce's price entry setting disagrees",
    )

    @field_validator("webstore")
    @classmethod
    def _webstore_matches_selection(cls, value: str | None, info: ValidationInfo) -> str | None:
        text = value.strip() if value is not None else None
        if info.data.get("selection") == "webstore" and not text:
            raise ValueError(
                'is required when selection = "webstore"; add webstore = "<name of the '
                'web store in the ERP>" or choose selection = "flag" or "all"'
            )
        return text or None

    @field_validator("locations")
    @classmethod
    def _distinct_locations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(loc.strip() for loc in value))
        if "" in cleaned:
            raise ValueError("location names must not be empty; leave the list empty for all")
        return cleaned

    @field_validator("safety_overrides")
    @classmethod
    def _normalise_override_keys(cls, value: dict[str, int]) -> dict[str, int]:
        normalised: dict[str, int] = {}
        for sku, quantity in value.items():
            key = sku_key(sku)
            if not key:
                raise ValueError("a safety override has an empty SKU; remove it")
            if quantity < 0:
                raise ValueError(f"safety override for {sku!r} is {quantity}; use 0 or more")
            if key in normalised:
                raise ValueError(
                    f"SKU {sku!r} is listed twice (SKUs compare case-insensitively); keep one"
                )
            normalised[key] = quantity
        return normalised

    @field_validator("allocating_statuses")
    @classmethod
    def _allocating(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _statuses(value, "allocating_statuses")

    @field_validator("export_statuses")
    @classmethod
    def _exporting(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _statuses(value, "export_statuses")

    @model_validator(mode="after")
    def _reservations_supported(self) -> StoreSettings:
        if self.ship_from_pos and (not self.reservations or self.connector.type != "tryton"):
            raise ValueError(
                "ship_from_pos = true needs reservations = true (the order goes to the POS when "
                "it starts processing) and a connector that reports shipments (tryton)"
            )
        if not self.reservations:
            return self
        kind = self.connector.type
        if kind not in RESERVING_CONNECTORS:
            names = ", ".join(sorted(RESERVING_CONNECTORS))
            raise ValueError(
                f"reservations = true needs a connector that can hold them ({names}); the "
                f"{kind!r} connector cannot: set reservations = false"
            )
        if getattr(self.connector, "on_hand", "available") != "available":
            # Otherwise the reserved units would count twice: StoreBridge stops holding them
            # once the POS holds them, so the on-hand read must exclude what the POS holds.
            raise ValueError(
                "reservations = true needs the connector to read what is free to sell: add "
                'on_hand = "available" to the connector settings'
            )
        return self

    @field_validator("export_orders_since", mode="before")
    @classmethod
    def _go_live(cls, value: Any) -> Any:
        """Accept "first-run", a TOML date-time or ISO text; a moment must carry its offset."""
        if isinstance(value, str):
            text = value.strip()
            if text.lower() == FIRST_RUN:
                return FIRST_RUN
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"is neither {FIRST_RUN!r} nor a date and time; write {_SINCE_EXAMPLE}"
                ) from None
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(
                    f"has no UTC offset, so the moment is ambiguous; write {_SINCE_EXAMPLE}"
                )
            return value
        if isinstance(value, date):
            raise ValueError(f"is a day without a time and offset; write {_SINCE_EXAMPLE}")
        return value

    def safety_for(self, sku: str) -> int:
        """The safety stock held back for `sku` (its override, else the store default)."""
        return self.safety_overrides.get(sku_key(sku), self.safety_stock)


class Settings(_Model):
    """A whole installation: storage, dashboard, runner defaults and the stores."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    web: WebSettings
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    stores: dict[str, StoreSettings] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _inherit_runner_intervals(cls, data: Any) -> Any:
        """Fill each store's unset intervals from `[runner.intervals]`, key by key."""
        if not isinstance(data, dict):
            return data
        runner = data.get("runner")
        if isinstance(runner, RunnerSettings):
            defaults: dict[str, Any] = runner.intervals.model_dump()
        elif isinstance(runner, dict) and isinstance(runner.get("intervals"), dict):
            defaults = dict(runner["intervals"])
            try:
                JobIntervals.model_validate(defaults)
            except ValidationError:
                # Reported once, under runner.intervals, rather than again per store.
                return data
        else:
            return data
        stores = data.get("stores")
        if not isinstance(stores, dict):
            return data
        merged_stores: dict[str, Any] = {}
        for name, store in stores.items():
            if isinstance(store, dict):
                own = store.get("intervals")
                if own is None or isinstance(own, dict):
                    store = {**store, "intervals": {**defaults, **(own or {})}}
            merged_stores[name] = store
        return {**data, "stores": merged_stores}

    @field_validator("stores")
    @classmethod
    def _store_names(cls, value: dict[str, StoreSettings]) -> dict[str, StoreSettings]:
        for name in value:
            if not _STORE_NAME.match(name) or "__" in name:
                raise ValueError(
                    f"store name {name!r} must be lower-case letters, digits and single "
                    "underscores, start with a letter and be at most 64 characters (it is "
                    "used in database keys and environment variable names); rename "
                    f"[stores.{name}]"
                )
        return value

    def alert_urls(self, name: str) -> AlertUrls:
        """Where store `name`'s alerts go: its own `alert_urls`, else `[alerts].urls`."""
        own = self.store(name).alert_urls
        return self.alerts.urls if own is None else own

    def store(self, name: str) -> StoreSettings:
        """The settings of store `name`; ConfigError naming the known stores otherwise."""
        try:
            return self.stores[name]
        except KeyError:
            known = ", ".join(sorted(self.stores))
            raise ConfigError(
                f"no store named {name!r} in the configuration; known stores: {known}"
            ) from None
