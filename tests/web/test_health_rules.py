"""The green/amber/red judgement of a store (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storebridge.web.health import JobFacts, StoreFacts, judge

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _job(
    name: str = "products", ago: timedelta = MINUTE, outcome: str = "ok", **kw: object
) -> JobFacts:
    return JobFacts(name, timedelta(minutes=5), NOW - ago, outcome, **kw)  # type: ignore[arg-type]


def test_a_store_whose_jobs_ran_on_time_with_nothing_waiting_is_green() -> None:
    health = judge(StoreFacts(jobs=[_job(), _job("export")]), NOW)

    assert health.level == "green"


def test_a_failed_last_run_makes_the_store_red_and_says_why() -> None:
    health = judge(StoreFacts(jobs=[_job(outcome="failed", error="POS offline")]), NOW)

    assert health.level == "red"
    assert health.reasons[0] == "the last products run failed: POS offline"


def test_a_job_silent_for_three_intervals_is_red_and_two_intervals_amber() -> None:
    red = judge(StoreFacts(jobs=[_job(ago=16 * MINUTE)]), NOW)
    amber = judge(StoreFacts(jobs=[_job(ago=11 * MINUTE)]), NOW)
    running = judge(StoreFacts(jobs=[_job(ago=16 * MINUTE, outcome="running")]), NOW)

    assert red.level == "red" and "is `storebridge run` running?" in red.reasons[0]
    assert amber.level == "amber" and amber.reasons == ("products is late: last ran 11 min ago",)
    assert running.level == "green"


def test_things_waiting_for_a_human_make_the_store_amber_with_one_reason_each() -> None:
    facts = StoreFacts(
        jobs=[_job(outcome="partial", error="2 item(s) failed")],
        quarantined=3,
        link_problems={"broken": 1, "parked": 2},
        failed_exports=4,
        parked_exports=1,
        review_exports=1,
        error_rate=0.2,
    )

    health = judge(facts, NOW)

    assert health.level == "amber"
    assert health.reasons == (
        "the last products run had failed items: 2 item(s) failed",
        "1 order export(s) parked: retry or skip them",
        "3 order export(s) failed, retrying",
        "1 exported order(s) edited afterwards: review them",
        "1 product link(s) broken",
        "2 product link(s) parked",
        "3 POS row(s) quarantined",
        "WooCommerce answered 20% of requests with an error",
    )


def test_a_job_that_never_ran_is_amber_not_red() -> None:
    health = judge(StoreFacts(jobs=[JobFacts("reconcile", timedelta(hours=1))]), NOW)

    assert (health.level, health.reasons) == ("amber", ("reconcile has not run yet",))
