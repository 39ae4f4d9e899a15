"""The shipped job catalogue, run by the scheduler against the sandbox and the demo POS."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.runner.runner_support import (
    ManualClock,
    demo_connector,
    run_rows,
    runner_settings,
    sandbox_shop,
)

from storebridge.bootstrap import Services, build_services
from storebridge.persistence.tables import ProductLink
from storebridge.runner.execution import Ran
from storebridge.runner.jobs import JOB_NAMES, default_jobs
from storebridge.runner.scheduler import Scheduler
from storebridge.sandbox import Sandbox
from storebridge.sandbox.auth import Authenticator
from storebridge.web.views.overview import store_overview


@pytest.fixture
def shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[Services, Sandbox]]:
    target = tmp_path / "db.sqlite3"
    shutil.copyfile(_sqlite_template, target)
    settings = runner_settings(
        f"sqlite:///{target}", tmp_path, ("main",), connector=demo_connector(tmp_path)
    )
    shop = sandbox_shop()
    with build_services(settings, woo_factory=shop.woo_factory) as services:
        yield services, shop.sandbox
    shop.sandbox.close()


async def test_each_shipped_job_runs_and_logs_its_api_use(
    shop: tuple[Services, Sandbox], clock: ManualClock
) -> None:
    services, _sandbox = shop
    scheduler = Scheduler(services, default_jobs(), clock=clock)

    outcomes = {name: await scheduler.run_now("main", name) for name in JOB_NAMES}

    assert all(isinstance(o, Ran) and o.outcome == "ok" for o in outcomes.values()), outcomes
    rows = {row.job: row for row in run_rows(services)}
    assert set(JOB_NAMES) <= set(rows)
    products = rows["products"]
    assert products.counts["created"] > 0
    assert products.counts["api_requests"] == sum(products.requests.values())
    assert products.counts["api_errors"] == 0
    assert rows["orders"].counts["api_requests"] > 0
    with services.sessions() as session:
        created = session.scalars(
            select(ProductLink).where(
                ProductLink.origin == "created", ProductLink.woo_parent_id.is_(None)
            )
        ).all()
    assert rows["reconcile"].counts["drafts"] == len(created) > 0


async def test_failed_requests_are_counted_as_api_errors_of_the_run(
    shop: tuple[Services, Sandbox], clock: ManualClock
) -> None:
    services, sandbox = shop
    scheduler = Scheduler(services, default_jobs(), clock=clock)
    sandbox.faults.fail_next("503", 1, method="GET")

    outcome = await scheduler.run_now("main", "products")

    assert isinstance(outcome, Ran) and outcome.outcome == "ok"
    (row,) = run_rows(services)
    assert row.counts["api_errors"] == 1
    assert row.counts["api_requests"] == sum(row.requests.values())


async def test_a_revoked_key_fails_every_job_and_turns_the_store_red_even_when_idle(
    shop: tuple[Services, Sandbox], clock: ManualClock
) -> None:
    services, sandbox = shop
    scheduler = Scheduler(services, default_jobs(), clock=clock)
    for name in (*JOB_NAMES, *JOB_NAMES):  # the second round has nothing left to do
        assert getattr(await scheduler.run_now("main", name), "outcome", None) == "ok"
    # The merchant revokes the key: WooCommerce no longer knows it.
    sandbox.auth = Authenticator((), sandbox.db)

    outcomes = {name: await scheduler.run_now("main", name) for name in JOB_NAMES}

    assert {name: getattr(o, "outcome", o) for name, o in outcomes.items()} == dict.fromkeys(
        JOB_NAMES, "failed"
    )
    with services.sessions() as session:
        overview = store_overview(session, services.settings, "main", clock.now())
    assert overview.health.level == "red"
    assert any("refused the API key" in reason for reason in overview.health.reasons)
