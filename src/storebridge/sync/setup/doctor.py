"""Gather the facts `storebridge doctor` judges, without changing anything anywhere.

Every request is sent once (no retries: a probe that fails is the answer).
What each fact comes from, as WooCommerce 10.0.2 answers it:

- version, currency, decimals, TLS: ``GET /system_status`` with nested
  ``_fields`` (any key whose user has ``manage_woocommerce``);
- read permission: ``GET /products?per_page=1``; write permission: ``POST
  /products/batch`` with an empty body ``{}``, which a read_write key gets
  ``200 []`` for and a read-only key ``401 "The API key provided does not have
  write permissions."`` -- WooCommerce checks the key's permission against the
  HTTP method before it reads the body, and an empty batch does nothing;
- the batch limit: a batch of `batch_limit` updates of product id 0, which
  does not exist, so each item fails alone (``woocommerce_rest_product_invalid_id``)
  and nothing changes; 413 when the store accepts fewer;
- whether the key's user is an administrator: ``GET
  /wp-json/wc-admin/plugins/install/status``, a read answered only to users who
  may install plugins (see `domain.readiness`);
- price entry and stock management: ``GET /settings/<group>/<id>``;
- webhooks: ``GET /webhooks`` (`sync.setup.webhooks`);
- the connector: `find_document` of a key that never exists, the one read every
  connector implements (a Tryton RPC search, an SQL query, an outbox look-up);
- the database: its Alembic revision against this version's head.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from storebridge.bootstrap import Services
from storebridge.domain.readiness import (
    KeyPermission,
    Verdict,
    judge_connector,
    judge_database,
    judge_key,
    judge_key_scope,
    judge_limits,
    judge_prices,
    judge_secret_key,
    judge_site,
    judge_stock,
    judge_transport,
    judge_webhooks,
    skipped,
)
from storebridge.persistence.db import current_revision, head_revision
from storebridge.sync.setup.webhooks import configured_public_url, read_subscriptions
from storebridge.woocommerce import WooClient
from storebridge.woocommerce.errors import (
    WooAuthError,
    WooBadRequest,
    WooBatchTooLarge,
    WooError,
    WooNotFound,
)
from storebridge.woocommerce.pagination import MAX_PER_PAGE
from storebridge.woocommerce.session import decode_json

__all__ = ["PROBE_KEY", "diagnose_installation", "diagnose_store"]

#: The idempotency key the connector probe looks up: no order ever has it.
PROBE_KEY = "storebridge-doctor-probe"
_STATUS_FIELDS = (
    "environment.version",
    "settings.currency",
    "settings.number_of_decimals",
    "security.secure_connection",
)
_NO_READ = "does not have read permissions"
_NO_WRITE = "does not have write permissions"


@dataclass(frozen=True, slots=True)
class _Status:
    """What /system_status said, or why it could not be read."""

    body: dict[str, Any] | None
    error: WooError | None

    def get(self, section: str, key: str) -> Any:
        part = (self.body or {}).get(section)
        return part.get(key) if isinstance(part, dict) else None


async def _call(woo: WooClient, method: str, path: str, **options: Any) -> Any:
    response = await woo.request(method, path, retry=False, **options)
    return decode_json(response, method, path)


async def _system_status(woo: WooClient) -> _Status:
    try:
        body = await _call(woo, "GET", "/system_status", params={"_fields": list(_STATUS_FIELDS)})
    except WooError as error:
        return _Status(None, error)
    return _Status(body if isinstance(body, dict) else {}, None)


def _site_problem(error: WooError) -> str | None:
    """None when the error itself proves a wc/v3 API answered (e.g. it refused the key)."""
    if isinstance(error, WooAuthError) and (error.code or "").startswith("woocommerce_rest_"):
        return None
    if isinstance(error, WooNotFound) and error.code == "rest_no_route":
        return "WordPress answers, but has no /wc/v3/system_status route (is WooCommerce active?)"
    return str(error)


async def _permission(woo: WooClient) -> tuple[KeyPermission, str]:
    """The key's permission, from one harmless read and one empty batch."""
    can_read = can_write = False
    refused = ""
    try:
        await _call(woo, "GET", "/products", params={"per_page": 1, "_fields": "id"})
        can_read = True
    except WooAuthError as error:
        if _NO_READ not in error.message:
            return "rejected", error.message
    try:
        await _call(woo, "POST", "/products/batch", json={}, idempotent=True)
        can_write = True
    except WooAuthError as error:
        if _NO_WRITE not in error.message:
            refused = error.message
    if can_read and can_write:
        return "read_write", ""
    if can_read:
        return "read", refused
    if can_write:
        return "write", ""
    return "rejected", refused


async def _can_install_plugins(woo: WooClient) -> bool | None:
    url = woo.connection.url + "/wp-json/wc-admin/plugins/install/status"
    try:
        await _call(woo, "GET", url)
    except WooAuthError:
        return False
    except WooError:
        return None  # wc-admin switched off, or an answer we cannot read
    return True


async def _per_page_ok(woo: WooClient) -> bool:
    try:
        await _call(woo, "GET", "/products", params={"per_page": MAX_PER_PAGE, "_fields": "id"})
    except WooBadRequest:
        return False
    return True


async def _batch_ok(woo: WooClient) -> bool:
    # Product id 0 never exists: every item fails alone and nothing is written.
    probe = {"update": [{"id": 0}] * woo.batch_limit}
    try:
        await _call(woo, "POST", "/products/batch", json=probe, idempotent=True)
    except WooBatchTooLarge:
        return False
    return True


async def _setting(woo: WooClient, group: str, setting: str) -> str | None:
    try:
        body = await _call(woo, "GET", f"/settings/{group}/{setting}", params={"_fields": "value"})
    except WooError:
        return None
    value = body.get("value") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def _yes(value: str | None) -> bool | None:
    return None if value is None else value == "yes"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def _connector_problem(services: Services, store: str) -> str | None:
    def probe() -> None:
        services.store(store).connector.find_document(PROBE_KEY)

    try:
        await asyncio.to_thread(probe)
    except Exception as error:  # noqa: BLE001 - any failure of any connector is the verdict
        return f"{type(error).__name__}: {error}"
    return None


async def diagnose_store(
    services: Services, store: str, *, public_url: str | None = None
) -> list[Verdict]:
    """The verdicts for one store, in the order the doctor prints them."""
    store_services = services.store(store)
    settings = store_services.settings
    connection = settings.woocommerce
    verdicts: list[Verdict] = []
    async with store_services.woo() as woo:
        status = await _system_status(woo)
        problem = None if status.error is None else _site_problem(status.error)
        version = status.get("environment", "version")
        verdicts.append(
            judge_site(connection.url, version=str(version) if version else None, problem=problem)
        )
        secure = status.get("security", "secure_connection")
        verdicts.append(
            judge_transport(
                https=connection.is_https,
                auth=connection.effective_auth,
                verify_tls=connection.verify_tls,
                site_says_https=secure if isinstance(secure, bool) else None,
                problem=problem,
            )
        )
        if problem is not None:
            reason = "the store did not answer as WooCommerce"
            names = ("key", "key scope", "limits", "prices", "stock", "webhooks")
            verdicts += [skipped(name, reason) for name in names]
        else:
            try:
                verdicts += await _woo_verdicts(woo, store, status, services, public_url)
            except WooError as error:  # a 5xx or a dropped connection half-way: say so, go on
                verdicts.append(
                    Verdict(
                        "woocommerce",
                        "fail",
                        f"WooCommerce failed during the checks: {error}",
                        "run the doctor again; if it keeps failing, read the shop's PHP error "
                        "log (WooCommerce → Status → Logs)",
                    )
                )
    verdicts.append(
        judge_connector(settings.connector.type, await _connector_problem(services, store))
    )
    return verdicts


async def _woo_verdicts(
    woo: WooClient, store: str, status: _Status, services: Services, public_url: str | None
) -> list[Verdict]:
    settings = services.store(store).settings
    permission, detail = await _permission(woo)
    verdicts = [judge_key(permission, detail)]
    if permission == "rejected":
        names = ("key scope", "limits", "prices", "stock", "webhooks")
        return verdicts + [skipped(name, "WooCommerce refused the key") for name in names]
    verdicts.append(judge_key_scope(await _can_install_plugins(woo)))
    if permission == "read_write":
        batch_ok: bool | None = await _batch_ok(woo)
    else:
        batch_ok = None
    verdicts.append(
        judge_limits(
            per_page=MAX_PER_PAGE,
            per_page_ok=permission == "write" or await _per_page_ok(woo),
            batch=woo.batch_limit,
            batch_ok=batch_ok,
        )
    )
    verdicts.append(
        judge_prices(
            currency=status.get("settings", "currency"),
            decimals=_int(status.get("settings", "number_of_decimals")),
            taxes_on=_yes(await _setting(woo, "general", "woocommerce_calc_taxes")),
            prices_include_tax=_yes(await _setting(woo, "tax", "woocommerce_prices_include_tax")),
            pos_prices=settings.pos_prices,
        )
    )
    verdicts.append(judge_stock(await _setting(woo, "products", "woocommerce_manage_stock")))
    url = configured_public_url(services, public_url)
    secret = settings.webhook_secret
    try:
        subscriptions = await read_subscriptions(woo, store, settings.webhook_topics, url)
    except WooError as error:
        verdicts.append(skipped("webhooks", f"cannot list webhooks: {error}"))
    else:
        verdicts.append(
            judge_webhooks(
                subscriptions,
                secret_set=secret is not None and bool(secret.get_secret_value()),
                public_url=url,
                store=store,
            )
        )
    return verdicts


def diagnose_installation(services: Services) -> list[Verdict]:
    """The verdicts shared by every store: StoreBridge's database and session key."""
    try:
        current = current_revision(services.engine)
    except SQLAlchemyError as error:
        database = judge_database(None, head_revision(), problem=str(error).splitlines()[0])
    else:
        database = judge_database(current, head_revision())
    web = services.settings.web
    previous = web.secret_key_previous
    session_key = judge_secret_key(
        web.secret_key.get_secret_value(),
        previous.get_secret_value() if previous is not None else None,
    )
    return [database, session_key]
