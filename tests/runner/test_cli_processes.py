"""`storebridge run` and `storebridge demo` as real processes: start, serve, stop cleanly."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import tomli_w
from sqlalchemy import select
from tests.runner.process_support import Process, free_port, login
from typer.testing import CliRunner

from storebridge.bootstrap import build_services
from storebridge.cli.app import app
from storebridge.persistence.db import upgrade
from storebridge.persistence.tables import Run
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from storebridge.settings import load_settings

SECRET_KEY = "k" * 40
WEBHOOK_SECRET = "whsec0123456789abcdef"


def _config(tmp_path: Path, port: int, **web: object) -> Path:
    path = tmp_path / "storebridge.toml"
    data = {
        "storage": {"url": f"sqlite:///{tmp_path / 'sb.sqlite3'}"},
        "web": {"host": "127.0.0.1", "port": port, "secret_key": SECRET_KEY, **web},
        "runner": {"intervals": {"products": 1, "orders": 1, "export": 1, "reconcile": 1}},
        "stores": {
            "main": {
                "webhook_secret": WEBHOOK_SECRET,
                "woocommerce": {
                    # Nothing listens there: every job fails fast, which the run log shows.
                    "url": f"http://127.0.0.1:{free_port()}",
                    "consumer_key": DEMO_CONSUMER_KEY,
                    "consumer_secret": DEMO_CONSUMER_SECRET,
                    "max_retries": 0,
                },
                "connector": {
                    "type": "demo",
                    "path": str(tmp_path / "pos.sqlite3"),
                    "seed_items": 5,
                    "seed_styles": 0,
                },
            }
        },
    }
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_run_with_json_logs_writes_one_object_a_line_with_store_and_job(tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, port)
    upgrade(f"sqlite:///{tmp_path / 'sb.sqlite3'}")
    process = Process(["--log-format", "json", "run", "--config", str(config)], cwd=tmp_path)
    try:
        process.wait_healthy(f"http://127.0.0.1:{port}")
        process.wait_for(r'"message": "store main: job \w+ failed')
        status = process.stop(signal.SIGTERM)
    finally:
        process.kill()

    assert status == 0, process.output
    lines = [json.loads(line) for line in process.lines if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    failed = [line for line in lines if line["message"].startswith("store main: job ")]
    assert failed and all(line["store"] == "main" and line["job"] for line in failed)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines too
    assert SECRET_KEY not in process.output and DEMO_CONSUMER_SECRET not in process.output


def test_run_serves_the_dashboard_runs_jobs_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, port)
    upgrade(f"sqlite:///{tmp_path / 'sb.sqlite3'}")
    process = Process(["run", "--config", str(config)], cwd=tmp_path)
    try:
        process.wait_healthy(f"http://127.0.0.1:{port}")
        process.wait_for(r"store main: job \w+ failed")
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 303

        status = process.stop(signal.SIGTERM)
    finally:
        process.kill()

    assert status == 0, process.output
    assert "scheduler stopped" in process.output
    assert SECRET_KEY not in process.output and WEBHOOK_SECRET not in process.output
    assert DEMO_CONSUMER_SECRET not in process.output
    with (
        build_services(load_settings(config, environ={})) as services,
        services.sessions() as session,
    ):
        outcomes = {(r.job, r.outcome) for r in session.scalars(select(Run))}
    assert ("orders", "failed") in outcomes
    assert all(outcome != "running" for _, outcome in outcomes)


def test_run_with_a_webhook_port_serves_two_listeners_each_refusing_the_others_routes(
    tmp_path: Path,
) -> None:
    port, hook_port = free_port(), free_port()
    config = _config(
        tmp_path,
        port,
        webhook_host="127.0.0.1",
        webhook_port=hook_port,
        forwarded_allow_ips=["127.0.0.1"],
    )
    upgrade(f"sqlite:///{tmp_path / 'sb.sqlite3'}")
    process = Process(["run", "--no-scheduler", "--config", str(config)], cwd=tmp_path)
    dashboard, hooks = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hook_port}"
    try:
        process.wait_healthy(dashboard)
        process.wait_healthy(hooks)
        webhook = "/webhooks/woocommerce/main"
        unsigned = {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": "1"}
        assert httpx.post(hooks + webhook, content=b"{}", headers=unsigned).status_code == 401
        assert httpx.get(hooks + "/login").status_code == 404
        assert httpx.get(hooks + "/metrics").status_code == 404
        assert httpx.get(hooks + "/").status_code == 404
        assert httpx.post(dashboard + webhook, content=b"{}", headers=unsigned).status_code == 404
        login_page = httpx.get(dashboard + "/login")
        assert login_page.status_code == 200
        # Behind the configured proxy the session cookie is Secure.
        assert "secure" in login_page.headers["set-cookie"].lower()

        status = process.stop(signal.SIGTERM)
    finally:
        process.kill()

    assert status == 0, process.output
    assert f"webhook receiver on http://127.0.0.1:{hook_port}" in process.output
    assert "Traceback" not in process.output


def test_run_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    config = _config(tmp_path, free_port())

    result = CliRunner().invoke(app, ["run", "--config", str(config)])

    assert result.exit_code == 2
    assert "run `storebridge db upgrade`" in result.output


def test_the_demo_serves_a_living_dashboard_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    process = Process(["demo", "--dir", str(tmp_path / "demo"), "--port", "0"], cwd=tmp_path)
    try:
        url = process.wait_for(r"dashboard:\s+(http://\S+?)/?$").group(1)
        user, password = process.wait_for(r"login:\s+(\S+) / (\S+)").groups()
        process.wait_healthy(url)
        process.wait_for(r"job products ok \(.*created \d+")
        with httpx.Client(base_url=url, timeout=10) as client:
            assert login(client, user, password).status_code == 303
            overview = client.get("/")
        assert overview.status_code == 200
        assert 'data-store="main"' in overview.text

        status = process.stop(signal.SIGINT)
    finally:
        process.kill()

    assert status == 0, process.output
    assert "demo stopped" in process.output
    assert "Traceback" not in process.output
    assert "(WooCommerce sandbox, 4 webhooks)" in process.output  # `webhooks install`'s work
    assert (tmp_path / "demo" / "storebridge.toml").exists()
