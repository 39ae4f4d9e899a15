"""Whether a store is ready to sync: the verdicts of `storebridge doctor`.

Each function judges one area from facts already gathered (by
`sync.setup.doctor`) and returns a `Verdict`: a level, what was found, and
what to do when it is not right. ``fail`` means syncing cannot work until it
is fixed (the command exits non-zero); ``warn`` means it works, but worse or
less safely; ``skip`` means the fact could not be gathered because an
earlier check failed.

What "more permission than needed" means for a WooCommerce key: a key's own
permission is read, write or read_write, and StoreBridge needs read_write (it
reads orders and writes products), so no key is too broad by that measure.
What a key can reach beyond that is decided by the WordPress user it belongs
to: an administrator's key can also install plugins and manage users through
the REST API, which a shop manager's cannot, while a shop manager can do
everything StoreBridge does (products, orders, customers, settings, webhooks
all need ``manage_woocommerce`` or less). So a key whose user may install
plugins is flagged, and the fix is a read_write key of a Shop manager user.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from storebridge.domain.price_basis import PriceBasis, price_basis_warning
from storebridge.domain.webhook_subscriptions import Subscription

__all__ = [
    "MIN_SECRET_KEY_BYTES",
    "MIN_WOOCOMMERCE",
    "KeyPermission",
    "Level",
    "Verdict",
    "blocks_sync",
    "certificate_problem",
    "judge_connector",
    "judge_database",
    "judge_key",
    "judge_key_scope",
    "judge_limits",
    "judge_prices",
    "judge_secret_key",
    "judge_site",
    "judge_stock",
    "judge_transport",
    "judge_webhooks",
    "skipped",
]

Level = Literal["ok", "warn", "fail", "skip"]
#: What the probes learnt of the key: its permission, or that WooCommerce refused it.
KeyPermission = Literal["read_write", "read", "write", "rejected"]

#: wc/v3 arrived with WooCommerce 3.5.
MIN_WOOCOMMERCE = (3, 5)
#: The dashboard's session key signs cookies: shorter than this is guessable offline.
MIN_SECRET_KEY_BYTES = 32
#: Fewer distinct characters than this in a long key means it was typed, not generated.
_MIN_DISTINCT = 8
_KEYS_PAGE = "WooCommerce → Settings → Advanced → REST API"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One line of the doctor's report."""

    check: str
    level: Level
    found: str
    fix: str = ""


def blocks_sync(verdicts: Iterable[Verdict]) -> bool:
    """Whether any verdict stops syncing (warnings do not)."""
    return any(v.level == "fail" for v in verdicts)


def skipped(check: str, because: str) -> Verdict:
    """A check that could not run."""
    return Verdict(check, "skip", f"not checked: {because}")


def _version(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split("."):
        digits = "".join(c for c in piece if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def judge_site(url: str, *, version: str | None, problem: str | None) -> Verdict:
    """The URL answers and is WooCommerce with the wc/v3 API.

    Args:
        url: the store URL of the configuration.
        version: WooCommerce's version (from /system_status), None when unknown.
        problem: why the store could not be read, None when it answered.
    """
    if version is not None:
        if _version(version) < MIN_WOOCOMMERCE:
            return Verdict(
                "site",
                "fail",
                f"{url} runs WooCommerce {version}, which has no wc/v3 API",
                "update WooCommerce (3.5 or later; StoreBridge is tested with 10.0.2)",
            )
        return Verdict("site", "ok", f"{url} is WooCommerce {version} (wc/v3)")
    if problem is None:
        return Verdict(
            "site", "warn", f"{url} answers wc/v3 but did not say which WooCommerce version"
        )
    if certificate_problem(problem):
        return Verdict("site", "fail", f"{url} did not answer: {problem}", "see the transport line")
    return Verdict(
        "site",
        "fail",
        f"{url} is not usable as a WooCommerce wc/v3 API: {problem}",
        "set [stores.<name>.woocommerce] url to the shop's home URL (what wp-admin → "
        "Settings → General calls Site Address); WooCommerce must be active and "
        "permalinks must not be 'Plain'",
    )


def certificate_problem(problem: str | None) -> bool:
    """Whether a connection failed because the store's TLS certificate is not trusted."""
    text = (problem or "").lower()
    return "certificate_verify_failed" in text or "certificate verify failed" in text


def judge_transport(
    *,
    https: bool,
    auth: str,
    verify_tls: bool,
    site_says_https: bool | None,
    problem: str | None = None,
) -> Verdict:
    """TLS, and the authentication scheme StoreBridge will use.

    Args:
        problem: why the first request failed, if it did (a certificate refusal is judged here).
    """
    scheme = {"basic": "HTTP Basic", "query": "keys in the query string", "oauth1": "OAuth 1.0a"}
    used = scheme.get(auth, auth)
    if https and certificate_problem(problem):
        return Verdict(
            "transport",
            "fail",
            f"HTTPS, {used}, but the store's certificate is not trusted",
            "give the shop a certificate a public authority signed (e.g. Let's Encrypt), or "
            "point SSL_CERT_FILE at the CA that signed it",
        )
    if not https:
        return Verdict(
            "transport",
            "warn",
            f"plain HTTP, {used}: requests are signed, but orders and customer "
            "details travel unencrypted",
            "serve the shop over HTTPS and use its https:// URL (StoreBridge then uses Basic auth)",
        )
    if not verify_tls:
        return Verdict(
            "transport",
            "warn",
            f"HTTPS, {used}, but the certificate is not verified (verify_tls = false)",
            "install a certificate the system trusts (or point SSL_CERT_FILE at its CA) "
            "and remove verify_tls = false",
        )
    note = "" if site_says_https is not False else " (WordPress itself reports http URLs)"
    return Verdict("transport", "ok", f"HTTPS with a verified certificate, {used}{note}")


def judge_key(permission: KeyPermission, detail: str = "") -> Verdict:
    """The key may read and write (read_write is needed)."""
    if permission == "read_write":
        return Verdict("key", "ok", "read_write key: reads and writes are accepted")
    if permission == "read":
        return Verdict(
            "key",
            "fail",
            "read-only key: WooCommerce refuses every write (products, stock)",
            f"create a key with Read/Write permission in {_KEYS_PAGE} and put it in "
            "consumer_key / consumer_secret",
        )
    if permission == "write":
        return Verdict(
            "key",
            "fail",
            "write-only key: WooCommerce refuses every read (orders, products)",
            f"create a key with Read/Write permission in {_KEYS_PAGE}",
        )
    return Verdict(
        "key",
        "fail",
        f"WooCommerce refused the key: {detail}" if detail else "WooCommerce refused the key",
        f"check consumer_key / consumer_secret against {_KEYS_PAGE} (revoked keys vanish "
        "from that list); the key's user must be a Shop manager (else 'Sorry, you cannot "
        "list resources'); behind a proxy that drops the Authorization header, use "
        'auth = "query"',
    )


def judge_key_scope(can_install_plugins: bool | None) -> Verdict:
    """Whether the key reaches more than StoreBridge needs (see the module docstring)."""
    if can_install_plugins is None:
        return Verdict(
            "key scope",
            "warn",
            "could not tell whether the key's user is an administrator "
            "(the wc-admin API did not answer)",
            "make sure the key belongs to a Shop manager user, not an administrator",
        )
    if can_install_plugins:
        return Verdict(
            "key scope",
            "warn",
            "the key belongs to an administrator: through it one could also install "
            "plugins and manage users, which StoreBridge never needs",
            "create a WordPress user with the Shop manager role, create a Read/Write key "
            f"for that user in {_KEYS_PAGE}, use it here and revoke this one",
        )
    return Verdict(
        "key scope", "ok", "the key's user cannot install plugins (not an administrator)"
    )


def _key_weakness(key: str) -> str | None:
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        return f"is {len(key.encode())} bytes long (at least {MIN_SECRET_KEY_BYTES} needed)"
    if len(set(key)) < _MIN_DISTINCT:
        return f"uses only {len(set(key))} distinct characters (typed, not generated)"
    return None


def judge_secret_key(secret_key: str, previous: str | None = None) -> Verdict:
    """The dashboard's session key is long and random enough."""
    weak = [
        f"{label} {weakness}"
        for label, key in (("secret_key", secret_key), ("secret_key_previous", previous))
        if key is not None and (weakness := _key_weakness(key)) is not None
    ]
    if weak:
        return Verdict(
            "session key",
            "warn",
            f"[web] {'; '.join(weak)}: session cookies could be forged by guessing it",
            "generate one with python -c 'import secrets; print(secrets.token_urlsafe(32))' "
            "(rotate with secret_key_previous so sessions survive)",
        )
    return Verdict(
        "session key", "ok", f"[web] secret_key has at least {MIN_SECRET_KEY_BYTES} bytes"
    )


def judge_limits(*, per_page: int, per_page_ok: bool, batch: int, batch_ok: bool | None) -> Verdict:
    """The store accepts the page size and batch size StoreBridge sends.

    Args:
        per_page: the page size asked for; `per_page_ok` whether it was accepted.
        batch: the batch size probed; `batch_ok` whether it was accepted (None: not probed).
    """
    if not per_page_ok:
        return Verdict(
            "limits",
            "fail",
            f"the store refuses per_page={per_page}: every list StoreBridge reads would fail",
            "remove the plugin or filter that lowers the REST API's per_page maximum",
        )
    if batch_ok is None:
        return Verdict("limits", "ok", f"per_page={per_page} accepted; batch size not probed")
    if not batch_ok:
        return Verdict(
            "limits",
            "warn",
            f"per_page={per_page} accepted, but a batch of {batch} is refused (413): "
            "StoreBridge halves each batch, at the cost of more requests",
            "raise the woocommerce_rest_batch_items_limit filter back to 100",
        )
    return Verdict("limits", "ok", f"per_page={per_page} and batches of {batch} accepted")


def judge_prices(
    *,
    currency: str | None,
    decimals: int | None,
    taxes_on: bool | None,
    prices_include_tax: bool | None,
    pos_prices: PriceBasis | None,
) -> Verdict:
    """Currency, decimals and price entry, against the POS's price basis."""
    entry = (
        "?" if prices_include_tax is None else ("with tax" if prices_include_tax else "without tax")
    )
    taxes = "?" if taxes_on is None else ("on" if taxes_on else "off")
    found = (
        f"{currency or '?'}, {decimals if decimals is not None else '?'} decimals, "
        f"prices entered {entry}, taxes {taxes}"
    )
    if prices_include_tax is None:
        return Verdict(
            "prices",
            "warn",
            f"{found}: cannot compare the price entry with the POS",
            "give the key's user the manage_woocommerce capability (Shop manager)",
        )
    warning = price_basis_warning(pos_prices, prices_include_tax)
    # With taxes off WooCommerce charges the price as entered, whatever its basis: a declared
    # basis that disagrees only starts to matter when taxes are turned on.
    dormant = warning is not None and taxes_on is False and pos_prices is not None
    if warning is not None and not dormant:
        return Verdict("prices", "warn", f"{found}; {warning}", "")
    if decimals is not None and decimals < 2:
        return Verdict(
            "prices",
            "warn",
            f"{found}: cents sent by the POS are shown rounded to {decimals} decimals",
            "WooCommerce → Settings → General → Number of decimals",
        )
    if dormant:
        return Verdict(
            "prices",
            "ok",
            f"{found}; taxes are off, so prices are charged as entered (the POS prices are "
            f"{pos_prices}: turning taxes on would need prices entered "
            f"{'with' if pos_prices == 'gross' else 'without'} tax)",
        )
    return Verdict("prices", "ok", f"{found}; the POS prices are {pos_prices} too")


def judge_stock(manage_stock: str | None) -> Verdict:
    """Stock management is on (``woocommerce_manage_stock``)."""
    if manage_stock == "yes":
        return Verdict("stock", "ok", "stock management is on")
    if manage_stock is None:
        return Verdict(
            "stock", "warn", "could not read woocommerce_manage_stock", "check the key's user role"
        )
    return Verdict(
        "stock",
        "fail",
        "stock management is off: WooCommerce ignores the stock StoreBridge sends and "
        "orders do not lower it",
        "WooCommerce → Settings → Products → Inventory → Manage stock",
    )


def judge_webhooks(
    subscriptions: Sequence[Subscription],
    *,
    secret_set: bool,
    public_url: str | None,
    store: str,
) -> Verdict:
    """The order webhooks exist, are active, reach this StoreBridge and are signed.

    Never ``fail``: the orders job polls WooCommerce anyway; webhooks only make
    stock pushes after an order immediate.
    """
    install = f"storebridge webhooks install --store {store}"
    if not secret_set:
        return Verdict(
            "webhooks",
            "warn",
            "no webhook_secret: every delivery would be refused (401)",
            f"set webhook_secret in [stores.{store}] (a long random string), then run {install}",
        )
    wrong = [s for s in subscriptions if not s.ok or s.duplicates]
    if wrong:
        fixes = []
        if any(not s.ok for s in wrong):
            fixes.append(
                f"run {install}"
                + ("" if public_url else " --public-url https://<this StoreBridge>")
            )
        if any(s.duplicates for s in wrong):
            fixes.append(
                "delete the duplicates in WooCommerce → Settings → Advanced → Webhooks "
                "(StoreBridge deletes nothing there)"
            )
        return Verdict("webhooks", "warn", "; ".join(s.describe() for s in wrong), "; ".join(fixes))
    topics = ", ".join(s.topic for s in subscriptions)
    if public_url is None:
        return Verdict(
            "webhooks",
            "warn",
            f"{topics} active, but [web] public_url is not set, so where they deliver is not checked",
            "set public_url in [web] to the address WooCommerce reaches StoreBridge at",
        )
    return Verdict(
        "webhooks",
        "ok",
        f"{topics} active, delivered to {public_url}/webhooks/woocommerce/{store}, secret set "
        "(WooCommerce never shows it back)",
    )


def judge_connector(kind: str, problem: str | None) -> Verdict:
    """The POS/ERP answers a read."""
    if problem is None:
        return Verdict("connector", "ok", f"the {kind} connector answers")
    return Verdict(
        "connector",
        "fail",
        f"the {kind} connector does not answer: {problem}",
        "check the [stores.<name>.connector] table (address, credentials, paths)",
    )


def judge_database(current: str | None, head: str, problem: str | None = None) -> Verdict:
    """StoreBridge's own database is migrated to the revision this version needs."""
    if problem is not None:
        return Verdict(
            "database", "fail", f"cannot open the database: {problem}", "check [storage] url"
        )
    if current == head:
        return Verdict("database", "ok", f"migrated (revision {head})")
    return Verdict(
        "database",
        "fail",
        f"at revision {current or 'none (never migrated)'}, this StoreBridge needs {head}",
        "run storebridge db upgrade",
    )
