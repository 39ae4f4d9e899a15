"""The doctor's verdicts: each failure named, with what to do, and which ones stop syncing."""

from __future__ import annotations

import pytest

from storebridge.domain.readiness import (
    Verdict,
    blocks_sync,
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
from storebridge.domain.webhook_subscriptions import ExistingWebhook, Problem, Subscription

URL = "https://shop.example"


def test_only_a_failure_blocks_syncing() -> None:
    assert not blocks_sync([Verdict("a", "ok", ""), Verdict("b", "warn", ""), skipped("c", "x")])
    assert blocks_sync([Verdict("a", "ok", ""), Verdict("b", "fail", "")])


def test_the_site_shows_the_version_and_fails_when_it_is_not_woocommerce() -> None:
    assert judge_site(URL, version="10.0.2", problem=None) == Verdict(
        "site", "ok", "https://shop.example is WooCommerce 10.0.2 (wc/v3)"
    )
    old = judge_site(URL, version="3.4.7", problem=None)
    assert old.level == "fail" and "no wc/v3 API" in old.found and "3.5" in old.fix
    other = judge_site(URL, version=None, problem="HTTP 404 rest_no_route")
    assert other.level == "fail" and "Site Address" in other.fix
    assert judge_site(URL, version=None, problem=None).level == "warn"


@pytest.mark.parametrize(
    ("https", "auth", "verify", "level", "words"),
    [
        (True, "basic", True, "ok", "HTTP Basic"),
        (True, "query", True, "ok", "query string"),
        (True, "basic", False, "warn", "not verified"),
        (False, "oauth1", True, "warn", "OAuth 1.0a"),
    ],
)
def test_transport_names_tls_and_the_auth_scheme(
    https: bool, auth: str, verify: bool, level: str, words: str
) -> None:
    verdict = judge_transport(https=https, auth=auth, verify_tls=verify, site_says_https=True)
    assert verdict.level == level and words in verdict.found


def test_an_untrusted_certificate_fails_the_transport_not_the_url() -> None:
    refused = (
        "GET /system_status: no response transport_error: ConnectError: "
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )
    transport = judge_transport(
        https=True, auth="basic", verify_tls=True, site_says_https=None, problem=refused
    )
    assert transport.level == "fail" and "SSL_CERT_FILE" in transport.fix
    site = judge_site(URL, version=None, problem=refused)
    assert site.level == "fail" and site.fix == "see the transport line"


def test_a_read_only_key_is_named_and_blocks() -> None:
    verdict = judge_key("read")
    assert (verdict.level, verdict.found) == (
        "fail",
        "read-only key: WooCommerce refuses every write (products, stock)",
    )
    assert "Read/Write" in verdict.fix
    assert judge_key("write").found.startswith("write-only key")
    refused = judge_key("rejected", "Consumer secret is invalid.")
    assert refused.level == "fail" and "Consumer secret is invalid." in refused.found
    assert judge_key("read_write").level == "ok"


def test_an_administrators_key_is_more_than_needed() -> None:
    admin = judge_key_scope(True)
    assert admin.level == "warn" and "administrator" in admin.found
    assert "Shop manager" in admin.fix
    assert judge_key_scope(False).level == "ok"
    assert judge_key_scope(None).level == "warn"


@pytest.mark.parametrize(
    ("key", "level"),
    [
        ("k" * 40, "warn"),  # long, but one character repeated
        ("Ab3$" * 7, "warn"),  # 28 bytes
        ("0123456789abcdefghijklmnopqrstuv", "ok"),  # exactly 32 bytes, varied
        ("é" * 16, "warn"),  # 32 bytes, one character
    ],
)
def test_a_short_or_typed_session_key_is_flagged(key: str, level: str) -> None:
    assert judge_secret_key(key).level == level


def test_a_weak_previous_session_key_is_flagged_too() -> None:
    good = "0123456789abcdefghijklmnopqrstuvwxyz"
    verdict = judge_secret_key(good, previous="short")
    assert verdict.level == "warn"
    assert verdict.found.startswith("[web] secret_key_previous is 5 bytes long (at least 32")
    typed = judge_secret_key("k" * 40)
    assert "secret_key uses only 1 distinct characters" in typed.found


def test_limits() -> None:
    assert judge_limits(per_page=100, per_page_ok=False, batch=100, batch_ok=True).level == "fail"
    small = judge_limits(per_page=100, per_page_ok=True, batch=100, batch_ok=False)
    assert small.level == "warn" and "413" in small.found
    assert judge_limits(per_page=100, per_page_ok=True, batch=100, batch_ok=None).level == "ok"
    assert judge_limits(per_page=100, per_page_ok=True, batch=100, batch_ok=True).level == "ok"


def test_prices_warn_when_the_pos_basis_disagrees_with_the_store() -> None:
    gross_pos = judge_prices(
        currency="EUR", decimals=2, taxes_on=True, prices_include_tax=False, pos_prices="gross"
    )
    assert gross_pos.level == "warn"
    assert gross_pos.found.startswith("EUR, 2 decimals, prices entered without tax, taxes on")
    assert "charged the tax twice" in gross_pos.found
    agree = judge_prices(
        currency="EUR", decimals=2, taxes_on=True, prices_include_tax=True, pos_prices="gross"
    )
    assert agree.level == "ok"
    unset = judge_prices(
        currency="USD", decimals=2, taxes_on=False, prices_include_tax=False, pos_prices=None
    )
    assert unset.level == "warn" and "pos_prices is not set" in unset.found
    taxes_off = judge_prices(
        currency="USD", decimals=2, taxes_on=False, prices_include_tax=False, pos_prices="gross"
    )
    assert taxes_off.level == "ok" and "twice" not in taxes_off.found
    assert "turning taxes on would need prices entered with tax" in taxes_off.found
    no_cents = judge_prices(
        currency="JPY", decimals=0, taxes_on=False, prices_include_tax=False, pos_prices="net"
    )
    assert no_cents.level == "warn" and "0 decimals" in no_cents.found


def test_stock_management_off_blocks() -> None:
    off = judge_stock("no")
    assert off.level == "fail" and "Manage stock" in off.fix
    assert judge_stock("yes").level == "ok"
    assert judge_stock(None).level == "warn"


def _sub(topic: str, problem: Problem = "ok") -> Subscription:
    hook = ExistingWebhook(1, "StoreBridge main", topic, "active", "u")
    return Subscription(topic, problem, None if problem == "missing" else hook)


def test_webhooks_warn_but_never_block() -> None:
    fine = judge_webhooks(
        [_sub("order.created")], secret_set=True, public_url="https://b.example", store="main"
    )
    assert fine.level == "ok" and "https://b.example/webhooks/woocommerce/main" in fine.found
    broken = judge_webhooks(
        [_sub("order.created", "disabled"), _sub("order.updated", "missing")],
        secret_set=True,
        public_url="https://b.example",
        store="main",
    )
    assert broken.level == "warn"
    assert "order.created: disabled by WooCommerce" in broken.found
    assert "order.updated: no webhook" in broken.found
    assert broken.fix == "run storebridge webhooks install --store main"
    doubled = Subscription(
        "order.created", "ok", ExistingWebhook(1, "n", "order.created", "active", "u"), (2,)
    )
    twice = judge_webhooks([doubled], secret_set=True, public_url="https://b.example", store="m")
    assert twice.level == "warn" and "duplicates #2" in twice.found
    assert twice.fix.startswith("delete the duplicates in WooCommerce")
    no_secret = judge_webhooks(
        [_sub("order.created")], secret_set=False, public_url=None, store="main"
    )
    assert no_secret.level == "warn" and "webhook_secret" in no_secret.fix
    unknown_url = judge_webhooks(
        [_sub("order.created")], secret_set=True, public_url=None, store="main"
    )
    assert unknown_url.level == "warn" and "public_url" in unknown_url.found


def test_connector_and_database() -> None:
    assert judge_connector("tryton", None).level == "ok"
    down = judge_connector("tryton", "ConnectError: refused")
    assert down.level == "fail" and "ConnectError: refused" in down.found
    assert judge_database("0003", "0003").level == "ok"
    behind = judge_database("0002", "0003")
    assert behind.level == "fail" and behind.fix == "run storebridge db upgrade"
    assert "never migrated" in judge_database(None, "0003").found
