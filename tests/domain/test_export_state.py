"""The export record state machine (design.md §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storebridge.domain.export_state import (
    BackoffPolicy,
    ExportRecord,
    ExportState,
    after_export_change,
    due,
    failed,
    observe,
    resolve_review,
    retry_now,
    skip,
    succeeded,
    unskip,
)

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
TRIGGERS = {"completed"}
POLICY = BackoffPolicy(max_attempts=3, base_s=60, cap_s=90)


def eligible() -> ExportRecord:
    return observe(None, "completed", TRIGGERS)


def exported() -> ExportRecord:
    return succeeded(eligible(), "INV-1", NOW)


def test_a_new_order_is_seen_then_eligible_once_its_status_triggers_export() -> None:
    seen = observe(None, "processing", TRIGGERS)
    assert seen.state is ExportState.SEEN
    assert observe(seen, "processing", TRIGGERS) == seen
    assert observe(seen, "completed", TRIGGERS).state is ExportState.ELIGIBLE
    assert eligible().state is ExportState.ELIGIBLE


def test_a_configured_shipped_status_also_triggers_export() -> None:
    assert observe(None, "shipped", {"completed", "shipped"}).state is ExportState.ELIGIBLE


def test_an_order_leaving_the_trigger_status_before_export_goes_back_to_seen() -> None:
    assert observe(eligible(), "cancelled", TRIGGERS).state is ExportState.SEEN
    back = observe(failed(eligible(), "timeout", NOW, POLICY), "cancelled", TRIGGERS)
    assert (back.state, back.attempts, back.last_error) == (ExportState.SEEN, 1, "timeout")


@pytest.mark.parametrize("status", ["processing", "completed", "cancelled", "refunded"])
def test_exported_skipped_and_review_records_never_go_back(status: str) -> None:
    for record in (
        exported(),
        skip(eligible(), "test order"),
        after_export_change(exported(), "completed", edited=True).record,
    ):
        assert observe(record, status, TRIGGERS) == record


def test_success_records_the_pos_reference_and_time() -> None:
    record = exported()
    assert (record.state, record.pos_ref, record.exported_at) == (
        ExportState.EXPORTED,
        "INV-1",
        NOW,
    )
    assert not due(record, NOW)


def test_replaying_the_same_success_is_harmless_but_a_second_document_is_refused() -> None:
    record = exported()
    assert succeeded(record, "INV-1", NOW + timedelta(minutes=5)) == record
    with pytest.raises(ValueError, match="cannot mark as exported an export in state 'exported'"):
        succeeded(record, "INV-2", NOW)


def test_a_seen_order_cannot_be_exported() -> None:
    with pytest.raises(ValueError, match="allowed from: eligible, failed"):
        succeeded(observe(None, "processing", TRIGGERS), "INV-1", NOW)


def test_failures_back_off_exponentially_up_to_the_cap_then_park() -> None:
    first = failed(eligible(), "POS down", NOW, POLICY)
    assert (first.state, first.attempts, first.next_retry_at) == (
        ExportState.FAILED,
        1,
        NOW + timedelta(seconds=60),
    )
    second = failed(first, "POS down", NOW, POLICY)
    assert second.next_retry_at == NOW + timedelta(seconds=90)  # 120 s capped at 90 s
    third = failed(second, "still down", NOW, POLICY)
    assert third.attempts == 3
    assert third.next_retry_at is None
    assert third.parked
    assert third.last_error == "still down"


def test_a_failed_export_is_due_only_once_its_retry_time_has_come() -> None:
    record = failed(eligible(), "POS down", NOW, POLICY)
    assert not due(record, NOW + timedelta(seconds=59))
    assert due(record, NOW + timedelta(seconds=60))
    assert due(eligible(), NOW)
    assert not due(observe(None, "processing", TRIGGERS), NOW)


def test_a_parked_export_is_never_due_until_a_manual_retry() -> None:
    parked = failed(
        failed(failed(eligible(), "x", NOW, POLICY), "x", NOW, POLICY), "x", NOW, POLICY
    )
    assert not due(parked, NOW + timedelta(days=365))
    again = retry_now(parked)
    assert again.state is ExportState.ELIGIBLE
    assert again.attempts == 3
    assert again.last_error == "x"
    assert due(again, NOW)


def test_only_a_failed_export_can_be_retried_by_hand() -> None:
    with pytest.raises(ValueError, match="cannot retry an export in state 'exported'"):
        retry_now(exported())


def test_skipping_needs_a_reason_and_is_refused_after_export() -> None:
    skipped = skip(eligible(), "test order")
    assert (skipped.state, skipped.skip_reason) == (ExportState.SKIPPED, "test order")
    with pytest.raises(ValueError, match="needs a reason"):
        skip(eligible(), " ")
    with pytest.raises(ValueError, match="cannot skip"):
        skip(exported(), "oops")
    with pytest.raises(ValueError, match="cannot record a failure"):
        failed(skipped, "x", NOW, POLICY)


def test_a_skipped_order_a_human_wants_exported_is_seen_again_without_its_reason() -> None:
    skipped = skip(failed(eligible(), "timeout", NOW, POLICY), "created before go-live")
    again = unskip(skipped)
    assert (again.state, again.skip_reason, again.attempts) == (ExportState.SEEN, None, 1)
    assert observe(again, "completed", TRIGGERS).state is ExportState.ELIGIBLE
    with pytest.raises(ValueError, match="cannot unskip an export in state 'exported'"):
        unskip(exported())


@pytest.mark.parametrize("status", ["refunded", "cancelled"])
def test_a_refund_or_cancellation_after_export_needs_a_credit(status: str) -> None:
    outcome = after_export_change(exported(), status, edited=False)
    assert outcome.credit_needed
    assert outcome.record == exported()


def test_an_edit_after_export_puts_the_record_under_review_until_resolved() -> None:
    outcome = after_export_change(exported(), "completed", edited=True)
    assert not outcome.credit_needed
    assert outcome.record.state is ExportState.REVIEW
    assert resolve_review(outcome.record) == exported()
    assert after_export_change(exported(), "completed", edited=False).record == exported()


def test_post_export_changes_only_apply_to_exported_orders() -> None:
    with pytest.raises(ValueError, match="allowed from: exported, review"):
        after_export_change(eligible(), "refunded", edited=False)
    with pytest.raises(ValueError, match="cannot resolve the review"):
        resolve_review(exported())


def test_backoff_policies_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        BackoffPolicy(max_attempts=0)
    assert BackoffPolicy(base_s=1, cap_s=10).delay(1000) == timedelta(seconds=10)
