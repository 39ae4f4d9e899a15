"""The file feed's outbox: file names from keys, document contents, archive awareness, customers."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from connector_samples import credit, customer, file_feed_settings, guest, line, order
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.file_feed.outbox import (
    CSV_COLUMNS,
    FileOutbox,
    atomic_write,
    customer_ref_for,
    safe_name,
)


def test_order_files_are_named_after_the_idempotency_key() -> None:
    assert safe_name("main:1234") == "main__1234"
    assert safe_name("main:1234:credit:5") == "main__1234__credit__5"
    assert safe_name("my_store:12") == "my_store__12"
    assert safe_name("a/b:1") == "a%2Fb__1"
    assert safe_name(".hidden:1") == "%2Ehidden__1"


@settings(max_examples=60)
@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12))
def test_distinct_keys_never_share_a_file_name(first: str, second: str) -> None:
    for key in (first, second):
        name = safe_name(key)
        assert re.fullmatch(r"[A-Za-z0-9._%-]+", name)
        assert not name.startswith(".")
    if first != second:
        assert safe_name(first) != safe_name(second)


def test_an_order_is_written_as_full_json_and_a_record_type_csv(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path, delimiter=";", decimal_comma=True))
    document = order(77, (line("TEE-RED-M", 2, "19.99"), line("GIFT", 1, "2.50", known=False)))
    receipt = feed.write_order(document)
    outbox = feed.settings.outbox

    envelope = json.loads((outbox / "main__77.json").read_text(encoding="utf-8"))
    assert envelope["pos_ref"] == receipt.pos_ref == "main__77"
    assert envelope["customer_ref"] == receipt.customer_ref == customer_ref_for("ann@example.com")
    assert envelope["idempotency_key"] == "main:77"
    assert envelope["order"]["customer"]["billing"]["city"] == "Leeds"
    assert envelope["order"]["total"] == str(document.total)
    assert envelope["order"]["lines"][1]["known_to_pos"] is False

    with (outbox / "main__77.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["record_type"] for r in rows] == ["H", "L", "L", "S"]
    assert rows[0]["total"] == str(document.total).replace(".", ",")
    assert rows[0]["customer_ref"] == receipt.customer_ref
    assert (rows[1]["sku"], rows[1]["quantity"], rows[1]["unit_price"]) == (
        "TEE-RED-M",
        "2",
        "19,99",
    )
    assert rows[2]["non_inventory"] == "1"
    assert (rows[3]["sku"], rows[3]["total"]) == ("flat_rate", "4,95")


def test_an_order_the_erp_archived_in_sent_is_not_written_again(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    outbox = feed.settings.outbox
    first = feed.write_order(order(5))
    for name in ("main__5.json", "main__5.csv"):
        (outbox / name).rename(outbox / "sent" / name)

    again = feed.write_order(order(5))

    assert again.already_existed and again.pos_ref == first.pos_ref
    assert again.customer_ref == first.customer_ref
    assert sorted(p.name for p in outbox.glob("main__5*")) == []
    assert feed.find_document("main:5") == "main__5"


def test_an_order_is_applied_only_once_the_erp_archived_it_in_sent(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    outbox = feed.settings.outbox
    feed.write_order(order(8))
    feed.write_order(order(9))
    assert feed.applied(["main:8", "main:9", "main:404"]) == {}

    (outbox / "main__8.json").rename(outbox / "sent" / "main__8.json")
    before = datetime.now(UTC)
    applied = feed.applied(["main:8", "main:9", "main:404"])

    assert list(applied) == ["main:8"]
    # A move keeps the file's times: StoreBridge vouches only for when it saw it.
    assert applied["main:8"] >= before


def test_a_missing_csv_companion_is_written_by_the_retry_unless_archived(tmp_path: Path) -> None:
    outbox = FileOutbox(tmp_path / "outbox")
    document = order(6)
    outbox.write_order(document, "C-1")
    (tmp_path / "outbox" / "main__6.csv").unlink()  # as if the writer died after the JSON

    assert outbox.write_order(document, "C-1").already_existed
    assert (tmp_path / "outbox" / "main__6.csv").exists()

    (tmp_path / "outbox" / "main__6.csv").rename(tmp_path / "outbox" / "sent" / "main__6.csv")
    outbox.write_order(document, "C-1")
    assert not (tmp_path / "outbox" / "main__6.csv").exists()


def test_credits_go_to_their_own_folder_once(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    document = order(8)
    receipt = feed.write_order(document)
    ref = feed.write_credit(credit(document, receipt.pos_ref))
    credits = feed.settings.outbox / "credits"
    assert ref == "main__8__credit__1"
    body = json.loads((credits / f"{ref}.json").read_text(encoding="utf-8"))
    assert body["credit"]["original_pos_ref"] == "main__8"
    with (credits / f"{ref}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["record_type"], r["original_document"]) for r in rows] == [
        ("H", "main__8"),
        ("L", ""),
    ]


def test_a_customer_file_is_rewritten_only_when_the_customer_changed(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    ref = feed.upsert_customer(customer("ann@example.com", city="Leeds"))
    path = feed.settings.outbox / "customers" / f"{ref}.json"
    inode = path.stat().st_ino

    assert feed.upsert_customer(customer(" ANN@example.com")) == ref
    assert path.stat().st_ino == inode  # same content: not rewritten, not re-imported

    assert feed.upsert_customer(customer("ann@example.com", city="York")) == ref
    assert path.stat().st_ino != inode
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["email"] == "ann@example.com"
    assert record["billing"]["city"] == "York"


def test_the_shared_guest_customer_carries_no_personal_data(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    assert feed.upsert_customer(guest()) == "WEB-GUEST"
    record = json.loads(
        (feed.settings.outbox / "customers" / "WEB-GUEST.json").read_text(encoding="utf-8")
    )
    assert (record["first_name"], record["last_name"], record["billing"]) == ("WEB", "GUEST", {})


def test_an_atomic_write_replaces_the_whole_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    atomic_write(target, b"old")
    atomic_write(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_characters_the_erp_encoding_lacks_are_replaced_in_the_csv_only(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path, encoding="latin-1"))
    feed.write_order(order(9, (line("TEE-RED-M", 1),), customer("zoë@example.com")))
    document = feed.settings.outbox / "main__9"
    envelope = json.loads(document.with_suffix(".json").read_text(encoding="utf-8"))
    assert envelope["order"]["customer"]["email"] == "zoë@example.com"
    assert "zoë@example.com" in document.with_suffix(".csv").read_text(encoding="latin-1")
