"""The product commands end to end: CliRunner -> storebridge.toml -> sandbox on a real port.

`plan`, `sync products`, `reconcile` and `quarantine list` run against a
sandbox served by uvicorn from a background thread (OAuth 1.0a over plain
HTTP, as with a real store without TLS), a file feed and a SQLite database
migrated by `storebridge db upgrade`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storebridge.cli.app import app
from storebridge.persistence.db import create_engine_for, session_factory
from storebridge.persistence.repositories.locks import job_lock
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    SandboxConfig,
    SandboxServer,
)
from storebridge.sandbox.taxes import SETTINGS

FEED = "sku,name,price,quantity\nA-1,Shirt,12.50,3\nB-2,Hat,4.00,0\n"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(webhook_auto_deliver=False)) as running:
        yield running


@pytest.fixture
def shop(server: SandboxServer) -> SandboxServer:
    server.sandbox.reset()
    return server


def write_config(
    folder: Path, url: str, *, secret: str = DEMO_CONSUMER_SECRET, db: str | None = None
) -> Path:
    feed = folder / "items.csv"
    if not feed.exists():
        feed.write_text(FEED)
    config = folder / "storebridge.toml"
    config.write_text(
        f"""
[storage]
url = "{db or f"sqlite:///{folder / 'state.sqlite3'}"}"

[web]
secret_key = "{"k" * 40}"

[stores.main]
selection = "all"

[stores.main.woocommerce]
url = "{url}"
consumer_key = "{DEMO_CONSUMER_KEY}"
consumer_secret = "{secret}"
max_retries = 1

[stores.main.connector]
type = "file_feed"
path = "{feed}"
outbox = "{folder / "outbox"}"
"""
    )
    return config


@pytest.fixture
def config(tmp_path: Path, shop: SandboxServer, _sqlite_template: Path) -> Path:
    shutil.copyfile(_sqlite_template, tmp_path / "state.sqlite3")
    return write_config(tmp_path, shop.base_url)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def skus(shop: SandboxServer) -> list[str]:
    """The SKUs of the products the sandbox holds."""
    rows = shop.sandbox.db.all("SELECT sku FROM products WHERE kind = 'product'")
    return sorted(row["sku"] for row in rows)


def test_plan_lists_the_changes_and_writes_nothing(config: Path, shop: SandboxServer) -> None:
    code, output = invoke("plan", "--config", str(config))

    assert code == 0, output
    assert "create draft A-1: 'Shirt'" in output
    assert "new drafts" in output
    assert skus(shop) == []


def test_plan_warns_when_the_pos_price_basis_disagrees_with_woocommerce(
    config: Path, shop: SandboxServer
) -> None:
    shop.sandbox.settings.write(SETTINGS["woocommerce_prices_include_tax"], "yes")
    text = config.read_text().replace('selection = "all"', 'selection = "all"\npos_prices = "net"')
    config.write_text(text)
    code, output = invoke("plan", "--config", str(config))
    assert code == 0, output
    flat = " ".join(output.split())
    assert "main warning: the POS prices are net (pos_prices)" in flat
    assert "woocommerce_prices_include_tax = yes" in flat
    config.write_text(text.replace('pos_prices = "net"', 'pos_prices = "gross"'))
    code, output = invoke("plan", "--config", str(config))
    assert code == 0, output
    assert "warning" not in output


def test_sync_products_creates_drafts_then_an_idle_run_writes_nothing(
    config: Path, shop: SandboxServer
) -> None:
    code, output = invoke("sync", "products", "--config", str(config))
    assert code == 0, output
    assert "Products sync" in output and "main" in output
    assert skus(shop) == ["A-1", "B-2"]
    writes = shop.sandbox.counters.snapshot()["writes"]

    code, output = invoke("sync", "products", "--store", "main", "--config", str(config))

    assert code == 0, output
    assert shop.sandbox.counters.snapshot()["writes"] == writes
    # One read: the link check's listing of products changed since the last run (the two
    # drafts of the first run, read back once).
    assert "1/0" in output  # requests (read/write)


def test_sync_products_dry_run_writes_nothing(config: Path, shop: SandboxServer) -> None:
    code, output = invoke("sync", "products", "--dry-run", "--config", str(config))

    assert code == 0, output
    assert "dry run" in output
    assert skus(shop) == []


def test_reconcile_reports_then_fixes_a_hand_edited_stock(
    config: Path, shop: SandboxServer
) -> None:
    invoke("sync", "products", "--config", str(config))
    product = shop.sandbox.products.by_sku("A-1")
    assert product is not None
    shop.sandbox.products.update(product["id"], {"stock_quantity": 40})

    code, output = invoke("reconcile", "--report-only", "--config", str(config))
    assert code == 0, output
    assert "stock_quantity" in output and "40" in output
    assert shop.sandbox.products.by_sku("A-1")["stock_quantity"] == 40  # type: ignore[index]

    code, output = invoke("reconcile", "--config", str(config))
    assert code == 0, output
    assert shop.sandbox.products.by_sku("A-1")["stock_quantity"] == 3  # type: ignore[index]


def test_quarantine_list_shows_bad_rows_until_they_are_fixed(
    config: Path, shop: SandboxServer
) -> None:
    feed = config.parent / "items.csv"
    feed.write_text(FEED + "C-3,Scarf,-4,1\n")
    code, output = invoke("sync", "products", "--config", str(config))
    assert code == 0, output
    assert "quarantine list" in output

    code, output = invoke("quarantine", "list", "--config", str(config))
    assert code == 0, output
    assert "C-3" in output and "price_negative" in output

    feed.write_text(FEED + "C-3,Scarf,4.00,1\n")
    invoke("sync", "products", "--config", str(config))
    code, output = invoke("quarantine", "list", "--config", str(config))
    assert "no quarantined rows" in output
    assert "C-3" in skus(shop)


def test_bracketed_text_from_the_feed_survives_in_the_terminal(
    config: Path, shop: SandboxServer
) -> None:
    # Rich would read "[b]" or "[red]" as markup and drop it from the table.
    feed = config.parent / "items.csv"
    feed.write_text(FEED + "[b]C-3,Scarf,[red]4,1\n")
    invoke("sync", "products", "--config", str(config))

    code, output = invoke("quarantine", "list", "--config", str(config))

    assert code == 0, output
    assert "[b]C-3" in output and "[red]4" in " ".join(output.split())


def test_a_refused_key_says_what_to_check(
    tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    shutil.copyfile(_sqlite_template, tmp_path / "state.sqlite3")
    config = write_config(tmp_path, shop.base_url, secret="cs_wrong")

    code, output = invoke("sync", "products", "--config", str(config))
    output = " ".join(output.split())  # the message wraps at the terminal width

    assert code == 1
    assert "consumer_key and consumer_secret" in output
    assert "in [stores.main.woocommerce] and" in output  # not eaten as Rich markup
    assert "read_write permission" in output
    assert "cs_wrong" not in output


def test_a_key_revoked_while_nothing_needs_writing_fails_the_run(
    tmp_path: Path, shop: SandboxServer, _sqlite_template: Path
) -> None:
    shutil.copyfile(_sqlite_template, tmp_path / "state.sqlite3")
    config = write_config(tmp_path, shop.base_url)
    code, output = invoke("sync", "products", "--config", str(config))
    assert code == 0, output
    for command in (("sync", "products"), ("plan",)):  # idle now: nothing to read or write
        assert invoke(*command, "--config", str(config))[0] == 0

    revoked = write_config(tmp_path, shop.base_url, secret="cs_revoked")
    for command in (("sync", "products"), ("plan",)):
        code, output = invoke(*command, "--config", str(revoked))
        output = " ".join(output.split())

        assert code == 1, (command, output)
        assert "WooCommerce refused the API key" in output
        assert "[stores.main.woocommerce]" in output


def test_a_database_without_tables_says_to_upgrade(tmp_path: Path, shop: SandboxServer) -> None:
    config = write_config(tmp_path, shop.base_url)

    code, output = invoke("sync", "products", "--config", str(config))

    assert code == 2
    assert "storebridge db upgrade" in output


def test_an_unknown_store_lists_the_known_ones(config: Path) -> None:
    code, output = invoke("plan", "--store", "nope", "--config", str(config))

    assert code == 2
    assert "known stores: main" in output


def test_a_store_busy_with_another_process_is_not_synced_twice(
    config: Path, shop: SandboxServer
) -> None:
    state = config.parent / "state.sqlite3"
    engine = create_engine_for(f"sqlite:///{state}")  # the engine another process would have
    try:
        with job_lock(
            session_factory(engine), store="main", job="catalog", holder="runner-1"
        ) as ok:
            assert ok
            code, output = invoke("sync", "products", "--config", str(config))
    finally:
        engine.dispose()

    assert code == 1
    assert "another StoreBridge process" in output
    assert skus(shop) == []
