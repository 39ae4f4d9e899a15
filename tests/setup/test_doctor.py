"""`storebridge doctor` against the sandbox, each failure injected in turn.

Every test starts from a shop the doctor would pass and breaks one thing:
the key, the site, the limits, a setting, the webhooks, the connector or the
database; the verdict must name it, and only real blockers may fail.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.setup.setup_support import (
    MANAGER_KEY,
    MANAGER_SECRET,
    PUBLIC_URL,
    RECEIVER,
    WRITE_ONLY_KEY,
    WRITE_ONLY_SECRET,
    diagnose,
    intercept,
    keys,
    setup_world,
    woo_key,
)
from tests.sync.sync_helpers import STORE, World

from storebridge.connectors.sql.sample import mapping
from storebridge.domain.readiness import blocks_sync
from storebridge.sandbox import DEMO_READONLY_KEY, DEMO_READONLY_SECRET, SandboxConfig
from storebridge.sync.setup.doctor import diagnose_installation
from storebridge.sync.setup.webhooks import install_webhooks


async def _healthy(world: World) -> None:
    """What the operator does before the doctor is happy: webhooks installed."""
    await install_webhooks(world.services, STORE, PUBLIC_URL)


async def test_a_ready_store_passes_every_check(tmp_path: Path, _sqlite_template: Path) -> None:
    with setup_world(
        tmp_path, _sqlite_template, woocommerce=woo_key(MANAGER_KEY, MANAGER_SECRET)
    ) as world:
        await _healthy(world)
        verdicts = await diagnose(world)

    assert {name: v.level for name, v in verdicts.items()} == {
        "site": "ok",
        "transport": "ok",
        "key": "ok",
        "key scope": "ok",
        "limits": "ok",
        "prices": "ok",
        "stock": "ok",
        "webhooks": "ok",
        "connector": "ok",
    }
    assert verdicts["site"].found == "https://shop.test is WooCommerce 10.0.2 (wc/v3)"
    assert verdicts["transport"].found == "HTTPS with a verified certificate, HTTP Basic"
    assert verdicts["prices"].found.startswith("USD, 2 decimals, prices entered without tax")
    assert RECEIVER in verdicts["webhooks"].found


async def test_the_probes_change_nothing_in_the_shop(world: World) -> None:
    await _healthy(world)
    await world.api("POST", "/products", json={"name": "Mug", "sku": "MUG-1", "regular_price": "5"})
    before = world.sandbox.db.all("SELECT doc FROM products")
    hooks = await world.api("GET", "/webhooks", params={"orderby": "id"})

    await diagnose(world)

    assert world.sandbox.db.all("SELECT doc FROM products") == before
    assert len(before) == 1
    assert await world.api("GET", "/webhooks", params={"orderby": "id"}) == hooks


async def test_an_administrators_key_is_flagged_as_more_than_needed(world: World) -> None:
    verdicts = await diagnose(world)  # the demo key belongs to "admin"

    assert verdicts["key"].level == "ok"
    assert verdicts["key scope"].level == "warn"
    assert "administrator" in verdicts["key scope"].found


@pytest.mark.parametrize(
    ("key", "secret", "named"),
    [
        (DEMO_READONLY_KEY, DEMO_READONLY_SECRET, "read-only key"),
        (WRITE_ONLY_KEY, WRITE_ONLY_SECRET, "write-only key"),
    ],
)
async def test_a_key_without_read_write_permission_fails_and_is_named(
    tmp_path: Path, _sqlite_template: Path, key: str, secret: str, named: str
) -> None:
    with setup_world(tmp_path, _sqlite_template, woocommerce=woo_key(key, secret)) as world:
        verdicts = await diagnose(world)

    assert verdicts["key"].level == "fail"
    assert verdicts["key"].found.startswith(named)
    assert blocks_sync(verdicts.values())
    if named == "read-only key":  # what a read-only key can read is still checked
        assert verdicts["limits"].found == "per_page=100 accepted; batch size not probed"
        assert verdicts["stock"].level == "ok"


async def test_a_wrong_secret_fails_and_skips_what_needs_the_key(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    with setup_world(
        tmp_path, _sqlite_template, woocommerce=woo_key(MANAGER_KEY, "cs_not_the_secret")
    ) as world:
        verdicts = await diagnose(world)

    assert verdicts["site"].level == "warn"  # a wc/v3 refusal still proves WooCommerce
    assert verdicts["key"].level == "fail"
    assert "Consumer secret is invalid." in verdicts["key"].found
    assert {verdicts[name].level for name in ("key scope", "limits", "prices", "webhooks")} == {
        "skip"
    }
    assert verdicts["connector"].level == "ok"


async def test_a_site_without_woocommerce_fails(world: World) -> None:
    def no_woocommerce(request: httpx.Request) -> httpx.Response | None:
        body = {"code": "rest_no_route", "message": "No route", "data": {"status": 404}}
        return httpx.Response(404, json=body)

    intercept(world, no_woocommerce)
    verdicts = await diagnose(world)

    assert verdicts["site"].level == "fail"
    assert "is WooCommerce active?" in verdicts["site"].found
    assert verdicts["key"].level == "skip"


async def test_an_unreachable_store_fails(world: World) -> None:
    def refuse(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("Connection refused", request=request)

    intercept(world, refuse)
    verdicts = await diagnose(world)

    assert verdicts["site"].level == "fail"
    assert "ConnectError: Connection refused" in verdicts["site"].found


async def test_a_store_that_pages_by_less_than_100_fails(world: World) -> None:
    def small_pages(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("per_page") == "100":
            body = {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page"}
            return httpx.Response(400, json={**body, "data": {"status": 400}})
        return None

    intercept(world, small_pages)
    verdicts = await diagnose(world)

    assert verdicts["limits"].level == "fail"
    assert "per_page=100" in verdicts["limits"].found


async def test_a_store_with_a_smaller_batch_limit_warns(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    config = SandboxConfig(webhook_auto_deliver=False, keys=keys(), batch_limit=50)
    with setup_world(tmp_path, _sqlite_template, sandbox=config) as world:
        verdicts = await diagnose(world)

    assert verdicts["limits"].level == "warn"
    assert "a batch of 100 is refused (413)" in verdicts["limits"].found


async def test_the_administrator_probe_unanswered_is_a_warning(world: World) -> None:
    def no_wc_admin(request: httpx.Request) -> httpx.Response | None:
        if "/wc-admin/" in request.url.path:
            body = {"code": "rest_no_route", "message": "No route", "data": {"status": 404}}
            return httpx.Response(404, json=body)
        return None

    intercept(world, no_wc_admin)
    verdicts = await diagnose(world)

    assert verdicts["key scope"].level == "warn"
    assert "could not tell" in verdicts["key scope"].found


async def test_prices_entered_with_tax_against_net_pos_prices_warn(world: World) -> None:
    await world.api("PUT", "/settings/general/woocommerce_calc_taxes", json={"value": "yes"})
    await world.api("PUT", "/settings/tax/woocommerce_prices_include_tax", json={"value": "yes"})

    verdicts = await diagnose(world)

    assert verdicts["prices"].level == "warn"
    assert "prices entered with tax, taxes on" in verdicts["prices"].found
    assert "charged no tax on it" in verdicts["prices"].found
    assert not blocks_sync([verdicts["prices"]])


async def test_a_currency_without_decimals_warns(world: World) -> None:
    await world.api("PUT", "/settings/general/woocommerce_currency", json={"value": "JPY"})
    await world.api("PUT", "/settings/general/woocommerce_price_num_decimals", json={"value": "0"})

    verdicts = await diagnose(world)

    assert verdicts["prices"].level == "warn"
    assert verdicts["prices"].found.startswith("JPY, 0 decimals")


async def test_stock_management_off_fails(world: World) -> None:
    await world.api("PUT", "/settings/products/woocommerce_manage_stock", json={"value": "no"})

    verdicts = await diagnose(world)

    assert verdicts["stock"].level == "fail"
    assert blocks_sync(verdicts.values())


async def test_missing_webhooks_warn(world: World) -> None:
    verdicts = await diagnose(world)

    assert verdicts["webhooks"].level == "warn"
    assert "order.created: no webhook" in verdicts["webhooks"].found
    assert verdicts["webhooks"].fix == "run storebridge webhooks install --store main"


async def test_a_webhook_woocommerce_disabled_warns(world: World) -> None:
    await _healthy(world)
    hooks = await world.api("GET", "/webhooks")
    [created] = [hook for hook in hooks if hook["topic"] == "order.created"]
    await world.api("PUT", f"/webhooks/{created['id']}", json={"status": "disabled"})

    verdicts = await diagnose(world)

    assert verdicts["webhooks"].level == "warn"
    assert f"order.created: disabled by WooCommerce after failed deliveries (#{created['id']})" in (
        verdicts["webhooks"].found
    )


async def test_webhooks_pointing_elsewhere_warn(world: World) -> None:
    await _healthy(world)

    verdicts = await diagnose(world, public_url="https://moved.example")

    assert verdicts["webhooks"].level == "warn"
    assert "delivers elsewhere" in verdicts["webhooks"].found


async def test_a_store_without_webhook_secret_warns(tmp_path: Path, _sqlite_template: Path) -> None:
    with setup_world(tmp_path, _sqlite_template, webhook_secret=None) as world:
        verdicts = await diagnose(world)

    assert verdicts["webhooks"].level == "warn"
    assert "no webhook_secret" in verdicts["webhooks"].found


async def test_an_unreachable_connector_fails(tmp_path: Path, _sqlite_template: Path) -> None:
    missing = tmp_path / "no-such-folder" / "pos.sqlite3"
    connector = {**mapping("sqlite"), "url": f"sqlite:///{missing}"}
    with setup_world(tmp_path, _sqlite_template, connector=connector) as world:
        verdicts = await diagnose(world)

    assert verdicts["connector"].level == "fail"
    assert verdicts["connector"].found.startswith("the sql connector does not answer: ")
    assert "unable to open database file" in verdicts["connector"].found


async def test_an_unmigrated_database_fails(tmp_path: Path, _sqlite_template: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    with setup_world(tmp_path, _sqlite_template, db_url=f"sqlite:///{empty}") as world:
        database, session_key = diagnose_installation(world.services)

    assert database.level == "fail"
    assert "never migrated" in database.found and database.fix == "run storebridge db upgrade"
    assert session_key.level == "warn"  # the test world's key is one letter repeated


async def test_a_migrated_database_passes(world: World) -> None:
    database, _ = diagnose_installation(world.services)

    assert database.level == "ok"


async def test_a_store_failing_half_way_is_reported_and_the_rest_still_checked(
    world: World,
) -> None:
    def broken_batches(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/products/batch"):
            body = {"code": "internal_server_error", "message": "Fatal error", "data": None}
            return httpx.Response(500, json=body)
        return None

    intercept(world, broken_batches)
    verdicts = await diagnose(world)

    assert verdicts["site"].level == "ok"
    assert verdicts["woocommerce"].level == "fail"
    assert "POST /products/batch: HTTP 500" in verdicts["woocommerce"].found
    assert verdicts["connector"].level == "ok"


async def test_an_old_woocommerce_fails(world: World) -> None:
    def old_status(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/system_status"):
            return httpx.Response(200, json={"environment": {"version": "3.4.7"}})
        return None

    intercept(world, old_status)
    verdicts = await diagnose(world)

    assert verdicts["site"].level == "fail"
    assert "WooCommerce 3.4.7, which has no wc/v3 API" in verdicts["site"].found


async def test_a_url_serving_a_web_page_fails(world: World) -> None:
    def html(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(
            200, text="<html>Welcome</html>", headers={"content-type": "text/html"}
        )

    intercept(world, html)
    verdicts = await diagnose(world)

    assert verdicts["site"].level == "fail"
    assert "expected JSON, got text/html" in verdicts["site"].found
