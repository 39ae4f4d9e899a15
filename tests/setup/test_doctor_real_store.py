"""`storebridge doctor` and `webhooks install` against a real WooCommerce, when one is given.

Set WOO_URL, WOO_KEY and WOO_SECRET (a read_write key; WOO_READONLY_KEY and
WOO_READONLY_SECRET add the read-only check), as for tests/contract. The
doctor changes nothing; the webhooks this test installs are deleted after.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storebridge.bootstrap import Services, build_services
from storebridge.settings import parse_settings
from storebridge.sync.setup.doctor import diagnose_store
from storebridge.sync.setup.webhooks import install_webhooks

URL, KEY, SECRET = (os.environ.get(name, "") for name in ("WOO_URL", "WOO_KEY", "WOO_SECRET"))
RO_KEY, RO_SECRET = (
    os.environ.get("WOO_READONLY_KEY", ""),
    os.environ.get("WOO_READONLY_SECRET", ""),
)

pytestmark = pytest.mark.skipif(
    not (URL and KEY and SECRET),
    reason="set WOO_URL, WOO_KEY and WOO_SECRET to run against a real store",
)

ServicesFor = Callable[[str, str], Services]


@pytest.fixture
async def services_for(tmp_path: Path, _sqlite_template: Path) -> AsyncIterator[ServicesFor]:
    """Services for a one-store configuration over the real store with the given key."""
    built: list[Services] = []
    store_name = f"doctor{secrets.token_hex(3)}"  # webhooks are named after the store

    def make(key: str, secret: str) -> Services:
        database = tmp_path / f"state{len(built)}.sqlite3"
        shutil.copyfile(_sqlite_template, database)
        settings = parse_settings(
            {
                "storage": {"url": f"sqlite:///{database}"},
                "web": {"secret_key": secrets.token_urlsafe(32)},
                "stores": {
                    store_name: {
                        "woocommerce": {"url": URL, "consumer_key": key, "consumer_secret": secret},
                        "connector": {"type": "demo", "path": str(tmp_path / "pos.sqlite3")},
                        "webhook_secret": secrets.token_hex(20),
                        "pos_prices": "net",
                    }
                },
            }
        )
        built.append(build_services(settings))
        return built[-1]

    yield make
    for services in built:
        services.close()


async def test_the_doctor_reads_a_real_store(services_for: ServicesFor) -> None:
    services = services_for(KEY, SECRET)
    [store] = services.store_names()

    verdicts = {v.check: v for v in await diagnose_store(services, store)}

    assert verdicts["site"].level == "ok" and "(wc/v3)" in verdicts["site"].found
    assert verdicts["key"].level == "ok"
    assert verdicts["key scope"].level == "warn"  # the test store's keys belong to "admin"
    assert verdicts["limits"].found == "per_page=100 and batches of 100 accepted"
    assert verdicts["stock"].level == "ok"
    assert verdicts["webhooks"].level == "warn"
    assert verdicts["connector"].level == "ok"
    if RO_KEY and RO_SECRET:
        readonly = services_for(RO_KEY, RO_SECRET)
        verdicts = {v.check: v for v in await diagnose_store(readonly, store)}
        assert verdicts["key"].found.startswith("read-only key")


async def test_webhooks_install_on_a_real_store_is_idempotent(services_for: ServicesFor) -> None:
    services = services_for(KEY, SECRET)
    [store] = services.store_names()
    public_url = "http://127.0.0.1:9"  # nothing listens: WooCommerce's ping just fails
    try:
        first = await install_webhooks(services, store, public_url)
        assert len(first.applied) == 4 and all(sub.ok for sub in first.after)
        second = await install_webhooks(services, store, public_url)
        assert second.applied == []
        verdicts = {
            v.check: v for v in await diagnose_store(services, store, public_url=public_url)
        }
        assert verdicts["webhooks"].level == "ok", verdicts["webhooks"]
    finally:
        async with services.store(store).woo() as woo:
            for hook in await woo.list_webhooks(status="all"):
                if hook.name == f"StoreBridge {store}":
                    await woo.delete_webhook(hook.id)


async def test_an_untrusted_certificate_is_named(
    services_for: ServicesFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not URL.startswith("https://") or not os.environ.get("SSL_CERT_FILE"):
        pytest.skip("needs an https WOO_URL whose CA only SSL_CERT_FILE trusts")
    monkeypatch.delenv("SSL_CERT_FILE")
    services = services_for(KEY, SECRET)
    [store] = services.store_names()

    verdicts = {v.check: v for v in await diagnose_store(services, store)}

    assert verdicts["transport"].level == "fail"
    assert "certificate is not trusted" in verdicts["transport"].found
