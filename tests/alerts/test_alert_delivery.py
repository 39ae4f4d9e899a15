"""Alerts end to end: conditions in the database → Apprise → a real SMTP server and webhook.

Each test seeds StoreBridge's database with the state a sync would leave
(a failed run, a parked export, a broken link, quarantined rows), runs the
alerts job, and reads what the mailbox and the webhook received.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.alerts.alert_support import HOOK_PASSWORD, MAIL_PASSWORD, HookSink, MailSink
from tests.alerts.conftest import with_alert_urls
from tests.runner.process_support import free_port

from storebridge.alerts import WEBHOOK_DISABLED, clear_alert, raise_alert
from storebridge.alerts.job import run_alerts
from storebridge.bootstrap import Services, build_services
from storebridge.persistence.repositories import links, runs
from storebridge.persistence.tables import Alert, Export, QuarantineRow, Run
from storebridge.runner.execution import Ran
from storebridge.runner.jobs import ALERTS_JOB, JOB_NAMES, default_jobs
from storebridge.runner.scheduler import Scheduler

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
STORE = "main"


def _failed_products_run(services: Services, error: str = "POS offline") -> None:
    with services.sessions.begin() as session:
        run = runs.start_run(session, store=STORE, job="products", now=NOW - timedelta(minutes=1))
        runs.finish_run(session, run_id=run.id, outcome="failed", error=error, now=NOW)


def _ok_runs(services: Services) -> None:
    """Every job ran fine a minute ago: the store is no longer red."""
    with services.sessions.begin() as session:
        for job in ("products", "orders", "export", "reconcile"):
            run = runs.start_run(session, store=STORE, job=job, now=NOW)
            runs.finish_run(session, run_id=run.id, outcome="ok", now=NOW)


def _parked_export(services: Services, order: int = 1001) -> None:
    with services.sessions.begin() as session:
        session.add(
            Export(
                store=STORE,
                woo_order_id=order,
                state="failed",
                attempts=8,
                next_retry_at=None,
                last_error="POS rejected: customer has no tax id",
                flags=[],
            )
        )


def _broken_link(services: Services, sku: str = "TEE-RED") -> None:
    with services.sessions.begin() as session:
        links.upsert_link(session, store=STORE, sku=sku, woo_id=77, kind="simple", origin="created")
        links.mark_broken(
            session,
            store=STORE,
            sku=sku,
            problem=f"product 77 now carries SKU {sku}-OLD (edited in WooCommerce)",
        )


def _quarantine(services: Services, count: int, start: int = 0) -> None:
    with services.sessions.begin() as session:
        for n in range(start, start + count):
            session.add(
                QuarantineRow(
                    store=STORE,
                    fingerprint=f"fp-{n}",
                    source="items.csv",
                    line=n,
                    sku=f"BAD-{n}",
                    raw="...",
                    reason="negative_price",
                    detail="price -1.00 is negative",
                    first_seen=NOW,
                    last_seen=NOW,
                )
            )


async def test_each_problem_is_told_once_by_mail_and_webhook_even_across_a_restart(
    services: Services, mail_sink: MailSink, hook_sink: HookSink
) -> None:
    _failed_products_run(services)
    _parked_export(services)
    _broken_link(services)
    _quarantine(services, 2)

    result = await run_alerts(services, STORE, NOW)

    assert result.outcome == "ok", result.error
    assert result.counts["opened"] == 4 and result.counts["messages_sent"] == 2
    [mail] = mail_sink.mails
    assert mail.subject == "StoreBridge main: 4 problem(s)"
    assert mail.to == "ops@example.com"
    lines = mail.text.strip().splitlines()
    assert lines[0] == "Store main:"
    assert lines[1].startswith("- PROBLEM: store is red: the last products run failed: POS offline")
    assert lines[2:] == [
        "- PROBLEM: order export parked: order 1001 was not exported after 8 attempt(s): "
        "POS rejected: customer has no tax id; retry it (storebridge orders retry 1001) "
        "or skip it",
        "- PROBLEM: product link broken: SKU TEE-RED: link broken: product 77 now carries "
        "SKU TEE-RED-OLD (edited in WooCommerce)",
        "- PROBLEM: POS rows quarantined: 2 POS row(s) quarantined (negative_price 2); "
        "see `storebridge quarantine list`",
    ]
    [hook] = hook_sink.bodies
    assert hook["title"] == mail.subject
    assert hook["message"].splitlines() == lines
    assert hook["type"] == "failure"

    again = await run_alerts(services, STORE, NOW + timedelta(minutes=1))
    with build_services(services.settings) as restarted:
        after_restart = await run_alerts(restarted, STORE, NOW + timedelta(minutes=2))

    assert again.counts["messages_sent"] == 0 and after_restart.counts["messages_sent"] == 0
    assert again.counts["conditions"] == after_restart.counts["conditions"] == 4
    assert len(mail_sink.mails) == 1 and len(hook_sink.bodies) == 1


async def test_a_condition_that_goes_away_is_told_as_recovered_once(
    services: Services, mail_sink: MailSink, hook_sink: HookSink
) -> None:
    _parked_export(services)
    _broken_link(services)
    await run_alerts(services, STORE, NOW)
    with services.sessions.begin() as session:
        export = session.scalars(select(Export)).one()
        export.state, export.pos_ref = "exported", "INV-9"
        links.upsert_link(
            session, store=STORE, sku="TEE-RED", woo_id=78, kind="simple", origin="adopted"
        )

    fixed = await run_alerts(services, STORE, NOW + timedelta(minutes=5))
    quiet = await run_alerts(services, STORE, NOW + timedelta(minutes=6))

    assert fixed.counts["resolved"] == 2
    assert len(mail_sink.mails) == 2
    recovered = mail_sink.mails[1]
    assert recovered.subject == "StoreBridge main: 2 recovered"
    assert recovered.text.strip().splitlines()[1:] == [
        "- RECOVERED after 5 min: order export parked: order 1001 was not exported after "
        "8 attempt(s): POS rejected: customer has no tax id; retry it (storebridge orders "
        "retry 1001) or skip it",
        "- RECOVERED after 5 min: product link broken: SKU TEE-RED: link broken: product 77 "
        "now carries SKU TEE-RED-OLD (edited in WooCommerce)",
    ]
    assert hook_sink.bodies[1]["type"] == "success"
    assert quiet.counts["messages_sent"] == 0 and len(hook_sink.bodies) == 2


async def test_a_red_store_that_turns_green_again_recovers_and_a_new_red_is_told_again(
    services: Services, mail_sink: MailSink
) -> None:
    _failed_products_run(services)
    await run_alerts(services, STORE, NOW)
    _ok_runs(services)
    await run_alerts(services, STORE, NOW + timedelta(minutes=1))
    _failed_products_run(services, error="POS timed out")
    await run_alerts(services, STORE, NOW + timedelta(minutes=2))

    assert [mail.subject for mail in mail_sink.mails] == [
        "StoreBridge main: store is red",
        "StoreBridge main: recovered: store is red",
        "StoreBridge main: store is red",
    ]
    assert "POS timed out" in mail_sink.mails[2].text


async def test_a_growing_quarantine_is_told_again_but_a_shrinking_one_is_not(
    services: Services, mail_sink: MailSink
) -> None:
    _quarantine(services, 2)
    await run_alerts(services, STORE, NOW)
    _quarantine(services, 3, start=2)
    await run_alerts(services, STORE, NOW + timedelta(minutes=1))
    with services.sessions.begin() as session:
        for row in session.scalars(select(QuarantineRow).where(QuarantineRow.line >= 1)):
            row.resolved_at = NOW
    await run_alerts(services, STORE, NOW + timedelta(minutes=2))

    assert [mail.subject for mail in mail_sink.mails] == [
        "StoreBridge main: POS rows quarantined",
        "StoreBridge main: POS rows quarantined: grew to 5",
    ]
    assert (
        mail_sink.mails[1]
        .text.splitlines()[1]
        .startswith("- GREW from 2 to 5: POS rows quarantined: 5 POS row(s) quarantined")
    )


async def test_a_failed_target_is_retried_later_without_repeating_the_others(
    services: Services,
    mail_sink: MailSink,
    hook_sink: HookSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    hook_sink.status = 500
    _parked_export(services)

    first = await run_alerts(services, STORE, NOW)
    soon = await run_alerts(services, STORE, NOW + timedelta(seconds=10))
    hook_sink.status = 200
    later = await run_alerts(services, STORE, NOW + timedelta(seconds=31))

    assert first.outcome == "partial"
    assert first.error is not None and "json://hooks:****@127.0.0.1" in first.error
    assert (first.counts["messages_sent"], first.counts["messages_failed"]) == (1, 1)
    assert soon.counts["messages_sent"] == soon.counts["messages_failed"] == 0  # backing off
    assert later.outcome == "ok" and later.counts["messages_sent"] == 1
    assert len(mail_sink.mails) == 1  # the mail went once, not once per attempt
    assert [body["title"] for body in hook_sink.bodies] == ["StoreBridge main: order export parked"]
    with services.sessions() as session:
        alert = session.scalars(select(Alert)).one()
    assert (alert.notice, alert.delivered_to, alert.attempts) == ("none", [], 0)
    assert "not delivered to json://hooks:****@127.0.0.1" in caplog.text
    assert HOOK_PASSWORD not in caplog.text and MAIL_PASSWORD not in caplog.text
    assert HOOK_PASSWORD not in (first.error or "")


async def test_an_unreachable_target_keeps_its_message_owed_with_a_growing_wait(
    services: Services, mail_sink: MailSink
) -> None:
    dead = f"json://127.0.0.1:{free_port()}/nobody"
    settings = with_alert_urls(services.settings, dead)
    _parked_export(services)
    with build_services(settings) as lonely:
        await run_alerts(lonely, STORE, NOW)
        await run_alerts(lonely, STORE, NOW + timedelta(seconds=31))

    with services.sessions() as session:
        alert = session.scalars(select(Alert)).one()
    assert alert.notice == "problem" and alert.attempts == 2
    assert alert.next_attempt_at == NOW + timedelta(seconds=31 + 60)
    assert alert.last_error is not None and "json://127.0.0.1" in alert.last_error
    assert mail_sink.mails == []


async def test_a_webhook_checker_raises_and_clears_its_own_condition(
    services: Services, mail_sink: MailSink
) -> None:
    with services.sessions.begin() as session:
        new = raise_alert(
            session,
            kind=WEBHOOK_DISABLED,
            store=STORE,
            key="12",
            message="webhook 12 (order.updated) was disabled after failed deliveries",
            now=NOW,
        )
        again = raise_alert(
            session, kind=WEBHOOK_DISABLED, store=STORE, key="12", message="still", now=NOW
        )
    await run_alerts(services, STORE, NOW)
    await run_alerts(services, STORE, NOW + timedelta(minutes=1))  # not resolved by the job
    with services.sessions.begin() as session:
        cleared = clear_alert(session, kind=WEBHOOK_DISABLED, store=STORE, key="12", now=NOW)
        cleared_twice = clear_alert(session, kind=WEBHOOK_DISABLED, store=STORE, key="12")
    await run_alerts(services, STORE, NOW + timedelta(minutes=2))

    assert (new, again, cleared, cleared_twice) == (True, False, True, False)
    assert [mail.subject for mail in mail_sink.mails] == [
        "StoreBridge main: webhook disabled",
        "StoreBridge main: recovered: webhook disabled",
    ]
    assert "- PROBLEM: webhook disabled: still" in mail_sink.mails[0].text


async def test_raising_an_unknown_kind_is_refused(services: Services) -> None:
    with services.sessions() as session, pytest.raises(ValueError, match="unknown alert kind"):
        raise_alert(session, kind="webhook_gone", store=STORE, key="1", message="x")


async def test_a_condition_gone_before_anyone_was_told_stays_silent(
    services: Services, mail_sink: MailSink
) -> None:
    settings = with_alert_urls(services.settings, f"json://127.0.0.1:{free_port()}/down")
    _parked_export(services)
    with build_services(settings) as failing:
        await run_alerts(failing, STORE, NOW)  # nobody reached
    with services.sessions.begin() as session:
        session.scalars(select(Export)).one().state = "skipped"

    await run_alerts(services, STORE, NOW + timedelta(minutes=5))

    assert mail_sink.mails == []
    with services.sessions() as session:
        alert = session.scalars(select(Alert)).one()
    assert alert.resolved_at is not None and alert.notice == "none"


async def test_without_alert_urls_conditions_are_kept_and_nothing_old_is_replayed_later(
    services: Services, mail_sink: MailSink
) -> None:
    silent = services.settings.model_copy(update={"alerts": type(services.settings.alerts)()})
    _parked_export(services)
    with build_services(silent) as quiet:
        result = await run_alerts(quiet, STORE, NOW)

    later = await run_alerts(services, STORE, NOW + timedelta(minutes=1))

    assert result.counts["conditions"] == 1 and result.counts["messages_sent"] == 0
    assert later.counts["messages_sent"] == 0 and mail_sink.mails == []


async def test_a_store_with_its_own_alert_urls_uses_them_instead_of_the_global_list(
    services: Services, mail_sink: MailSink, hook_sink: HookSink
) -> None:
    store = services.settings.stores[STORE].model_copy(update={"alert_urls": ()})
    own = services.settings.model_copy(update={"stores": {STORE: store}})
    assert own.alert_urls(STORE) == () and len(services.settings.alert_urls(STORE)) == 2

    _parked_export(services)
    with build_services(own) as scoped:
        await run_alerts(scoped, STORE, NOW)

    assert mail_sink.mails == [] and hook_sink.bodies == []


async def test_the_runner_runs_alerts_as_a_job_under_its_own_lock(services: Services) -> None:
    _parked_export(services)
    jobs = default_jobs()
    outcome = await Scheduler(services, jobs).run_now(STORE, ALERTS_JOB)

    assert ALERTS_JOB not in JOB_NAMES and jobs[ALERTS_JOB].lock_name == "alerts"
    assert isinstance(outcome, Ran) and outcome.outcome == "ok"
    assert outcome.run_id is not None
    with services.sessions() as session:
        run = session.get(Run, outcome.run_id)
    assert run is not None and run.job == "alerts" and run.counts["opened"] == 1


async def test_messages_are_sent_with_no_database_connection_held(
    services: Services, mail_sink: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storebridge.alerts import job as alerts_job

    held: list[int] = []
    real_deliver = alerts_job.deliver

    async def watching(*args: object, **kwargs: object) -> str | None:
        held.append(services.engine.pool.checkedout())  # type: ignore[attr-defined]
        return await real_deliver(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(alerts_job, "deliver", watching)
    _parked_export(services)

    await run_alerts(services, STORE, NOW)

    assert held == [0, 0] and len(mail_sink.mails) == 1
