"""Fuzzed feed files: whatever the rows hold, each becomes an item or a quarantined row.

Encodings (UTF-8 with and without a BOM, Latin-1, cp1252, and a file in
another encoding than configured), delimiters, quotes and line breaks inside
cells, formula strings, control characters and a field larger than the csv
module's limit: reading never fails on a row, and no row is lost.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.settings import FileFeedSettings
from storebridge.domain.validation import validate_feed
from storebridge.errors import PosRejected

HEADER = ["sku", "name", "price", "quantity"]
HUGE = "x" * 200_000  # over csv.field_size_limit() (131072)
NASTY = [
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    '"',
    '""quoted""',
    "a,b;c\td|e",
    "line\nbreak",
    "carriage\rreturn",
    "\x00nul",
    "\ufeffbom inside",
    "Crème brûlée",
    "\u202eevil",
    " ",
    "",
    HUGE,
]
cells = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))
rows = st.lists(st.lists(cells, min_size=0, max_size=6), min_size=1, max_size=8)
ENCODINGS = [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("latin-1", "latin-1"),
             ("cp1252", "cp1252"), ("latin-1", "utf-8"), ("utf-8", "cp1252")]  # fmt: skip


def _render(data: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(data)
    return buffer.getvalue()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=rows,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encodings=st.sampled_from(ENCODINGS),
    junk=st.lists(st.text(max_size=20), max_size=3),
)
def test_every_fuzzed_row_becomes_an_item_or_a_quarantined_row_with_a_reason(
    tmp_path_factory: pytest.TempPathFactory,
    data: list[list[str]],
    delimiter: str,
    encodings: tuple[str, str],
    junk: list[str],
) -> None:
    written_as, configured = encodings
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "feed.csv"
    # Raw junk lines too, as a hand-edited file has them.
    text = _render(data, delimiter) + "".join(line.replace("\n", " ") + "\r\n" for line in junk)
    path.write_bytes(text.encode(written_as, errors="replace"))
    feed = FileFeed(
        FileFeedSettings.model_validate(
            {"path": path, "outbox": folder / "out", "delimiter": delimiter, "encoding": configured}
        )
    )

    try:
        read = list(feed.read_items())
    except PosRejected as refused:
        # A file that is not text in its encoding (a NUL byte, bytes of another encoding) is
        # refused whole with where and why, and stays where it is: nothing half-read.
        assert "is not text in the configured encoding" in str(refused)
        assert path.read_bytes() == text.encode(written_as, errors="replace")
        return
    result = validate_feed(read)

    assert len(result.items) + len(result.quarantined) == len(read)
    for row in result.quarantined:
        assert row.reason and row.detail
    for item in result.items:
        assert item.sku.strip()


def test_a_field_over_the_csv_limit_quarantines_its_row_and_spares_the_others(
    tmp_path: Path,
) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        f"sku,name,price,quantity\nA-1,Mug,9.99,4\nA-2,{HUGE},1.00,1\nA-3,Plate,2.00,2\n"
    )
    feed = FileFeed(FileFeedSettings.model_validate({"path": path, "outbox": tmp_path / "out"}))

    result = validate_feed(feed.read_items())

    assert [item.sku for item in result.items] == ["A-1", "A-3"]
    assert [(row.ref.line, row.reason) for row in result.quarantined] == [(3, "unreadable_record")]
    assert "cannot be split into cells" in result.quarantined[0].detail


def _read(tmp_path: Path, text: str) -> tuple[list[str], list[tuple[int | None, str, str]]]:
    path = tmp_path / "feed.csv"
    path.write_text(text)
    feed = FileFeed(FileFeedSettings.model_validate({"path": path, "outbox": tmp_path / "out"}))
    result = validate_feed(feed.read_items())
    held = [(row.ref.line, row.reason, row.ref.raw) for row in result.quarantined]
    return [item.sku for item in result.items], held


def test_an_unclosed_quote_holds_its_row_and_the_lines_it_swallowed_are_read_as_rows(
    tmp_path: Path,
) -> None:
    # Standard CSV reading puts A-3 and A-4 inside A-2's name; a complete feed would then
    # delist them.  Held: the broken row only.
    skus, held = _read(
        tmp_path,
        'sku,name,price,quantity\nA-1,Mug,9.99,4\nA-2,"Bowl,1.00,1\nA-3,Plate,2.00,2\n'
        "A-4,Cup,3.00,3\n",
    )

    assert skus == ["A-1", "A-3", "A-4"]
    assert held == [(3, "unreadable_record", 'A-2,"Bowl,1.00,1')]


def test_a_stray_quote_closed_lines_later_still_gives_back_the_rows_between(
    tmp_path: Path,
) -> None:
    skus, held = _read(
        tmp_path,
        'sku,name,price,quantity\nA-1,"Mug,9.99,4\nA-2,Bowl,1.00,1\nA-3,Plate",2.00,2\n'
        "A-4,Cup,3.00,3\n",
    )

    # A-3's name keeps the stray quote, as the line says; A-4 after it was never at risk.
    assert skus == ["A-2", "A-3", "A-4"]
    assert [line for line, _, _ in held] == [2]


def test_a_real_multi_line_cell_is_one_row(tmp_path: Path) -> None:
    skus, held = _read(
        tmp_path,
        'sku,name,price,quantity\nA-1,"Mug\nwith a handle",9.99,4\nA-2,Bowl,1.00,1\n',
    )

    assert skus == ["A-1", "A-2"]
    assert held == []


def test_a_json_line_that_is_not_an_object_is_held_with_why(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"sku": "A-1", "name": "Mug", "price": "9.99", "quantity": 4}\n[1, 2]\n')
    feed = FileFeed(
        FileFeedSettings.model_validate(
            {"path": path, "outbox": tmp_path / "out", "format": "jsonl"}
        )
    )

    result = validate_feed(feed.read_items())

    assert [item.sku for item in result.items] == ["A-1"]
    assert [(row.ref.line, row.reason) for row in result.quarantined] == [(2, "unreadable_record")]
    assert "not a JSON object" in result.quarantined[0].detail
