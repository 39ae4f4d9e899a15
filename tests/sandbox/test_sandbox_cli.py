"""`storebridge sandbox`: serving options, and the shopper/merchant commands."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from storebridge.cli import sandbox as sandbox_cli
from storebridge.cli.app import app
from storebridge.sandbox import SandboxServer


def test_serve_builds_the_config_from_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_run(asgi_app: Any, host: str, port: int, log_level: str, date_header: bool) -> None:
        served.update(app=asgi_app, host=host, port=port, date_header=date_header)

    monkeypatch.setattr(sandbox_cli.uvicorn, "run", fake_run)
    result = CliRunner().invoke(
        app,
        [
            "sandbox",
            "--port",
            "9191",
            "--latency",
            "25",
            "--assume-https",
            "--seed-products",
            "3",
            "--fault-429-rate",
            "0.1",
            "--batch-limit",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "seeded 3 products" in result.output
    sandbox = served["app"].state.sandbox
    assert served["port"] == 9191
    assert served["date_header"] is False  # the sandbox dates responses by its own clock
    assert sandbox.config.latency_seconds == 0.025
    assert sandbox.config.assume_https is True
    assert sandbox.config.batch_limit == 50
    assert sandbox.faults.config.rate_429 == 0.1
    assert sandbox.products.by_sku("SEED-000003") is not None
    sandbox.close()


def test_the_shopper_and_merchant_commands_drive_a_running_sandbox() -> None:
    runner = CliRunner()
    with SandboxServer() as server:
        server.sandbox.seed_products(2, stock=10)
        url = server.base_url
        ordered = runner.invoke(
            app, ["sandbox", "order", "--url", url, "--sku", "SEED-000001", "--qty", "2"]
        )
        assert ordered.exit_code == 0, ordered.output
        order_id = ordered.output.split()[1]
        assert "processing" in ordered.output
        changed = runner.invoke(
            app, ["sandbox", "order-status", "--url", url, order_id, "completed"]
        )
        assert changed.output.strip() == f"order {order_id} completed"
        edited = runner.invoke(
            app,
            [
                "sandbox",
                "edit-product",
                "--url",
                url,
                "--sku",
                "SEED-000001",
                "--price",
                "7.50",
                "--stock",
                "3",
            ],
        )
        assert edited.exit_code == 0, edited.output
        assert "price 7.50 stock 3" in edited.output
        refused = runner.invoke(
            app, ["sandbox", "order-status", "--url", url, "999999", "completed"]
        )
        assert refused.exit_code == 1
        counters = httpx.get(f"{url}/_sandbox/counters").json()
        assert counters["total"] == 0  # the control plane is not counted


def test_edit_product_needs_a_sku_or_an_id() -> None:
    result = CliRunner().invoke(app, ["sandbox", "edit-product", "--url", "http://127.0.0.1:9"])
    assert result.exit_code != 0


def test_an_unreachable_sandbox_is_a_clean_error() -> None:
    result = CliRunner().invoke(
        app, ["sandbox", "order", "--url", "http://127.0.0.1:9", "--sku", "X"]
    )
    assert result.exit_code != 0
    assert "cannot reach the sandbox" in result.output
