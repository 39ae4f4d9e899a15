"""How one feed file becomes a stream of `RawItem`s: CSV or JSON lines, by a column mapping.

`FeedReader.rows(path)` first checks that the whole file is text in the
configured encoding (a file with an undecodable byte, or a NUL byte in an
8-bit encoding, is binary or in another encoding: it is rejected with the
byte's offset, never echoed), then opens it (a UTF-8 BOM is skipped), reads it line by line and maps
each record onto a `RawItem` *as found*: cell values stay strings, JSON
numbers stay numbers (decimals as `Decimal`), blank cells become None,
wholly blank CSV rows are skipped.  Only `true_values` is applied here, to
turn the web flag into a bool, because validation does not know that setting;
decimal commas and `date_format` dates are left as found for validation,
which takes both as parameters (a bare date there means the whole day, a
nuance a conversion here would lose).

A record that cannot be split (csv.Error) or parsed (bad JSON, not an object)
is yielded with ``sku=None``, its raw text and an `unreadable` sentence, so
validation quarantines it.  A cell whose opening quote is never closed would
swallow the lines after it; when those lines split on their own into rows of
the header's width they are read as rows (`_swallowed_rows`).
A file that cannot be read at all -- unreadable, not text, empty, or missing a
mapped column -- raises `FileRejected` before any row is yielded.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from storebridge.connectors.settings import FileFeedSettings
from storebridge.domain.model import RawItem, Scalar, SourceRef
from storebridge.errors import PosUnavailable

__all__ = ["FeedReader", "FileRejected"]


class FileRejected(Exception):
    """The whole file cannot be read; `reason` says why, for the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _LineTap:
    """Feeds lines to csv.reader and remembers them, to give each record its raw text."""

    def __init__(self, lines: TextIO) -> None:
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def take(self) -> str:
        return "".join(self.take_lines()).rstrip("\r\n")

    def take_lines(self) -> list[str]:
        lines, self.taken = self.taken, []
        return lines


def _swallowed_rows(
    record: list[str], lines: list[str], width: int, delimiter: str
) -> list[list[str]] | None:
    """The rows an unclosed quote swallowed, when a multi-line record looks like one.

    A quote that opens a cell and is never closed makes the csv module read
    every following line into that cell, up to the next quote or the end of
    the file; the SKUs on those lines would vanish from the read (and a feed
    marked complete would delist them).  A legitimate multi-line cell cannot
    be told from it for certain, so this is a heuristic.  The record is taken
    as swallowed rows when every non-blank line after its first splits, on
    its own, into as many cells as the header has, and either the record as
    read does not (the quote ran to the end of the file) or one of those
    lines holds no quote at all (a whole row inside a cell).  A real cell's
    continuation lines almost never do both.
    """
    following = [line.rstrip("\r\n") for line in lines[1:]]
    rows = [next(csv.reader([line], delimiter=delimiter)) for line in following]
    written = [(row, line) for row, line in zip(rows, following, strict=True) if line.strip()]
    if not written or any(len(row) != width for row, _ in written):
        return None
    if len(record) == width and all('"' in line for _, line in written):
        return None
    return rows


def _raw(lines: list[str]) -> str:
    return "".join(lines).rstrip("\r\n")


def _blank_to_none(value: object) -> Scalar:
    if value is None or isinstance(value, str | int | float | Decimal | bool):
        if isinstance(value, str) and not value.strip():
            return None
        return value
    return json.dumps(value, default=str)  # a nested JSON value: shown as found, never valid


class _RowMapper:
    """Turns one source record (column -> value) into a RawItem by the column mapping."""

    def __init__(self, settings: FileFeedSettings) -> None:
        self.m = settings.mapping
        self.true_values = {v.strip().casefold() for v in settings.true_values}

    def columns(self) -> list[str]:
        """Every column the mapping names (all must be in a CSV header)."""
        m = self.m
        single = (
            m.sku, m.name, m.price, m.sale_price, m.sale_from, m.sale_to, m.web_flag,
            m.webstore, m.webstore_price, m.description, m.short_description, m.categories,
            m.weight, m.parent_code, m.parent_name,
        )  # fmt: skip
        named = [c for c in single if c is not None]
        return [*named, *m.quantity.values(), *m.attributes.values()]

    def _split(self, value: object) -> tuple[str, ...]:
        if isinstance(value, list):
            return tuple(str(v).strip() for v in value if str(v).strip())
        text = _blank_to_none(value)
        if text is None:
            return ()
        return tuple(p.strip() for p in str(text).split(self.m.category_separator) if p.strip())

    def _flag(self, value: Scalar) -> Scalar:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.strip().casefold() in self.true_values
        return value != 0

    def build(self, get: Callable[[str], object], ref: SourceRef) -> RawItem:
        m = self.m

        def val(column: str | None) -> Scalar:
            return None if column is None else _blank_to_none(get(column))

        webstore_prices: dict[str, Scalar] = {}
        if m.webstore is not None:
            price = val(m.webstore_price if m.webstore_price is not None else m.price)
            webstore_prices = dict.fromkeys(self._split(get(m.webstore)), price)
        attributes = {name: val(col) for name, col in m.attributes.items()}
        return RawItem(
            ref=ref,
            sku=val(m.sku),
            name=val(m.name),
            regular_price=val(m.price),
            sale_price=val(m.sale_price),
            sale_from=val(m.sale_from),
            sale_to=val(m.sale_to),
            on_hand={location: val(col) for location, col in m.quantity.items()},
            web_flag=self._flag(val(m.web_flag)) if m.web_flag is not None else None,
            webstore_prices=webstore_prices,
            description=val(m.description),
            short_description=val(m.short_description),
            categories=self._split(get(m.categories)) if m.categories is not None else (),
            weight=val(m.weight),
            parent_code=val(m.parent_code),
            parent_name=val(m.parent_name),
            attributes={k: v for k, v in attributes.items() if v is not None},
        )


def _read_encoding(encoding: str) -> str:
    # utf-8-sig reads files with and without a BOM alike; plain utf-8 would keep
    # the BOM glued to the first header name ("\ufeffsku").
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


_CHUNK = 1 << 16


def _not_text_at(path: Path, encoding: str) -> int | None:
    """The byte offset where `path` stops being text in `encoding`, or None if it is text.

    Decoded in chunks, so a large feed costs one sequential read and little memory.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    # NUL never occurs in text of an 8-bit encoding, but every byte decodes in latin-1:
    # a NUL is how a binary file shows there.
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    offset = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            pending = len(decoder.getstate()[0])
            found: list[int] = []
            if not wide and (nul := chunk.find(b"\0")) >= 0:
                found.append(offset + nul)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                found.append(offset - pending + error.start)
            if found or not chunk:
                return min(found, default=None)
            offset += len(chunk)


class FeedReader:
    """Reads feed files of one configured format and mapping."""

    def __init__(self, settings: FileFeedSettings) -> None:
        self.settings = settings
        self._mapper = _RowMapper(settings)

    def _open(self, path: Path) -> TextIO:
        encoding = _read_encoding(self.settings.encoding)
        offset = _not_text_at(path, encoding)
        if offset is not None:
            raise FileRejected(
                f"{path.name} is not text in the configured encoding "
                f"{self.settings.encoding!r} (at byte offset {offset}): is it a binary "
                "file, or written in another encoding?"
            )
        return path.open(encoding=encoding, newline="")

    def _csv_rows(self, path: Path) -> Iterator[RawItem]:
        with self._open(path) as handle:
            tap = _LineTap(handle)
            reader = csv.reader(tap, delimiter=self.settings.delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise FileRejected(f"{path.name} is empty: no header row") from None
            except csv.Error as exc:
                raise FileRejected(
                    f"{path.name}: the header row cannot be parsed ({exc})"
                ) from None
            tap.take()
            index = {name.strip().casefold(): i for i, name in enumerate(header)}
            missing = [c for c in self._mapper.columns() if c.strip().casefold() not in index]
            if missing:
                raise FileRejected(
                    f"{path.name}: mapped column(s) {', '.join(map(repr, missing))} not in the "
                    f"header; header found: {', '.join(map(repr, header))} "
                    f"(delimiter {self.settings.delimiter!r}); fix the file or the mapping"
                )
            line = reader.line_num
            while True:
                start = line + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    # A row the csv module cannot split is passed on, not dropped.
                    line = reader.line_num
                    yield RawItem(
                        ref=SourceRef(path.name, start, tap.take()),
                        sku=None,
                        unreadable=f"the row cannot be split into cells ({exc}); fix its quoting",
                    )
                    continue
                line = reader.line_num
                lines = tap.take_lines()
                swallowed = (
                    _swallowed_rows(row, lines, len(header), self.settings.delimiter)
                    if len(lines) > 1
                    else None
                )
                if swallowed is None:
                    yield from self._csv_item(row, index, SourceRef(path.name, start, _raw(lines)))
                    continue
                yield RawItem(
                    ref=SourceRef(path.name, start, _raw(lines[:1])),
                    sku=None,
                    unreadable=(
                        f"a quote opens a cell on this line and is never closed, so the next "
                        f"{len(lines) - 1} line(s) were read into that cell; they are read as "
                        "rows of their own, and this row is held until its quote is closed"
                    ),
                )
                for offset, (cells, text) in enumerate(zip(swallowed, lines[1:], strict=True), 1):
                    ref = SourceRef(path.name, start + offset, _raw([text]))
                    yield from self._csv_item(cells, index, ref)

    def _csv_item(self, row: list[str], index: dict[str, int], ref: SourceRef) -> Iterator[RawItem]:
        """The item of one split CSV row; nothing for a blank row."""
        if not any(cell.strip() for cell in row):
            return  # a blank line or a row of empty cells (";;;" from a spreadsheet)

        def get(column: str) -> object:
            i = index[column.strip().casefold()]
            return row[i] if i < len(row) else None

        yield self._mapper.build(get, ref)

    def _jsonl_rows(self, path: Path) -> Iterator[RawItem]:
        with self._open(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                ref = SourceRef(path.name, number, line.rstrip("\r\n"))
                try:
                    record = json.loads(line, parse_float=Decimal)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    # Quarantined by validation, never dropped.
                    yield RawItem(
                        ref=ref,
                        sku=None,
                        unreadable="the line is not a JSON object; each line must be one {...}",
                    )
                    continue
                keyed = {str(k).strip().casefold(): v for k, v in record.items()}

                def get(column: str, keyed: dict[str, object] = keyed) -> object:
                    return keyed.get(column.strip().casefold())

                yield self._mapper.build(get, ref)

    def rows(self, path: Path) -> Iterator[RawItem]:
        """Stream the records of `path`; raises FileRejected or PosUnavailable."""
        rows = self._jsonl_rows(path) if self.settings.format == "jsonl" else self._csv_rows(path)
        try:
            yield from rows
        except (PermissionError, IsADirectoryError, UnicodeError, LookupError) as exc:
            raise FileRejected(f"{path.name} cannot be read: {exc}") from exc
        except FileNotFoundError as exc:
            raise PosUnavailable(f"feed file {path} is missing; waiting for the ERP") from exc
        except OSError as exc:
            raise PosUnavailable(f"feed file {path} could not be read: {exc}") from exc
