"""The Tryton changes cursor: closed overlapping start, dedupe at equal stamps, a bounded window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from storebridge.connectors.tryton import stamps as stamps_module
from storebridge.connectors.tryton.stamps import ChangeCursor, Stamps

T0 = datetime(2026, 12, 3, 9, 0, 0, 123456, tzinfo=UTC)
DAY = date(2026, 12, 3)
MINUTE = timedelta(seconds=60)


def row(write: datetime | None, create: datetime = T0 - timedelta(days=9)) -> dict[str, object]:
    return {"write_date": write, "create_date": create}


def test_a_record_delivered_at_a_stamp_is_not_news_at_that_stamp_again() -> None:
    start = ChangeCursor(T0, DAY, {"p:1": T0})
    seen = Stamps(start, MINUTE)

    assert not seen.fresh("p:1", row(T0))  # the same stamp: delivered already
    assert seen.fresh("p:2", row(T0))  # the same stamp, another record: a late commit
    assert seen.fresh("p:1", row(T0 + timedelta(microseconds=1)))  # written again
    # A transaction that began earlier and committed after the last read: inside the overlap.
    assert seen.fresh("p:3", row(T0 - timedelta(seconds=30)))


def test_a_never_written_record_counts_from_its_creation() -> None:
    seen = Stamps(ChangeCursor(T0, DAY), MINUTE)
    assert seen.fresh("m:1", {"write_date": None, "create_date": T0})
    assert not seen.fresh("m:2", {"write_date": None, "create_date": None})


def test_a_related_record_older_than_the_window_is_not_news() -> None:
    seen = Stamps(ChangeCursor(T0, DAY), MINUTE)
    product = {**row(T0), "template.": row(T0 - timedelta(hours=2))}
    assert seen.fresh("p:1", product)
    assert not seen.fresh("t:1", product, prefix="template.")


def test_the_cursor_moves_to_the_newest_stamp_and_keeps_only_its_window() -> None:
    seen = Stamps(ChangeCursor(T0, DAY, {"p:1": T0}), MINUTE)
    later = T0 + timedelta(seconds=90)
    seen.fresh("p:1", row(T0))
    seen.fresh("p:2", row(later))
    seen.fresh("p:3", row(later - timedelta(seconds=59)))

    after = seen.cursor(DAY)

    assert after.at == later
    assert dict(after.seen) == {"p:2": later, "p:3": later - timedelta(seconds=59)}
    assert after.since(MINUTE) == later - MINUTE


def test_the_cursor_never_moves_back_and_an_idle_read_keeps_it() -> None:
    start = ChangeCursor(T0, DAY, {"p:1": T0})
    seen = Stamps(start, MINUTE)
    seen.fresh("p:1", row(T0))
    assert seen.cursor(DAY) == ChangeCursor(T0, DAY, {"p:1": T0})
    assert Stamps(ChangeCursor(None, DAY), MINUTE).cursor(DAY).at is None


def test_a_bulk_transaction_is_kept_as_its_stamp_past_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stamps_module, "MAX_SEEN", 2)
    seen = Stamps(ChangeCursor(T0, DAY), MINUTE)
    for n in range(5):  # one import: five records, one stamp
        seen.fresh(f"p:{n}", row(T0))
    seen.fresh("m:1", row(T0 + timedelta(seconds=1)))

    after = seen.cursor(DAY)

    assert dict(after.seen) == {"m:1": T0 + timedelta(seconds=1)}
    assert after.bulk == {T0}
    again = Stamps(after, MINUTE)
    assert not any(again.fresh(f"p:{n}", row(T0)) for n in range(5))  # no re-delivery
    assert again.fresh("p:0", row(T0 + timedelta(seconds=2)))  # written again: news


def test_the_cursor_survives_its_text_and_refuses_garbage() -> None:
    cursor = ChangeCursor(T0, DAY, {"p:1": T0, "m:7": T0 - timedelta(seconds=3)}, frozenset({T0}))
    assert ChangeCursor.decode(cursor.encode()) == cursor
    assert ChangeCursor.decode(ChangeCursor(None, DAY).encode()) == ChangeCursor(None, DAY)
    for garbage in (None, 7, "", "not json", '{"at": 3}', '{"at": null, "day": "x", "seen": {}}'):
        assert ChangeCursor.decode(garbage) is None
