"""`storebridge doctor` and `storebridge webhooks ...` end to end.

CliRunner → storebridge.toml → a sandbox served on a real port over plain
HTTP (OAuth 1.0a, as a shop without TLS), the demo connector and a SQLite
database copied from a migrated template.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.setup.setup_support import WEBHOOK_SECRET
from typer.testing import CliRunner

from storebridge.cli.app import app
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    DEMO_READONLY_KEY,
    DEMO_READONLY_SECRET,
    SandboxServer,
)

PUBLIC_URL = "https://bridge.example"


def write_config(
    folder: Path, url: str, *, key: str = DEMO_CONSUMER_KEY, secret: str = DEMO_CONSUMER_SECRET
) -> Path:
    config = folder / "storebridge.toml"
    config.write_text(
        f"""
[storage]
url = "sqlite:///{folder / "state.sqlite3"}"

[web]
secret_key = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
public_url = "{PUBLIC_URL}"

[stores.main]
webhook_secret = "{WEBHOOK_SECRET}"
pos_prices = "net"

[stores.main.woocommerce]
url = "{url}"
consumer_key = "{key}"
consumer_secret = "{secret}"
max_retries = 1

[stores.main.connector]
type = "demo"
path = "{folder / "pos.sqlite3"}"
seed_items = 0
"""
    )
    return config


@pytest.fixture
def config(tmp_path: Path, shop: SandboxServer, _sqlite_template: Path) -> Path:
    shutil.copyfile(_sqlite_template, tmp_path / "state.sqlite3")
    return write_config(tmp_path, shop.base_url)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_help_lists_doctor_and_webhooks() -> None:
    code, output = run("--help")
    assert code == 0
    assert "doctor" in output and "webhooks" in output
    code, output = run("webhooks", "--help")
    assert code == 0
    assert all(command in output for command in ("install", "status", "repair"))


def test_doctor_passes_with_warnings_then_webhooks_install_quiets_one(config: Path) -> None:
    code, output = run("doctor", "--config", str(config))

    assert code == 0, output
    assert "WooCommerce 10.0.2 (wc/v3)" in output
    assert "plain HTTP, OAuth 1.0a" in output
    assert "order.created: no webhook" in output
    assert "→ run storebridge webhooks install --store main" in output
    assert "Ready to sync (3 warnings)." in output  # plain HTTP, an admin's key, no webhooks

    code, output = run("webhooks", "install", "--config", str(config))
    assert code == 0, output
    assert f"created order.created → {PUBLIC_URL}/webhooks/woocommerce/main" in output

    code, output = run("doctor", "--store", "main", "--config", str(config))
    assert code == 0, output
    assert "Ready to sync (2 warnings)." in output
    assert WEBHOOK_SECRET not in output and DEMO_CONSUMER_SECRET not in output


def test_doctor_exits_1_with_a_read_only_key(
    tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    shutil.copyfile(_sqlite_template, tmp_path / "state.sqlite3")
    config = write_config(
        tmp_path, shop.base_url, key=DEMO_READONLY_KEY, secret=DEMO_READONLY_SECRET
    )

    code, output = run("doctor", "--config", str(config))

    assert code == 1
    assert "FAIL" in output and "read-only key" in output
    assert "fix the FAIL lines first" in output


def test_doctor_names_an_unknown_store(config: Path) -> None:
    code, output = run("doctor", "--store", "nope", "--config", str(config))
    assert code == 2
    assert "no store named 'nope'" in output


def test_webhooks_status_install_twice_and_repair(config: Path) -> None:
    code, output = run("webhooks", "status", "--config", str(config))
    assert code == 1
    assert "order.updated: no webhook" in output

    assert run("webhooks", "install", "--config", str(config))[0] == 0
    code, output = run("webhooks", "install", "--config", str(config))
    assert code == 0
    assert "nothing to change" in output

    code, output = run("webhooks", "status", "--config", str(config))
    assert code == 0, output
    assert output.count(" ok ") == 4

    code, output = run("webhooks", "repair", "--config", str(config))
    assert code == 0
    assert output.count("secret sent again") == 4


def test_webhooks_status_checks_another_public_url(config: Path) -> None:
    assert run("webhooks", "install", "--config", str(config))[0] == 0

    code, output = run(
        "webhooks", "status", "--public-url", "https://moved.example", "--config", str(config)
    )

    assert code == 1
    assert "delivers elsewhere" in output
