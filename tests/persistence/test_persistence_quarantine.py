"""Quarantine: one entry per bad row, refreshed on every sighting, resolved when fixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.model import Quarantined, SourceRef
from storebridge.persistence.repositories import quarantine

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
Sessions = sessionmaker[Session]


def bad(sku: str | None, line: int, reason: str = "negative_price") -> Quarantined:
    return Quarantined(
        SourceRef("items.csv", line, f"{sku};-3"), sku, reason, f"price -3 of {sku} is negative"
    )


def test_fingerprints_use_the_sku_when_there_is_one_else_the_line() -> None:
    by_sku = quarantine.fingerprint(source="items.csv", sku="ABC", line=3)
    assert by_sku == quarantine.fingerprint(source="items.csv", sku=" abc ", line=9)
    assert by_sku != quarantine.fingerprint(source="other.csv", sku="ABC", line=3)
    by_line = quarantine.fingerprint(source="items.csv", sku=None, line=3)
    assert by_line == quarantine.fingerprint(source="items.csv", sku="  ", line=3)
    assert by_line != quarantine.fingerprint(source="items.csv", sku=None, line=4)


def test_seeing_the_same_bad_row_again_refreshes_one_entry(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        first = quarantine.record(session, store="main", row=bad("ABC", 3), now=T0)
        later = T0 + timedelta(hours=1)
        second = quarantine.record(
            session, store="main", row=bad("ABC", 4, "sale_above_regular"), now=later
        )
        assert second.id == first.id
    with migrated_session_factory() as session:
        [entry] = quarantine.list_open(session, store="main")
        assert (entry.first_seen, entry.last_seen) == (T0, T0 + timedelta(hours=1))
        assert (entry.reason, entry.line, entry.sku) == ("sale_above_regular", 4, "ABC")
        assert entry.raw == "ABC;-3"


def test_a_row_that_validates_later_is_resolved_and_reopens_if_it_breaks_again(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        quarantine.record(session, store="main", row=bad("ABC", 3), now=T0)
        assert quarantine.resolve(session, store="main", source="items.csv", sku="abc", now=T0)
        assert not quarantine.resolve(session, store="main", source="items.csv", sku="abc")
        assert quarantine.list_open(session, store="main") == []
        reopened = quarantine.record(session, store="main", row=bad("ABC", 3))
        assert reopened.resolved_at is None
        assert reopened.first_seen == T0
        assert quarantine.count_open(session, store="main") == 1


def test_rows_absent_from_a_full_read_are_resolved(migrated_session_factory: Sessions) -> None:
    rows = [bad("A", 1), bad("B", 2), bad(None, 3)]
    with migrated_session_factory.begin() as session:
        keys = [quarantine.record(session, store="main", row=row).fingerprint for row in rows]
        quarantine.record(session, store="outlet", row=bad("A", 1))
        closed = quarantine.resolve_absent(
            session, store="main", source="items.csv", present={keys[1]}, now=T0
        )
    assert closed == 2
    with migrated_session_factory() as session:
        assert [row.sku for row in quarantine.list_open(session, store="main")] == ["B"]
        assert quarantine.count_open(session, store="outlet") == 1


def test_open_entries_are_listed_newest_first_across_stores(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        quarantine.record(session, store="main", row=bad("OLD", 1), now=T0)
        quarantine.record(session, store="outlet", row=bad("NEW", 1), now=T0 + timedelta(1))
    with migrated_session_factory() as session:
        assert [r.sku for r in quarantine.list_open(session)] == ["NEW", "OLD"]
        assert [r.sku for r in quarantine.list_open(session, limit=1)] == ["NEW"]
