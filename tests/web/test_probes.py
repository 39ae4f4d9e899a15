"""`/healthz` and `/metrics`: open probes that expose counts only."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.runner.runner_support import runner_settings
from tests.web.web_support import WebWorld, seed_shop

from storebridge.alerts import LINK_BROKEN, WEBHOOK_DISABLED, clear_alert, raise_alert
from storebridge.bootstrap import build_services
from storebridge.web import create_web_app


async def test_healthz_answers_200_when_the_database_is_reachable(world: WebWorld) -> None:
    response = await world.client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "stores": ["main", "outlet"]}


async def test_healthz_answers_503_when_the_database_is_not(tmp_path: Path) -> None:
    settings = runner_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    with build_services(settings) as services:
        app = create_web_app(services)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


async def test_metrics_count_links_quarantine_exports_runs_and_api_use_per_store(
    world: WebWorld,
) -> None:
    seed_shop(world.services)

    response = await world.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    for line in [
        'storebridge_links{store="main",state="linked"} 2',
        'storebridge_links{store="main",state="broken"} 1',
        'storebridge_quarantined_rows{store="main"} 1',
        'storebridge_quarantined_rows{store="outlet"} 0',
        'storebridge_exports{store="main",state="failed"} 1',
        'storebridge_exports{store="main",state="exported"} 1',
        'storebridge_runs_total{store="main",job="products",outcome="ok"} 1',
        'storebridge_runs_total{store="main",job="export",outcome="failed"} 1',
        'storebridge_api_requests_24h{store="main"} 20',
        'storebridge_api_errors_24h{store="main"} 1',
    ]:
        # prometheus_client writes values as floats (2.0) and sorts labels: compare parsed.
        name, labels, value = _parse(line)
        assert samples.get((name, labels)) == value, line
    assert "# TYPE storebridge_runs_total counter" in text.splitlines()
    assert re.search(
        r'^storebridge_last_run_start_timestamp_seconds\{job="products",store="main"\} \d+\.?\d*',
        text,
        re.MULTILINE,
    )
    assert "MUG-BLUE" not in text and "a@b.test" not in text


def _parse(line: str) -> tuple[str, tuple[tuple[str, str], ...], float]:
    """One expected line of the exposition format: name, sorted labels, value."""
    head, value = line.rsplit(" ", 1)
    name, _, inner = head.partition("{")
    labels = dict(re.findall(r'(\w+)="([^"]*)"', inner))
    return name, tuple(sorted(labels.items())), float(value)


async def test_metrics_count_the_alert_conditions_open_now_by_kind(world: WebWorld) -> None:
    with world.services.sessions.begin() as session:
        for key in ("1", "2"):
            raise_alert(session, kind=WEBHOOK_DISABLED, store="main", key=key, message="off")
        raise_alert(session, kind=LINK_BROKEN, store="outlet", key="mug", message="edited")
        clear_alert(session, kind=WEBHOOK_DISABLED, store="main", key="2")

    text = (await world.client.get("/metrics")).text

    samples = {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "storebridge_alerts_open"
        for sample in family.samples
    }
    assert samples == {
        (("kind", "webhook_disabled"), ("store", "main")): 1.0,
        (("kind", "link_broken"), ("store", "outlet")): 1.0,
    }
