"""The reservation state machine and the "POS knows the order" release rule (design.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.domain.allocation import (
    OrderFacts,
    is_allocating,
    pos_knows_since,
    releasable,
    release_due,
)
from storebridge.domain.reservation_state import (
    ReservationRecord,
    ReservationState,
    Step,
    converted,
    failed,
    next_step,
    released,
    releasing,
    reserved,
    reserving,
    shipment_cancelled,
    shipped,
)

T0 = datetime(2026, 12, 3, 8, tzinfo=UTC)
ALLOCATING = ("pending", "processing", "on-hold")
EXPORTING = ("completed",)
ENDED = ("cancelled", "refunded", "failed", "trash")


def step_for(
    record: ReservationRecord | None,
    status: str,
    *,
    exported: bool = False,
    never: bool = False,
    parked_after: int = 3,
    edited: bool = False,
) -> Step:
    return next_step(
        record,
        status,
        allocating_statuses=ALLOCATING,
        export_statuses=EXPORTING,
        exported=exported,
        never_exported=never,
        parked_after=parked_after,
        edited=edited,
    )


HELD = reserved(None, "S1", T0, T0)


@pytest.mark.parametrize("status", ALLOCATING)
def test_an_allocating_order_is_reserved_once(status: str) -> None:
    assert step_for(None, status) is Step.RESERVE
    assert step_for(HELD, status) is Step.NOTHING
    assert step_for(released(HELD, T0), status) is Step.RESERVE  # a cancelled order restored


@pytest.mark.parametrize("status", ENDED)
def test_an_order_ended_before_export_releases_its_reservation(status: str) -> None:
    assert step_for(HELD, status) is Step.RELEASE
    assert step_for(None, status) is Step.NOTHING
    assert step_for(released(HELD, T0), status) is Step.NOTHING


def test_completion_is_the_exporters_and_the_export_converts_the_reservation() -> None:
    assert step_for(HELD, "completed") is Step.NOTHING  # the export finishes the same document
    assert step_for(HELD, "completed", exported=True) is Step.NOTE_CONVERTED
    assert step_for(converted(HELD), "refunded", exported=True) is Step.NOTHING  # credits now
    assert step_for(None, "completed", exported=True) is Step.NOTHING


def test_an_order_edited_while_reserved_is_released_then_reserved_as_it_is() -> None:
    assert step_for(HELD, "processing", edited=True) is Step.RELEASE
    assert step_for(HELD, "completed", edited=True) is Step.RELEASE  # the export writes the new one
    assert step_for(released(HELD, T0), "processing", edited=True) is Step.RESERVE
    assert step_for(HELD, "completed", exported=True, edited=True) is Step.NOTE_CONVERTED


def test_an_order_never_exported_holds_nothing_in_the_pos() -> None:
    assert step_for(None, "processing", never=True) is Step.NOTHING
    assert step_for(HELD, "processing", never=True) is Step.RELEASE


def test_a_parked_reservation_waits_for_a_human() -> None:
    parked = failed(failed(failed(None, "down"), "down"), "down")
    assert parked.attempts == 3 and parked.last_error == "down" and parked.state is None
    assert step_for(parked, "processing") is Step.NOTHING
    assert step_for(failed(None, "down"), "processing") is Step.RESERVE


def test_transitions_replay_harmlessly_and_refuse_what_would_make_a_second_document() -> None:
    assert reserved(HELD, "S1", T0 + timedelta(1), None) == HELD  # the same hold, found again
    with pytest.raises(ValueError, match="cannot reserve a reservation in state 'reserved'"):
        reserved(HELD, "S2", T0, T0)
    with pytest.raises(ValueError, match=r"cannot reserve .* 'converted'"):
        reserved(converted(HELD), "S1", T0, T0)
    with pytest.raises(ValueError, match="needs the POS document reference"):
        reserved(None, "", T0, T0)
    assert released(released(HELD, T0), T0) == released(HELD, T0)
    with pytest.raises(ValueError, match=r"cannot release .* 'converted'"):
        released(converted(HELD), T0)
    with pytest.raises(ValueError, match=r"cannot convert .* 'none'"):
        converted(ReservationRecord())
    assert converted(converted(HELD)).state is ReservationState.CONVERTED
    half = releasing(HELD)
    assert releasing(half) == half and not half.holding and HELD.holding
    assert released(half, T0).state is ReservationState.RELEASED
    assert reserved(half, "S1", T0, T0).state is ReservationState.RESERVED  # restored order
    with pytest.raises(ValueError, match=r"cannot release .* 'none'"):
        releasing(ReservationRecord())


def test_a_half_placed_reservation_is_finished_or_released_never_forgotten() -> None:
    # Killed (or timed out) after asking the POS to hold the units, before recording its answer.
    half = reserving(None)
    assert half.state is ReservationState.RESERVING and not half.holding
    assert reserving(half) == half
    assert step_for(half, "processing") is Step.RESERVE  # the POS finds its hold under the key
    assert reserved(half, "S1", T0, T0).state is ReservationState.RESERVED
    assert step_for(half, "cancelled") is Step.RELEASE  # the POS may hold it: ask it to let go
    assert step_for(half, "processing", never=True) is Step.RELEASE
    assert releasing(half).state is ReservationState.RELEASING
    assert released(half, T0).state is ReservationState.RELEASED
    assert step_for(half, "completed") is Step.NOTHING  # the export finds the hold, if any
    assert step_for(failed(half, "timeout"), "cancelled") is Step.RELEASE
    assert reserving(released(HELD, T0)).state is ReservationState.RESERVING  # order restored
    with pytest.raises(ValueError, match=r"cannot reserve .* 'reserved'"):
        reserving(HELD)
    with pytest.raises(ValueError, match=r"cannot reserve .* 'converted'"):
        reserving(converted(HELD))


def test_a_half_done_release_is_finished_unless_the_order_came_back() -> None:
    half = releasing(HELD)
    assert step_for(half, "cancelled") is Step.RELEASE
    assert step_for(half, "completed") is Step.RELEASE
    assert step_for(half, "processing") is Step.RESERVE  # finds the hold, or holds again
    assert step_for(half, "completed", exported=True) is Step.NOTHING


def test_the_pos_knows_an_order_from_its_reservation_or_its_applied_export() -> None:
    assert pos_knows_since(None, None) is None
    assert pos_knows_since(T0, None) == T0
    assert pos_knows_since(None, T0) == T0
    assert pos_knows_since(T0 + timedelta(1), T0) == T0  # the hold came first, and counts once
    open_order = OrderFacts(1, "processing", (("a", 2),), reserved_at=T0)
    assert releasable([open_order], T0 + timedelta(seconds=1)) == {1}
    assert releasable([open_order], T0) == set()


# -- a model of the whole life: the POS, StoreBridge's records, crashes and reads ----------


@dataclass
class World:
    """One order of 2 units, the POS that may hold or sell them, and StoreBridge's records."""

    status: str = "pending"
    pos_holds: bool = False  # the POS's available excludes the units (held, or sold as export)
    pos_sold: bool = False
    record: ReservationRecord | None = None
    exported_at: datetime | None = None
    clock: datetime = T0
    read_at: datetime | None = None
    read_excluded: bool = False  # what the last applied POS read saw

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def cycle(self, crash: bool) -> None:
        """One reservation pass; `crash`: killed after the POS answered, before the record."""
        step = step_for(self.record, self.status, exported=self.exported_at is not None)
        if step is Step.RESERVE:
            self.record = reserving(self.record)  # written before the POS is asked
            self.pos_holds = True  # the POS looks the key up first: a found hold is kept
            self.tick()
            if not crash:
                now = self.tick()
                self.record = reserved(self.record, "S1", now, now)
        elif step is Step.RELEASE:
            assert not self.pos_sold and self.record is not None
            self.record = releasing(self.record)  # written before the POS is asked
            self.pos_holds = False
            self.tick()
            if not crash and self.record is not None:
                self.record = released(self.record, self.tick())
        elif step is Step.NOTE_CONVERTED and self.record is not None:
            self.record = converted(self.record)

    def export(self) -> None:
        if self.status in EXPORTING and self.exported_at is None:
            self.pos_holds = self.pos_sold = True  # a held reservation becomes the sale
            self.exported_at = self.tick()

    def read(self) -> None:
        self.read_excluded = self.pos_holds
        self.read_at = self.tick()
        self.tick()

    def storebridge_holds(self) -> bool:
        holding = self.record is not None and self.record.holding
        known = pos_knows_since(
            self.exported_at, self.record.applied_at if holding and self.record else None
        )
        facts = OrderFacts(
            1,
            self.status,
            (("a", 2),),
            export_acked_at=self.exported_at,
            released=release_due(known, self.read_at),
            applied_at=self.exported_at,
        )
        return is_allocating(facts, ALLOCATING, EXPORTING)


_EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("status"), st.sampled_from(ALLOCATING + EXPORTING + ENDED)),
        st.tuples(st.just("cycle"), st.booleans()),
        st.tuples(st.just("export"), st.none()),
        st.tuples(st.just("read"), st.none()),
    ),
    max_size=30,
)


@settings(max_examples=400, deadline=None)
@given(events=_EVENTS)
def test_the_units_are_never_free_twice_and_never_held_twice_once_settled(
    events: list[tuple[str, object]],
) -> None:
    world = World()
    for kind, value in events:
        if kind == "status":
            if world.exported_at is not None and (value in ALLOCATING or world.status in ENDED):
                continue  # an exported order is not reopened, nor sold again after its credit
            world.status = str(value)
            if world.exported_at is not None and world.status in ENDED:
                world.pos_holds = False  # the credit note brings the units back in the POS
        elif kind == "cycle":
            world.cycle(crash=bool(value))
        elif kind == "export":
            world.export()
        else:
            world.read()
        taken = world.status in ALLOCATING + EXPORTING  # the web has the units
        # Never oversell: if the last read still counted the units as free, StoreBridge holds them.
        if taken and not world.read_excluded:
            assert world.storebridge_holds(), world
    # Settled (a clean cycle, the export of a completed order, a read): the units are held by
    # exactly one side.  (A record lost in a crash just before the order completed leaves them
    # held by both, the safe side, until the export finds the hold under its key.)
    world.cycle(crash=False)
    world.export()
    world.cycle(crash=False)
    world.read()
    if world.status in ALLOCATING + EXPORTING:
        assert world.read_excluded != world.storebridge_holds(), world
    elif world.exported_at is None:
        # Ended before export: the POS gave the units back, even if the kill came right after
        # it held them and before StoreBridge could record that it asked.
        assert not world.pos_holds, world


def test_ship_from_pos_a_shipped_reservation_is_completed_in_woocommerce_then_converted() -> None:
    gone = shipped(HELD, "TRACK-1", T0)
    assert gone.state is ReservationState.SHIPPED and gone.tracking == "TRACK-1" and gone.holding
    assert shipped(gone, "TRACK-1", T0) == gone
    assert step_for(gone, "processing") is Step.COMPLETE_IN_WOO
    assert step_for(gone, "completed", exported=True) is Step.COMPLETE_IN_WOO
    assert converted(gone).state is ReservationState.CONVERTED
    with pytest.raises(ValueError, match=r"cannot release .* 'shipped'"):
        released(gone, T0)
    flagged = shipment_cancelled(HELD, "cancelled in the POS")
    assert flagged.shipment_problem == "cancelled in the POS" and flagged.holding
    assert shipped(flagged, None, T0).shipment_problem is None  # shipped after all
    with pytest.raises(ValueError, match=r"cannot ship .* 'none'"):
        shipped(ReservationRecord(), None, T0)
