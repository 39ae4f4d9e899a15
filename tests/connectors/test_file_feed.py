"""The file feed's read side: CSV and JSON lines as found, drop folder protocol, known SKUs."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from connector_samples import FEED_CSV, FEED_MAPPING, FEED_SKUS
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.settings import ColumnMapping, FileFeedSettings
from storebridge.domain.validation import validate_feed
from storebridge.errors import PosRejected, PosUnavailable


def feed_for(tmp_path: Path, path: Path, **options: object) -> FileFeed:
    values: dict[str, object] = {"path": path, "outbox": tmp_path / "outbox"}
    values.update(options)
    return FileFeed(FileFeedSettings.model_validate(values))


# -- CSV ---------------------------------------------------------------------------


def test_a_semicolon_latin1_feed_with_decimal_commas_is_read_as_found(tmp_path: Path) -> None:
    path = tmp_path / "erp.csv"
    path.write_bytes(
        "sku;name;price;quantity\nBOL-1;Crème brûlée bowl;12,50;3\nBOL-2;Façade print;1.234,00;0\n".encode(
            "latin-1"
        )
    )
    feed = feed_for(tmp_path, path, delimiter=";", encoding="latin-1", decimal_comma=True)
    rows = list(feed.read_items())
    assert [(r.sku, r.name, r.regular_price, r.on_hand) for r in rows] == [
        ("BOL-1", "Crème brûlée bowl", "12,50", {"default": "3"}),
        ("BOL-2", "Façade print", "1.234,00", {"default": "0"}),
    ]
    assert feed.decimal_comma  # validation parses the commas; the feed leaves them alone


def test_a_utf8_byte_order_mark_does_not_hide_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfsku,name,price,quantity\nA-1,Mug,9.99,4\n")
    rows = list(feed_for(tmp_path, path).read_items())
    assert [r.sku for r in rows] == ["A-1"]


def test_a_file_with_an_undecodable_byte_is_rejected_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"sku,name,price,quantity\nA-1,Caf\xe9 mug,9.99,4\nA-2,Plain,1.00,1\n")
    with pytest.raises(PosRejected) as caught:
        list(feed_for(tmp_path, path).read_items())
    message = str(caught.value)
    assert "broken.csv is not text in the configured encoding 'utf-8'" in message
    assert "byte offset 31" in message  # len(b"sku,name,price,quantity\nA-1,Caf")
    assert "mapped column" not in message and "Caf" not in message


def test_an_undecodable_byte_beyond_the_first_chunk_is_found_at_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    head = b"sku,name,price,quantity\n" + b"".join(
        f"S-{n:06d},Mug \u00e9,1.00,1\n".encode() for n in range(5000)
    )
    path.write_bytes(head + b"X-1,\xff,1.00,1\n")
    with pytest.raises(PosRejected, match=f"byte offset {len(head) + 4}\\)"):
        list(feed_for(tmp_path, path).read_items())


def test_a_binary_file_in_an_8_bit_encoding_is_not_text_either(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(PosRejected) as caught:
        list(feed_for(tmp_path, path, encoding="latin-1").read_items())
    message = str(caught.value)
    assert "photo.csv is not text in the configured encoding 'latin-1' (at byte offset 8)" in (
        message
    )
    assert "PNG" not in message and "\x1a" not in message


def test_every_mapped_column_lands_in_its_raw_item_field(tmp_path: Path) -> None:
    path = tmp_path / "full.csv"
    path.write_text(
        "Code\tTitle\tPrice\tPromo\tFrom\tTo\tShop\tBack\tWeb\tStores\tWebPrice\tCats\tKg\tStyle"
        "\tStyleName\tSize\tDesc\n"
        "TS-M\tTee M\t20.00\t15.00\t01/03/2025\t31/13/2025\t2\t\tYes\tonline|outlet\t18.00"
        "\tApparel | Tees\t0.2\tTS\tTee\tM\tSoft cotton\n",
        encoding="utf-8",
    )
    mapping = ColumnMapping(
        sku="code",
        name="title",
        price="price",
        sale_price="promo",
        sale_from="from",
        sale_to="to",
        quantity={"shop": "shop", "back": "back"},
        web_flag="web",
        webstore="stores",
        webstore_price="webprice",
        categories="cats",
        weight="kg",
        parent_code="style",
        parent_name="stylename",
        attributes={"Size": "size"},
        description="desc",
    )
    feed = feed_for(tmp_path, path, delimiter="\\t", mapping=mapping, date_format="%d/%m/%Y")
    (row,) = feed.read_items()
    assert row.sku == "TS-M" and row.name == "Tee M"
    assert (row.regular_price, row.sale_price) == ("20.00", "15.00")
    assert (row.sale_from, row.sale_to) == ("01/03/2025", "31/13/2025")  # parsed by validation
    assert feed.date_format == "%d/%m/%Y"
    assert row.on_hand == {"shop": "2", "back": None}  # a blank cell is None
    assert row.web_flag is True
    assert row.webstore_prices == {"online": "18.00", "outlet": "18.00"}
    assert row.categories == ("Apparel", "Tees")
    assert (row.weight, row.parent_code, row.parent_name) == ("0.2", "TS", "Tee")
    assert row.attributes == {"Size": "M"}
    assert row.description == "Soft cotton"
    assert row.ref.source == "full.csv" and row.ref.line == 2
    assert row.ref.raw.startswith("TS-M\tTee M")


def test_web_flags_follow_the_configured_true_values(tmp_path: Path) -> None:
    path = tmp_path / "flags.csv"
    path.write_text("sku,web\nA,X\nB,no\nC,\nD,ja\n", encoding="utf-8")
    mapping = ColumnMapping(name=None, price=None, quantity={}, web_flag="web")
    rows = list(feed_for(tmp_path, path, mapping=mapping, true_values=("x", "ja")).read_items())
    assert [r.web_flag for r in rows] == [True, False, None, True]


def test_quoted_multi_line_fields_keep_their_raw_text_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        'sku,name,price,quantity\nA,"Two\nlines",1.00,1\nB,One,2.00,2\n', encoding="utf-8"
    )
    rows = list(feed_for(tmp_path, path).read_items())
    assert [(r.sku, r.ref.line) for r in rows] == [("A", 2), ("B", 4)]
    assert rows[0].ref.raw == 'A,"Two\nlines",1.00,1'
    assert rows[0].name == "Two\nlines"


def test_a_row_the_csv_module_cannot_split_is_passed_on_without_a_sku(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        "sku,name,price,quantity\nA," + "x" * 200_000 + ",1.00,1\nB,Fine,2.00,2\n",
        encoding="utf-8",
    )
    rows = list(feed_for(tmp_path, path).read_items())
    assert rows[0].sku is None and rows[0].ref.line == 2
    assert rows[1].sku == "B" and rows[1].ref.line == 3


def test_short_rows_leave_missing_cells_none(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("sku,name,price,quantity\nA,Mug\n", encoding="utf-8")
    (row,) = feed_for(tmp_path, path).read_items()
    assert (row.sku, row.name, row.regular_price, row.on_hand) == (
        "A",
        "Mug",
        None,
        {"default": None},
    )


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_any_csv_the_csv_module_writes_is_read_back_cell_for_cell(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str]], delimiter: str
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["sku", "name", "price"])
    writer.writerows(rows)
    path = folder / "feed.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    mapping = ColumnMapping(quantity={})
    read = list(feed_for(folder, path, delimiter=delimiter, mapping=mapping).read_items())

    def found(value: str) -> str | None:
        return value if value.strip() else None

    expected = [tuple(found(v) for v in row) for row in rows if any(v.strip() for v in row)]
    assert [(r.sku, r.name, r.regular_price) for r in read] == expected


# -- JSON lines ----------------------------------------------------------------------


def test_json_lines_are_read_with_exact_numbers_and_bad_lines_kept(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps({"SKU": "A-1", "name": "Mug", "price": 12.5, "quantity": 3, "web": True})
        + "\n\n"
        + '{"sku": "A-2", "name": "Broken\n'
        + "[1, 2]\n"
        + json.dumps({"sku": "A-3", "name": "Tags", "price": "4.00", "quantity": None,
                      "cats": ["Home", "Kitchen"], "extra": {"nested": 1}})
        + "\n",
        encoding="utf-8",
    )  # fmt: skip
    mapping = ColumnMapping(web_flag="web", categories="cats", description="extra")
    rows = list(feed_for(tmp_path, path, format="jsonl", mapping=mapping).read_items())
    assert [(r.sku, r.ref.line) for r in rows] == [("A-1", 1), (None, 3), (None, 4), ("A-3", 5)]
    assert rows[0].regular_price == Decimal("12.5") and rows[0].on_hand == {"default": 3}
    assert rows[0].web_flag is True
    assert rows[1].ref.raw == '{"sku": "A-2", "name": "Broken'
    assert rows[2].ref.raw == "[1, 2]"
    assert rows[3].categories == ("Home", "Kitchen")
    assert rows[3].on_hand == {"default": None}
    assert rows[3].description == '{"nested": 1}'


# -- single file ------------------------------------------------------------------------


def test_a_single_feed_file_stays_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(FEED_CSV, encoding="utf-8")
    feed = feed_for(tmp_path, path, mapping=FEED_MAPPING)
    assert len(list(feed.read_items())) == len(FEED_SKUS)
    assert feed.acknowledge().done == ()
    assert path.exists()


def test_a_missing_single_feed_file_is_a_transient_failure(tmp_path: Path) -> None:
    feed = feed_for(tmp_path, tmp_path / "not-yet.csv")
    with pytest.raises(PosUnavailable, match=r"not-yet\.csv"):
        list(feed.read_items())


def test_a_single_feed_file_without_a_mapped_column_is_rejected_with_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "feed.csv"
    path.write_text("code;name;price;quantity\nA;B;1;2\n", encoding="utf-8")
    with pytest.raises(PosRejected) as caught:
        list(feed_for(tmp_path, path).read_items())
    message = str(caught.value)
    assert "'sku'" in message and "header found: 'code;name;price;quantity'" in message


# -- drop folder ---------------------------------------------------------------------------


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "002-later.csv").write_text("sku,name,price,quantity\nB-1,Bowl,5.00,1\n")
    (folder / "001-first.csv").write_text(
        "sku,name,price,quantity\nA-1,Mug,9.99,4\nA-2,Cup,3.00,0\n"
    )
    (folder / "003-broken.csv").write_text("code,name,price,quantity\nC-1,Plate,4.00,1\n")
    (folder / ".004-being-written.csv").write_text("sku,name,price,quantity\nD-1,X,1.00,1\n")
    (folder / "notes.txt").write_text("not a feed")
    return folder


def test_a_binary_file_in_a_drop_folder_goes_to_rejected_with_the_reason(
    tmp_path: Path, drop: Path
) -> None:
    (drop / "000-export.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xb5\x8e")
    feed = feed_for(tmp_path, drop)
    rows = list(feed.read_items())
    assert "000-export.csv" not in {r.ref.source for r in rows}

    acknowledged = feed.acknowledge()

    assert sorted(p.name for p in acknowledged.rejected) == ["000-export.csv", "003-broken.csv"]
    reason = (drop / "rejected" / "000-export.csv.reason.txt").read_text()
    assert "000-export.csv is not text in the configured encoding 'utf-8'" in reason
    assert "(at byte offset 5)" in reason and "mapped column" not in reason


def test_a_drop_folder_is_read_in_name_order_and_moved_only_on_acknowledge(
    tmp_path: Path, drop: Path
) -> None:
    feed = feed_for(tmp_path, drop)
    rows = list(feed.read_items())
    assert [(r.ref.source, r.sku) for r in rows] == [
        ("001-first.csv", "A-1"),
        ("001-first.csv", "A-2"),
        ("002-later.csv", "B-1"),
    ]
    assert {p.name for p in drop.glob("[!.]*.csv")} == {
        "001-first.csv",
        "002-later.csv",
        "003-broken.csv",
    }

    acknowledged = feed.acknowledge()

    assert [p.name for p in acknowledged.done] == ["001-first.csv", "002-later.csv"]
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["001-first.csv", "002-later.csv"]
    assert [p.name for p in acknowledged.rejected] == ["003-broken.csv"]
    reason = (drop / "rejected" / "003-broken.csv.reason.txt").read_text()
    assert "'sku'" in reason and "header found: 'code', 'name', 'price', 'quantity'" in reason
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == [
        ".004-being-written.csv",
        "notes.txt",
    ]
    assert list(feed.read_items()) == []


def test_a_run_that_is_not_acknowledged_reads_the_same_files_again(
    tmp_path: Path, drop: Path
) -> None:
    feed = feed_for(tmp_path, drop)
    first = [r.sku for r in feed.read_items()]
    assert [r.sku for r in feed_for(tmp_path, drop).read_items()] == first
    assert not (drop / "done").exists()


def test_a_file_whose_rows_were_not_all_read_is_not_acknowledged(
    tmp_path: Path, drop: Path
) -> None:
    feed = feed_for(tmp_path, drop)
    stream = feed.read_items()
    assert [next(stream).sku for _ in range(3)] == ["A-1", "A-2", "B-1"]
    stream.close()  # stopped before 002-later.csv was known to be complete
    assert [p.name for p in feed.acknowledge().done] == ["001-first.csv"]
    assert (drop / "002-later.csv").exists()


def test_an_acknowledged_file_never_overwrites_an_earlier_one_in_done(
    tmp_path: Path, drop: Path
) -> None:
    feed = feed_for(tmp_path, drop)
    list(feed.read_items())
    feed.acknowledge()
    (drop / "001-first.csv").write_text("sku,name,price,quantity\nA-1,Mug,8.99,4\n")
    list(feed.read_items())
    feed.acknowledge()
    assert sorted(p.name for p in (drop / "done").iterdir()) == [
        "001-first.1.csv",
        "001-first.csv",
        "002-later.csv",
    ]


def test_an_empty_file_in_the_drop_folder_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "empty.csv").write_bytes(b"")
    feed = feed_for(tmp_path, folder)
    assert list(feed.read_items()) == []
    assert [r.reason for r in feed.rejected] == ["empty.csv is empty: no header row"]
    feed.acknowledge()
    assert (folder / "rejected" / "empty.csv").exists()


# -- known SKUs ------------------------------------------------------------------------------


def test_known_skus_survive_a_restart_without_the_feed(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(FEED_CSV, encoding="utf-8")
    list(feed_for(tmp_path, path, mapping=FEED_MAPPING).read_items())
    path.unlink()
    restarted = feed_for(tmp_path, path, mapping=FEED_MAPPING)
    assert restarted.known_skus(["mug-01", "nope"]) == {"mug-01"}


def test_known_skus_before_any_read_come_from_the_feed(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(FEED_CSV, encoding="utf-8")
    assert feed_for(tmp_path, path, mapping=FEED_MAPPING).known_skus(["BAG-7", "x"]) == {"BAG-7"}


def test_a_new_single_feed_file_replaces_the_known_skus(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(FEED_CSV, encoding="utf-8")
    feed = feed_for(tmp_path, path, mapping=FEED_MAPPING)
    list(feed.read_items())
    path.write_text("sku,name,price,qty_shop,qty_back\nNEW-1,New,1.00,1,0\n", encoding="utf-8")
    list(feed.read_items())
    assert feed.known_skus(["MUG-01", "new-1"]) == {"new-1"}


def test_a_drop_folder_accumulates_known_skus_across_files(tmp_path: Path, drop: Path) -> None:
    feed = feed_for(tmp_path, drop)
    list(feed.read_items())
    feed.acknowledge()
    (drop / "005-next.csv").write_text("sku,name,price,quantity\nE-1,Jug,7.00,1\n")
    list(feed.read_items())
    assert feed.known_skus(["a-1", "b-1", "e-1", "c-1"]) == {"a-1", "b-1", "e-1"}


def test_an_unknown_encoding_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="encoding 'klingon'"):
        FileFeedSettings(path=tmp_path, encoding="klingon")


def test_feed_rows_validate_with_the_feeds_own_number_and_date_settings(tmp_path: Path) -> None:
    path = tmp_path / "erp.csv"
    path.write_bytes(
        "sku;name;price;promo;until;quantity\n"
        "BOL-1;Crème brûlée bowl;1.234,50;999,00;31/03/2025;3\n"
        "BOL-2;Bad price;twelve;;;1\n".encode("latin-1")
    )
    mapping = ColumnMapping(sale_price="promo", sale_to="until")
    feed = feed_for(
        tmp_path, path, delimiter=";", encoding="latin-1", decimal_comma=True,
        date_format="%d/%m/%Y", mapping=mapping,
    )  # fmt: skip
    result = validate_feed(
        feed.read_items(), decimal_comma=feed.decimal_comma, date_format=feed.date_format
    )
    (item,) = result.items
    assert (item.regular_price, item.sale_price) == (Decimal("1234.50"), Decimal("999.00"))
    assert item.sale_to is not None and item.sale_to.date().isoformat() == "2025-03-31"
    assert [(q.sku, q.ref.line) for q in result.quarantined] == [("BOL-2", 3)]
