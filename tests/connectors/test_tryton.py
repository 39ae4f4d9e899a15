"""The Tryton connector against a real trytond: what it reads, what it writes, how it fails.

Every test talks JSON-RPC to the session's trytond (conftest `tryton`), on a
fresh copy of the database seeded by storebridge.connectors.tryton.seed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from connector_samples import credit, customer, guest, line, order, tryton_settings

from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.server import TrytonServer, free_port
from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.domain.model import RawItem
from storebridge.errors import ConfigError, PosUnavailable

WEB_SKUS = {code for code, spec in seed.GOODS.items() if spec[3]}


@pytest.fixture
def tryton_connector(tryton: TrytonServer) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(tryton_settings(tryton.url))
    yield connector
    connector.close()


def items_by_sku(connector: TrytonConnector) -> dict[str, RawItem]:
    return {str(item.sku): item for item in connector.read_items()}


def on_hand(connector: TrytonConnector, sku: str) -> dict[str, Any]:
    return dict(items_by_sku(connector)[sku].on_hand)


def sale_for(connector: TrytonConnector, key: str) -> dict[str, Any]:
    (sale,) = connector.rpc.call(
        "sale.sale",
        "search_read",
        [("web_id", "=", key)],
        0,
        None,
        None,
        ["number", "state", "shipment_state", "total_amount", "party", "lines", "comment"],
    )
    return dict(sale)


def sale_lines(connector: TrytonConnector, line_ids: list[int]) -> list[tuple[str, float, Decimal]]:
    rows = connector.rpc.call(
        "sale.line", "read", line_ids, ["product.code", "quantity", "unit_price"]
    )
    return sorted((r["product."]["code"], r["quantity"], r["unit_price"]) for r in rows)


# -- reading ---------------------------------------------------------------------


def test_reads_salable_goods_with_prices_attributes_and_on_hand_per_warehouse(
    tryton_connector: TrytonConnector,
) -> None:
    items = items_by_sku(tryton_connector)

    assert set(items) == set(seed.GOODS)  # no service, no unsalable product
    for code, (name, price, stock, _web, _attributes) in seed.GOODS.items():
        item = items[code]
        assert item.name == name
        assert Decimal(str(item.regular_price)) == Decimal(price)
        assert item.on_hand == stock
    assert items["BAG-7"].sale_price == seed.SALE_PRICES["BAG-7"]
    assert items["MUG-01"].sale_price is None  # the price list leaves the mug at list price
    tee = items["TEE-BLUE-M"]
    assert (tee.parent_code, tee.parent_name) == ("TEE", seed.STYLE_NAME)
    assert tee.attributes == {"Size": "M", "Colour": "Blue"}
    assert items["MUG-01"].parent_code is None


def test_webstore_prices_name_the_web_shops_listing_the_product(
    tryton_connector: TrytonConnector,
) -> None:
    items = items_by_sku(tryton_connector)
    listed = {sku for sku, item in items.items() if seed.WEB_SHOP in item.webstore_prices}
    assert listed == WEB_SKUS
    assert Decimal(str(items["MUG-01"].webstore_prices[seed.WEB_SHOP])) == Decimal("12.50")


def test_a_product_removed_from_the_web_shop_leaves_its_selection(
    tryton_connector: TrytonConnector,
) -> None:
    rpc = tryton_connector.rpc
    (shop_id,) = rpc.call("web.shop", "search", [("name", "=", seed.WEB_SHOP)], 0, 1, None)
    (mug_id,) = rpc.call("product.product", "search", [("code", "=", "MUG-01")], 0, 1, None)
    rpc.call("web.shop", "write", [shop_id], {"products": [["remove", [mug_id]]]})

    assert items_by_sku(tryton_connector)["MUG-01"].webstore_prices == {}


def test_the_flag_is_the_configured_boolean_field(tryton: TrytonServer) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, flag_field="consumable"))
    rpc = connector.rpc
    (template,) = rpc.call("product.template", "search", [("code", "=", "BAG-7")], 0, 1, None)
    rpc.call("product.template", "write", [template], {"consumable": True})

    flags = {sku: item.web_flag for sku, item in items_by_sku(connector).items()}
    assert flags["BAG-7"] is True
    assert flags["MUG-01"] is False
    connector.close()


def test_the_catalogue_is_read_in_pages_with_calls_bounded_by_pages_and_warehouses(
    tryton: TrytonServer,
) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, page_size=2))
    list(connector.read_items())  # warm-up: login and one-time look-ups
    connector.rpc.calls.clear()

    items = list(connector.read_items())

    pages = len(items) // 2 + 1  # the last, short (here empty) page ends the stream
    assert len(items) == len(seed.GOODS)
    assert connector.rpc.calls == {
        "model.product.product.search_read": pages,
        "model.product.product.read": pages - 1,  # the second warehouse, per non-empty page
        "model.web.shop.search_read": 1,
    }
    connector.close()


def test_unknown_warehouse_and_price_list_names_are_config_errors(tryton: TrytonServer) -> None:
    with pytest.raises(ConfigError, match=r"warehouse with code or name 'NOPE'.*known: SHOP, WH"):
        list(TrytonConnector(tryton_settings(tryton.url, warehouses=["NOPE"])).read_items())
    with pytest.raises(ConfigError, match="no price list named 'Nope'"):
        list(TrytonConnector(tryton_settings(tryton.url, price_list="Nope")).read_items())


# -- writing ---------------------------------------------------------------------


def test_an_order_becomes_a_sale_of_the_web_shop_with_its_shipment_done(
    tryton_connector: TrytonConnector,
) -> None:
    before = on_hand(tryton_connector, "MUG-01")
    document = order(7001, (line("MUG-01", 3, "12.50"), line("TEE-RED-M", 1, "19.99")))

    receipt = tryton_connector.write_order(document)

    sale = sale_for(tryton_connector, "main:7001")
    assert sale["number"] == receipt.pos_ref
    assert sale["state"] == "processing"  # its invoice waits for payment in Tryton
    assert sale["shipment_state"] == "sent"
    assert sale["total_amount"] == document.total
    assert sale_lines(tryton_connector, sale["lines"]) == [
        ("MUG-01", 3.0, Decimal("12.5000")),
        (seed.SHIPPING_CODE, 1.0, Decimal("4.95")),
        ("TEE-RED-M", 1.0, Decimal("19.9900")),
    ]
    after = on_hand(tryton_connector, "MUG-01")
    assert after[seed.WAREHOUSE] == before[seed.WAREHOUSE] - 3
    assert after[seed.SHOP_WAREHOUSE] == before[seed.SHOP_WAREHOUSE]
    assert "Leave at the door" in sale["comment"]


def test_the_customer_is_a_party_with_the_email_and_addresses_of_the_order(
    tryton_connector: TrytonConnector,
) -> None:
    receipt = tryton_connector.write_order(order(7002, buyer=customer("Zoe@Example.com")))

    party_id = sale_for(tryton_connector, "main:7002")["party"]
    (party,) = tryton_connector.rpc.call(
        "party.party", "read", [party_id], ["code", "name", "contact_mechanisms", "addresses"]
    )
    assert party["code"] == receipt.customer_ref
    assert party["name"] == "Ann Lee"
    mechanisms = tryton_connector.rpc.call(
        "party.contact_mechanism", "read", party["contact_mechanisms"], ["type", "value"]
    )
    assert {(m["type"], m["value"]) for m in mechanisms} == {
        ("email", "zoe@example.com"),
        ("phone", "+44 113 000 0000"),
    }
    addresses = tryton_connector.rpc.call(
        "party.address", "read", party["addresses"], ["street_unstructured", "city"]
    )
    assert [(a["street_unstructured"], a["city"]) for a in addresses] == [("1 Mill Lane", "Leeds")]


def test_an_unknown_sku_goes_on_the_unknown_item_service_and_is_named(
    tryton_connector: TrytonConnector,
) -> None:
    tryton_connector.write_order(order(7003, (line("NOT-IN-POS", 2, "5.00", known=False),)))

    sale = sale_for(tryton_connector, "main:7003")
    codes = [code for code, _q, _p in sale_lines(tryton_connector, sale["lines"])]
    assert codes == [seed.SHIPPING_CODE, seed.UNKNOWN_CODE]
    assert "NOT-IN-POS" in sale["comment"]


def test_a_guest_books_on_the_guest_party(tryton_connector: TrytonConnector) -> None:
    receipt = tryton_connector.write_order(order(7004, buyer=guest()))
    assert receipt.customer_ref == "WEB-GUEST"


def test_a_credit_is_a_return_sale_that_brings_the_stock_back(
    tryton_connector: TrytonConnector,
) -> None:
    start = on_hand(tryton_connector, "MUG-01")[seed.WAREHOUSE]
    document = order(7005, (line("MUG-01", 2, "12.50"),))
    receipt = tryton_connector.write_order(document)

    ref = tryton_connector.write_credit(credit(document, receipt.pos_ref, quantity=1))

    sale = sale_for(tryton_connector, "main:7005:credit:1")
    assert sale["number"] == ref
    assert sale["total_amount"] == Decimal("-12.50")
    assert sale_lines(tryton_connector, sale["lines"]) == [("MUG-01", -1.0, Decimal("12.5000"))]
    assert on_hand(tryton_connector, "MUG-01")[seed.WAREHOUSE] == start - 2 + 1


def test_a_sale_left_in_draft_by_a_crash_is_finished_not_duplicated(
    tryton_connector: TrytonConnector,
) -> None:
    """A sale created (draft) before the writer died counts as not written yet, then finishes."""
    writer = tryton_connector.writer
    advance = writer._advance
    writer._advance = lambda sale_id: {}  # type: ignore[method-assign,assignment,return-value]
    with pytest.raises(KeyError):
        tryton_connector.write_order(order(7006))
    writer._advance = advance  # type: ignore[method-assign]
    assert sale_for(tryton_connector, "main:7006")["state"] == "draft"
    assert tryton_connector.find_document("main:7006") is None
    # A draft sale moved no stock: its units must stay allocated.
    assert tryton_connector.applied(["main:7006"]) == {}

    receipt = tryton_connector.write_order(order(7006))

    assert receipt.already_existed
    assert tryton_connector.find_document("main:7006") == receipt.pos_ref
    assert sale_for(tryton_connector, "main:7006")["shipment_state"] == "sent"
    assert set(tryton_connector.applied(["main:7006", "main:7999"])) == {"main:7006"}


# -- the session and its errors ------------------------------------------------------


def test_an_expired_session_logs_in_again(tryton_connector: TrytonConnector) -> None:
    list(tryton_connector.read_items())
    tryton_connector.rpc._authorization = "Session " + "ZXhwaXJlZA=="  # what trytond forgot

    assert items_by_sku(tryton_connector)
    assert tryton_connector.rpc.calls["common.db.login"] == 2


def test_a_wrong_password_is_a_config_error_that_never_shows_the_password(
    tryton: TrytonServer,
) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, password="not-the-Secret-42"))
    with pytest.raises(ConfigError, match="refused the login of user 'admin'") as caught:
        connector.find_document("main:1")
    assert "not-the-Secret-42" not in str(caught.value)
    assert connector.rpc.calls["common.db.login"] == 1  # a refused login is not retried


def test_an_unknown_database_is_a_config_error(tryton: TrytonServer) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, database="nosuchdb"))
    with pytest.raises(ConfigError, match="no database 'nosuchdb'"):
        list(connector.read_items())


def test_a_missing_web_shop_is_a_config_error(tryton: TrytonServer) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, web_shop="Nowhere"))
    with pytest.raises(ConfigError, match="no web shop named 'Nowhere'"):
        connector.write_order(order(1))


def test_a_missing_module_is_a_config_error(
    tryton: TrytonServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storebridge.connectors.tryton.rpc as rpc

    monkeypatch.setattr(rpc, "REQUIRED_MODULES", (*rpc.REQUIRED_MODULES, "sale_supply"))
    connector = TrytonConnector(tryton_settings(tryton.url))
    with pytest.raises(ConfigError, match=r"lacks the module.*sale_supply"):
        list(connector.read_items())


def test_settings_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="warehouse names must not be empty"):
        TrytonSettings.model_validate(
            {
                "url": "http://x",
                "database": "d",
                "password": "p",
                "web_shop": "W",
                "warehouses": [""],
            }
        )
    with pytest.raises(ValueError, match="not a Tryton field name"):
        TrytonSettings.model_validate(
            {
                "url": "http://x",
                "database": "d",
                "password": "p",
                "web_shop": "W",
                "flag_field": "salable; drop",
            }
        )


def test_an_unreachable_server_is_retried_a_bounded_number_of_times_then_unavailable() -> None:
    waits: list[float] = []
    settings = tryton_settings(f"http://127.0.0.1:{free_port()}", max_attempts=3, timeout=2)
    connector = TrytonConnector(settings, TrytonRpc(settings, sleep=waits.append))

    with pytest.raises(PosUnavailable, match=r"common\.db\.login failed 3 times") as caught:
        connector.find_document("main:1")

    assert len(waits) == 2
    assert connector.rpc.calls == {"common.db.login": 3}
    assert seed.ADMIN_PASSWORD not in str(caught.value)


def test_a_code_differing_only_in_case_is_another_product_and_the_exact_one_is_sold(
    tryton_connector: TrytonConnector,
) -> None:
    rpc = tryton_connector.rpc
    (unit,) = rpc.call("product.uom", "search", [("name", "=", "Unit")], 0, 1, None)
    (category,) = rpc.call("product.category", "search", [("accounting", "=", True)], 0, 1, None)
    rpc.call(
        "product.template",
        "create",
        [
            {
                "name": "Lower-case mug",
                "code": "mug-01",
                "type": "goods",
                "default_uom": unit,
                "salable": True,
                "sale_uom": unit,
                "list_price": Decimal("9.00"),
                "account_category": category,
                "products": [["create", [{}]]],
            }
        ],
    )

    tryton_connector.write_order(order(7101, (line("mug-01", 1), line("MUG-01", 2))))

    sale = sale_for(tryton_connector, "main:7101")
    codes = {(code, quantity) for code, quantity, _p in sale_lines(tryton_connector, sale["lines"])}
    assert {("mug-01", 1.0), ("MUG-01", 2.0)} <= codes


def test_a_legacy_code_with_trailing_spaces_is_still_found(
    tryton: TrytonServer, tryton_connector: TrytonConnector
) -> None:
    with sqlite3.connect(tryton.database_path) as db:  # an old import wrote it by SQL
        db.execute("UPDATE product_product SET code = 'BOWL-1  ' WHERE code = 'BOWL-1'")

    assert tryton_connector.known_skus(["bowl-1", "BOWL"]) == {"bowl-1"}
    tryton_connector.write_order(order(7102, (line("BOWL-1", 1),)))
    sale = sale_for(tryton_connector, "main:7102")
    codes = [code for code, _q, _p in sale_lines(tryton_connector, sale["lines"])]
    assert "BOWL-1  " in codes


class _ForgetfulTransport(httpx.HTTPTransport):
    """Sends the user-context call without its session, so the real trytond answers 401."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b"get_preferences" in request.content:
            del request.headers["Authorization"]
        return super().handle_request(request)


def test_a_session_refused_right_after_login_is_a_config_error_not_a_login_loop(
    tryton: TrytonServer,
) -> None:
    settings = tryton_settings(tryton.url)
    rpc = TrytonRpc(settings, transport=_ForgetfulTransport())

    with pytest.raises(ConfigError, match="refused the session of user 'admin' right after login"):
        rpc.login()

    assert rpc.calls["common.db.login"] == 1
    rpc.close()


def test_without_a_price_list_no_sale_price_is_read(tryton: TrytonServer) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, price_list=None))
    items = items_by_sku(connector)
    assert {sku: item.sale_price for sku, item in items.items()} == dict.fromkeys(seed.GOODS)
    assert Decimal(str(items["BAG-7"].regular_price)) == Decimal("24.00")
    connector.close()
