"""Cursors (get/advance/start) and job runs (start/finish/latest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories import cursors, runs
from storebridge.persistence.repositories.cursors import CursorState

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
Sessions = sessionmaker[Session]


def test_a_stream_has_no_cursor_before_its_first_read(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory() as session:
        assert cursors.get_cursor(session, store="main", stream="orders") is None


def test_advancing_a_cursor_replaces_its_value_and_boundary_ids(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        cursors.advance_cursor(
            session, store="main", stream="orders", value="2025-05-01T08:00:00Z",
            boundary_ids=[12, 11, 12],
        )  # fmt: skip
    with migrated_session_factory.begin() as session:
        state = cursors.get_cursor(session, store="main", stream="orders")
        assert state == CursorState("2025-05-01T08:00:00Z", (11, 12))
        cursors.advance_cursor(
            session, store="main", stream="orders", value="2025-05-01T09:00:00Z", now=T0
        )
    with migrated_session_factory() as session:
        assert cursors.get_cursor(session, store="main", stream="orders") == CursorState(
            "2025-05-01T09:00:00Z", ()
        )
        assert cursors.get_cursor(session, store="outlet", stream="orders") is None


def test_a_cursor_is_only_saved_if_its_transaction_commits(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory() as session:
        cursors.advance_cursor(session, store="main", stream="orders", value="x")
        session.rollback()
    with migrated_session_factory() as session:
        assert cursors.get_cursor(session, store="main", stream="orders") is None


def test_a_started_cursor_keeps_its_first_value(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        first = cursors.start_cursor(
            session, store="main", stream="orders:go-live", value="2025-05-01T08:00:00+00:00"
        )
        assert first == CursorState("2025-05-01T08:00:00+00:00", ())
    with migrated_session_factory.begin() as session:
        again = cursors.start_cursor(
            session, store="main", stream="orders:go-live", value="2025-06-01T08:00:00+00:00"
        )
        assert again == first
        other = cursors.start_cursor(session, store="outlet", stream="orders:go-live", value="x")
        assert other == CursorState("x", ())
    with migrated_session_factory() as session:
        assert cursors.get_cursor(session, store="main", stream="orders:go-live") == first


def test_a_run_starts_running_and_finishes_with_counts_and_requests(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        run = runs.start_run(session, store="main", job="products", now=T0)
        run_id = run.id
        assert run.outcome == "running"
    with migrated_session_factory.begin() as session:
        runs.finish_run(
            session, run_id=run_id, outcome="partial", counts={"created": 3, "parked": 1},
            error="1 item parked", requests={"POST products/batch 200": 1},
            now=T0 + timedelta(seconds=5),
        )  # fmt: skip
    with migrated_session_factory() as session:
        [stored] = runs.list_runs(session, store="main")
        assert (stored.outcome, stored.error) == ("partial", "1 item parked")
        assert stored.counts == {"created": 3, "parked": 1}
        assert stored.requests == {"POST products/batch 200": 1}
        assert (stored.started_at, stored.finished_at) == (T0, T0 + timedelta(seconds=5))


def test_finishing_an_unknown_run_is_an_error(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory() as session, pytest.raises(LookupError):
        runs.finish_run(session, run_id=424242, outcome="ok")


def test_latest_runs_give_the_newest_run_of_each_job_per_store(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        for minute, (store, job) in enumerate(
            [("main", "orders"), ("main", "products"), ("main", "orders"), ("outlet", "orders")]
        ):
            run = runs.start_run(session, store=store, job=job, now=T0 + timedelta(minutes=minute))
            runs.finish_run(session, run_id=run.id, outcome="ok", counts={"minute": minute})
    with migrated_session_factory() as session:
        latest = [(r.store, r.job, r.counts["minute"]) for r in runs.latest_runs(session)]
        assert latest == [("main", "orders", 2), ("main", "products", 1), ("outlet", "orders", 3)]
        only_main = runs.latest_runs(session, store="main")
        assert [(r.job, r.counts["minute"]) for r in only_main] == [("orders", 2), ("products", 1)]
        assert [r.counts["minute"] for r in runs.list_runs(session, store="main", job="orders")] == [
            2, 0,
        ]  # fmt: skip


def test_runs_left_running_by_a_crash_are_closed_as_failed(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        runs.start_run(session, store="main", job="export", now=T0)
        done = runs.start_run(session, store="main", job="orders", now=T0)
        runs.finish_run(session, run_id=done.id, outcome="ok")
    with migrated_session_factory.begin() as session:
        assert runs.fail_unfinished(session, now=T0 + timedelta(minutes=1)) == 1
    with migrated_session_factory() as session:
        outcomes = {r.job: (r.outcome, r.error) for r in runs.latest_runs(session)}
        assert outcomes["export"] == ("failed", runs.INTERRUPTED)
        assert outcomes["orders"] == ("ok", None)
