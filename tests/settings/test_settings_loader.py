"""Loading storebridge.toml: missing files, TOML errors, environment overrides, secret files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storebridge.errors import ConfigError
from storebridge.settings import InvalidSettings, load_settings

SECRET = "cs_from_env_SUPERSECRET_42"


def test_a_missing_file_tells_to_run_storebridge_init(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, environ={})
    assert f"storebridge init --path {missing}" in str(caught.value)


def test_without_a_path_the_config_env_var_is_used(config: Path) -> None:
    settings = load_settings(None, environ={"STOREBRIDGE_CONFIG": str(config)})
    assert "main" in settings.stores


def test_without_a_path_or_env_var_storebridge_toml_in_the_working_directory_is_used(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.parent)
    assert load_settings(environ={}).web.port == 8080


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[web]\nport = = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.toml is not valid TOML: .*line 2"):
        load_settings(path, environ={})


def test_environment_variables_override_the_file(config: Path) -> None:
    settings = load_settings(
        config,
        environ={
            "STOREBRIDGE_STORAGE__URL": "postgresql+psycopg://sb@db:5432/sb",
            "STOREBRIDGE_WEB__PORT": "9090",
            "STOREBRIDGE_STORES__MAIN__WOOCOMMERCE__CONSUMER_SECRET": SECRET,
            "STOREBRIDGE_STORES__MAIN__CREATE_CATEGORIES": "false",
            "STOREBRIDGE_RUNNER__INTERVALS__ORDERS": "15",
            "STOREBRIDGE_STORES__MAIN__EXPORT_ORDERS_SINCE": "2025-03-01T00:00:00Z",
        },
    )
    store = settings.store("main")
    assert store.export_orders_since == datetime(2025, 3, 1, tzinfo=UTC)
    assert settings.storage.url == "postgresql+psycopg://sb@db:5432/sb"
    assert settings.web.port == 9090
    assert store.woocommerce.consumer_secret.get_secret_value() == SECRET
    assert store.create_categories is False
    assert store.intervals.orders == 15


def test_lists_and_tables_come_from_json_in_environment_variables(config: Path) -> None:
    settings = load_settings(
        config,
        environ={
            "STOREBRIDGE_STORES__MAIN__LOCATIONS": '["store-1", "warehouse"]',
            "STOREBRIDGE_STORES__MAIN__SAFETY_OVERRIDES": '{"SKU-1": 4}',
        },
    )
    assert settings.store("main").locations == ("store-1", "warehouse")
    assert settings.store("main").safety_for("sku-1") == 4


def test_a_list_variable_that_is_not_json_says_so(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"STOREBRIDGE_STORES__MAIN__LOCATIONS .* must hold JSON"):
        load_settings(config, environ={"STOREBRIDGE_STORES__MAIN__LOCATIONS": "store-1,store-2"})


def test_unrelated_storebridge_variables_are_ignored(config: Path) -> None:
    settings = load_settings(
        config,
        environ={"STOREBRIDGE_REQUIRE_SERVICES": "1", "STOREBRIDGE_CONFIG": "/elsewhere.toml"},
    )
    assert settings.web.port == 8080


def test_a_bad_value_from_the_environment_names_the_variable(config: Path) -> None:
    with pytest.raises(InvalidSettings) as caught:
        load_settings(config, environ={"STOREBRIDGE_WEB__PORT": "http"})
    assert "web.port = 'http'" in str(caught.value)
    assert "set by environment variable STOREBRIDGE_WEB__PORT" in str(caught.value)


def test_a_secret_from_the_environment_is_masked_when_invalid(config: Path) -> None:
    with pytest.raises(InvalidSettings) as caught:
        load_settings(config, environ={"STOREBRIDGE_WEB__SECRET_KEY": "envsecret-short"})
    assert "envsecret-short" not in str(caught.value)
    assert "STOREBRIDGE_WEB__SECRET_KEY" in str(caught.value)


def test_an_environment_variable_can_add_a_whole_store(config: Path) -> None:
    with pytest.raises(InvalidSettings) as caught:
        load_settings(config, environ={"STOREBRIDGE_STORES__OUTLET__SAFETY_STOCK": "2"})
    paths = {p.path for p in caught.value.problems}
    assert {"stores.outlet.woocommerce", "stores.outlet.connector"} <= paths


def test_an_empty_level_in_a_variable_name_is_an_error(config: Path) -> None:
    with pytest.raises(ConfigError, match="exactly two underscores"):
        load_settings(config, environ={"STOREBRIDGE_WEB____PORT": "1"})


def test_a_secret_is_read_from_the_file_named_by_its_file_key(config: Path, tmp_path: Path) -> None:
    secret_file = tmp_path / "woo_secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        'consumer_secret = "cs_demo', f'consumer_secret_file = "{secret_file}"\n# "cs_demo'
    )
    config.write_text(text, encoding="utf-8")
    store = load_settings(config, environ={}).store("main")
    assert store.woocommerce.consumer_secret.get_secret_value() == SECRET


def test_a_secret_file_can_be_named_by_an_environment_variable(
    config: Path, tmp_path: Path
) -> None:
    secret_file = tmp_path / "webhook"
    secret_file.write_text("whsec_from_file", encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("webhook_secret")),
        encoding="utf-8",
    )
    settings = load_settings(
        config, environ={"STOREBRIDGE_STORES__MAIN__WEBHOOK_SECRET_FILE": str(secret_file)}
    )
    secret = settings.store("main").webhook_secret
    assert secret is not None and secret.get_secret_value() == "whsec_from_file"


def test_a_secret_given_both_directly_and_by_file_is_refused(config: Path) -> None:
    with pytest.raises(ConfigError, match="both directly and as consumer_secret_file"):
        load_settings(
            config,
            environ={"STOREBRIDGE_STORES__MAIN__WOOCOMMERCE__CONSUMER_SECRET_FILE": "/x"},
        )


def test_a_missing_secret_file_names_the_field_and_the_file(config: Path, tmp_path: Path) -> None:
    text = config.read_text(encoding="utf-8").replace(
        'secret_key = "', f'secret_key_file = "{tmp_path / "absent"}"\n# secret_key = "'
    )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert "web.secret_key" in str(caught.value)
    assert str(tmp_path / "absent") in str(caught.value)


def test_an_empty_secret_file_is_refused(config: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("webhook_secret")),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="is empty"):
        load_settings(config, environ={"STOREBRIDGE_STORES__MAIN__WEBHOOK_SECRET_FILE": str(empty)})


def test_file_suffixed_keys_of_non_secret_fields_are_not_treated_as_secret_files(
    config: Path,
) -> None:
    with pytest.raises(InvalidSettings) as caught:
        load_settings(config, environ={"STOREBRIDGE_WEB__HOST_FILE": "/etc/hostname"})
    assert [p.path for p in caught.value.problems] == ["web.host_file"]
