"""`storebridge init` writes an example configuration that loads as it is."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from storebridge.cli.app import app
from storebridge.settings import (
    DEMO_CONSUMER_KEY,
    DEMO_SANDBOX_URL,
    Settings,
    load_settings,
    render_example_config,
)


def test_init_writes_an_example_that_loads_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "storebridge.toml"
    result = CliRunner().invoke(app, ["init", "--path", str(path)])
    assert result.exit_code == 0, result.output
    settings = load_settings(path, environ={})
    store = settings.store("main")
    assert store.connector.type == "demo"
    assert store.woocommerce.url == DEMO_SANDBOX_URL
    assert store.woocommerce.consumer_key.get_secret_value() == DEMO_CONSUMER_KEY
    assert store.woocommerce.effective_auth == "oauth1"
    assert len(settings.web.secret_key.get_secret_value()) >= 32


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "storebridge.toml"
    path.write_text("# mine\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["init", "--path", str(path)])
    assert refused.exit_code == 1
    assert "--force" in refused.output
    assert path.read_text(encoding="utf-8") == "# mine\n"
    forced = CliRunner().invoke(app, ["init", "--path", str(path), "--force"])
    assert forced.exit_code == 0
    assert load_settings(path, environ={}).web.port == 8080


def test_the_written_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "storebridge.toml"
    CliRunner().invoke(app, ["init", "--path", str(path)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_example_gets_its_own_generated_secrets() -> None:
    first, second = render_example_config(), render_example_config()
    assert first != second


def test_init_does_not_print_the_generated_secrets(tmp_path: Path) -> None:
    path = tmp_path / "storebridge.toml"
    result = CliRunner().invoke(app, ["init", "--path", str(path)])
    secret = load_settings(path, environ={}).web.secret_key.get_secret_value()
    assert secret not in result.output


def test_the_example_documents_the_go_live_cutoff_and_its_commented_form_loads(
    tmp_path: Path,
) -> None:
    text = render_example_config()
    assert 'export_orders_since = "first-run"' in text
    assert load_settings_text(tmp_path, text).store("main").export_orders_since == "first-run"
    commented = "#   export_orders_since = 2025-03-01T00:00:00Z"
    assert commented in text
    # The merchant's edit: the documented moment instead of the first run.
    edited = text.replace('export_orders_since = "first-run"', commented.lstrip("# "))
    since = load_settings_text(tmp_path, edited).store("main").export_orders_since
    assert since == datetime(2025, 3, 1, tzinfo=UTC)


def load_settings_text(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "storebridge.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})
