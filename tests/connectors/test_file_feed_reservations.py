"""The file feed's reservations: one file per key, released by a second, named by the order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from connector_samples import file_feed_settings, line, order

from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.errors import PosRejected
from storebridge.ports import PosReserver

KEY = "main:1001"


def test_a_reservation_is_a_file_the_erp_imports_and_the_order_names(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    assert isinstance(feed, PosReserver)
    folder = feed.settings.outbox / "reservations"

    receipt = feed.reserve(order(1001, (line("MUG-01", 2),)))

    assert not receipt.applied and not receipt.already_existed  # held once the ERP imports it
    written = json.loads((folder / "main__1001.json").read_text(encoding="utf-8"))
    assert written["format"] == "storebridge.reservation.v1"
    assert written["order"]["lines"][0]["sku"] == "MUG-01"
    assert feed.reserve(order(1001, (line("MUG-01", 2),))).already_existed
    assert feed.reservations_applied([KEY]) == {}
    (folder / "main__1001.json").rename(folder / "sent" / "main__1001.json")  # the ERP imports
    assert set(feed.reservations_applied([KEY, "main:9"])) == {KEY}
    assert feed.reserve(order(1001, (line("MUG-01", 2),))).already_existed  # found in sent/

    feed.write_order(order(1001, (line("MUG-01", 2),)))

    envelope = json.loads((feed.settings.outbox / "main__1001.json").read_text(encoding="utf-8"))
    assert envelope["reservation"] == "main__1001"  # the ERP turns its hold into this sale


def test_a_release_is_a_second_file_and_the_key_is_not_held_again(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    folder = feed.settings.outbox / "reservations"
    assert feed.release(KEY) is False  # nothing held
    feed.reserve(order(1001, (line("MUG-01", 2),)))

    assert feed.release(KEY) is True
    assert feed.release(KEY) is False

    assert sorted(p.name for p in folder.glob("*.json")) == [
        "main__1001.json",
        "main__1001.release.json",
    ]
    assert feed.reservations_applied([KEY]) == {}
    with pytest.raises(PosRejected, match="cannot hold it again"):
        feed.reserve(order(1001, (line("MUG-01", 2),)))
    feed.write_order(order(1001, (line("MUG-01", 2),)))
    envelope = json.loads((feed.settings.outbox / "main__1001.json").read_text(encoding="utf-8"))
    assert "reservation" not in envelope  # released: the sale books its own units
