"""Validation of storebridge.toml content: errors name the field, the value and the fix."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from storebridge.errors import ConfigError
from storebridge.settings import (
    InvalidSettings,
    JobIntervals,
    Settings,
    parse_settings,
    render_example_config,
)

SECRET = "cs_live_TOPSECRET_value_0123456789"


def example() -> dict[str, Any]:
    return tomllib.loads(render_example_config(secret_key="k" * 40, webhook_secret="whsec_x"))


def problem_for(exc: InvalidSettings, path: str) -> str:
    matches = [str(p) for p in exc.problems if p.path == path]
    assert matches, f"no problem reported for {path}: {exc}"
    return matches[0]


def invalid(data: dict[str, Any], environ: dict[str, str] | None = None) -> InvalidSettings:
    with pytest.raises(InvalidSettings) as caught:
        parse_settings(data, environ=environ, source="storebridge.toml")
    return caught.value


def test_the_example_configuration_is_valid_and_uses_documented_defaults() -> None:
    settings = parse_settings(example())
    store = settings.store("main")
    assert settings.storage.url == "sqlite:///var/storebridge.sqlite3"
    assert settings.web.port == 8080
    assert store.selection == "flag"
    assert store.delist == "zero_stock"
    assert store.allocating_statuses == ("pending", "processing", "on-hold")
    assert store.export_statuses == ("completed",)
    assert store.export_max_attempts == 8
    assert store.export_orders_since == "first-run"
    assert store.intervals == JobIntervals(products=300, orders=60, export=60, reconcile=3600)
    assert store.connector.type == "demo"


def test_a_non_http_store_url_names_the_field_the_value_and_the_fix() -> None:
    data = example()
    data["stores"]["main"]["woocommerce"]["url"] = "ftp://shop.example"
    exc = invalid(data)
    text = problem_for(exc, "stores.main.woocommerce.url")
    assert "'ftp://shop.example'" in text
    assert "must start with http:// or https://" in text
    assert "stores.main.woocommerce.url" in str(exc)
    assert isinstance(exc, ConfigError)


def test_a_misspelt_key_is_reported_with_a_suggestion_and_without_its_value() -> None:
    data = example()
    woo = data["stores"]["main"]["woocommerce"]
    woo["consumer_secrett"] = SECRET
    exc = invalid(data)
    text = problem_for(exc, "stores.main.woocommerce.consumer_secrett")
    assert "did you mean 'consumer_secret'" in text
    assert SECRET not in str(exc)


def test_a_secret_that_fails_validation_is_masked_in_the_error() -> None:
    data = example()
    data["web"]["secret_key"] = "too-short-but-secret"
    exc = invalid(data)
    text = problem_for(exc, "web.secret_key")
    assert "too-short-but-secret" not in str(exc)
    assert "**********" in text
    assert "at least 32 characters" in text
    assert "secrets.token_urlsafe" in text


def test_a_wrong_type_says_what_was_given_and_how_to_write_it() -> None:
    data = example()
    data["web"]["port"] = "eighty"
    data["stores"]["main"]["create_categories"] = "perhaps"
    exc = invalid(data)
    assert "'eighty'" in problem_for(exc, "web.port")
    assert "whole number" in problem_for(exc, "web.port")
    assert "true or false" in problem_for(exc, "stores.main.create_categories")


def test_selection_webstore_requires_the_webstore_name() -> None:
    data = example()
    data["stores"]["main"]["selection"] = "webstore"
    exc = invalid(data)
    assert "required when selection" in problem_for(exc, "stores.main.webstore")
    data["stores"]["main"]["webstore"] = "Online"
    assert parse_settings(data).store("main").webstore == "Online"


def test_an_unknown_selection_mode_lists_the_allowed_ones() -> None:
    data = example()
    data["stores"]["main"]["selection"] = "some"
    text = problem_for(invalid(data), "stores.main.selection")
    assert "'some'" in text and "'flag'" in text and "'webstore'" in text and "'all'" in text


def test_connector_errors_use_the_toml_path_without_the_union_tag() -> None:
    data = example()
    data["stores"]["main"]["connector"] = {"type": "file_feed", "delimiter": ";;"}
    exc = invalid(data)
    assert "add path = ... under [stores.main.connector]" in problem_for(
        exc, "stores.main.connector.path"
    )
    assert "one character" in problem_for(exc, "stores.main.connector.delimiter")


def test_an_unknown_connector_type_lists_the_known_types() -> None:
    data = example()
    data["stores"]["main"]["connector"] = {"type": "sap"}
    text = problem_for(invalid(data), "stores.main.connector")
    assert "'sap'" in text and "'demo'" in text and "'file_feed'" in text


def test_missing_stores_and_web_tables_are_explained() -> None:
    exc = invalid({"storage": {"url": "sqlite:///x.sqlite3"}})
    assert "add a [web] table" in problem_for(exc, "web")
    assert "storebridge init" in problem_for(exc, "stores")
    assert "add a [stores.main] table" in problem_for(exc, "stores")


def test_an_empty_stores_table_asks_for_one_store() -> None:
    data = example()
    data["stores"] = {}
    assert "[stores.main]" in problem_for(invalid(data), "stores")


@pytest.mark.parametrize("name", ["Main", "main shop", "my__shop", "9shop"])
def test_store_names_must_be_usable_in_env_vars_and_keys(name: str) -> None:
    data = example()
    data["stores"] = {name: data["stores"]["main"]}
    assert "rename" in problem_for(invalid(data), "stores")


def test_storage_urls_other_than_sqlite_and_postgresql_are_refused() -> None:
    data = example()
    data["storage"] = {"url": "mysql+pymysql://root@localhost/sb"}
    assert "not supported" in problem_for(invalid(data), "storage.url")


def test_a_storage_url_password_never_appears_in_errors_or_reprs() -> None:
    data = example()
    data["storage"] = {"url": "postgresql+psycopg://sb:hunter2pass@db/sb"}
    settings = parse_settings(data)
    assert "hunter2pass" not in repr(settings)
    assert "hunter2pass" not in str(settings)
    assert settings.storage.display_url == "postgresql+psycopg://sb:***@db/sb"
    assert settings.storage.sqlalchemy_url.password == "hunter2pass"
    data["storage"] = {"url": "oracle://sb:hunter2pass@db/sb"}
    exc = invalid(data)
    assert "hunter2pass" not in str(exc)


def test_releasing_statuses_cannot_allocate_or_export() -> None:
    data = example()
    data["stores"]["main"]["export_statuses"] = ["completed", "cancelled"]
    text = problem_for(invalid(data), "stores.main.export_statuses")
    assert "cancelled cannot be in export_statuses" in text


def test_statuses_are_normalised_from_the_wc_prefix() -> None:
    data = example()
    data["stores"]["main"]["export_statuses"] = ["wc-completed", " Shipped "]
    assert parse_settings(data).store("main").export_statuses == ("completed", "shipped")


def test_export_orders_since_takes_first_run_or_a_moment_with_its_offset() -> None:
    data = example()
    assert parse_settings(data).store("main").export_orders_since == "first-run"
    # A TOML offset date-time, as the example documents it, and the same moment as text.
    parsed = tomllib.loads("since = 2025-03-01T00:00:00+01:00")["since"]
    for value in (parsed, "2025-03-01T00:00:00+01:00", " 2025-02-28T23:00:00Z "):
        data["stores"]["main"]["export_orders_since"] = value
        since = parse_settings(data).store("main").export_orders_since
        assert since == datetime(2025, 2, 28, 23, 0, tzinfo=UTC)
    data["stores"]["main"]["export_orders_since"] = " First-Run "
    assert parse_settings(data).store("main").export_orders_since == "first-run"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (tomllib.loads("since = 2025-03-01T00:00:00")["since"], "has no UTC offset"),
        ("2025-03-01", "has no UTC offset"),
        (tomllib.loads("since = 2025-03-01")["since"], "is a day without a time"),
        ("yesterday", "is neither 'first-run' nor a date and time"),
    ],
)
def test_export_orders_since_without_an_offset_or_in_other_words_is_refused(
    value: object, message: str
) -> None:
    data = example()
    data["stores"]["main"]["export_orders_since"] = value
    text = problem_for(invalid(data), "stores.main.export_orders_since")
    assert message in text
    assert "2025-03-01T00:00:00Z" in text and '"first-run"' in text


def test_safety_overrides_are_keyed_by_normalised_sku() -> None:
    data = example()
    data["stores"]["main"]["safety_stock"] = 1
    data["stores"]["main"]["safety_overrides"] = {" Tee-Red-M ": 3}
    store = parse_settings(data).store("main")
    assert store.safety_for("TEE-RED-M") == 3
    assert store.safety_for("other") == 1


def test_two_safety_overrides_for_the_same_sku_are_refused() -> None:
    data = example()
    data["stores"]["main"]["safety_overrides"] = {"ABC": 1, "abc": 2}
    assert "listed twice" in problem_for(invalid(data), "stores.main.safety_overrides")


def test_store_intervals_override_runner_defaults_key_by_key() -> None:
    data = example()
    data["runner"]["intervals"]["orders"] = 30
    data["stores"]["main"]["intervals"] = {"products": 900}
    intervals = parse_settings(data).store("main").intervals
    assert intervals == JobIntervals(products=900, orders=30, export=60, reconcile=3600)


def test_a_bad_runner_interval_is_reported_once_under_runner() -> None:
    data = example()
    data["runner"]["intervals"]["orders"] = 0
    exc = invalid(data)
    assert [p.path for p in exc.problems] == ["runner.intervals.orders"]


def test_asking_for_an_unknown_store_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known stores: main"):
        parse_settings(example()).store("other")


def test_every_problem_is_reported_at_once() -> None:
    data = example()
    data["web"]["port"] = 0
    data["stores"]["main"]["safety_stock"] = -1
    data["stores"]["main"]["woocommerce"]["url"] = "shop.example"
    exc = invalid(data)
    assert {p.path for p in exc.problems} == {
        "web.port",
        "stores.main.safety_stock",
        "stores.main.woocommerce.url",
    }
    assert str(exc).startswith("storebridge.toml is invalid (3 problems):")


def test_secrets_are_masked_in_repr_str_and_json_dumps() -> None:
    data = example()
    data["stores"]["main"]["woocommerce"]["consumer_secret"] = SECRET
    settings = parse_settings(data)
    for rendering in (repr(settings), str(settings), settings.model_dump_json()):
        assert SECRET not in rendering
        assert "k" * 40 not in rendering
        assert "whsec_x" not in rendering
    woo = settings.store("main").woocommerce
    assert woo.consumer_secret.get_secret_value() == SECRET


def test_pydantic_errors_raised_directly_by_the_model_hide_inputs() -> None:
    data = example()
    data["web"]["secret_key"] = "short-secret-value"
    # A model-level error of the WooCommerce table has the whole table, keys included, as input.
    data["stores"]["main"]["woocommerce"].update(auth="basic", consumer_secret=SECRET)
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(data)
    assert len(caught.value.errors()) == 2
    for rendering in (str(caught.value), repr(caught.value)):
        assert "short-secret-value" not in rendering
        assert SECRET not in rendering
