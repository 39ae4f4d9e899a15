"""The file feed connector: items from CSV or JSON-lines files, orders into an outbox.

Read side.  `FileFeedSettings.path` is either one feed file, which the ERP
overwrites and which stays where it is, or a *drop folder*, whose files
matching `pattern` are processed in name order.  Rows are streamed as
`RawItem`s exactly as found: values stay strings (JSON numbers stay numbers,
with decimals parsed as `Decimal` so no float error creeps in), blank cells
become None, and nothing is validated here.  In particular a decimal comma
(``12,50``) is *not* rewritten: the engine passes `settings.decimal_comma`
to validation, which parses it; rewriting here would be guessing twice.  Two
settings only the connector knows are applied: `true_values` turns the web
flag column into a bool, and `date_format` turns sale dates into ISO 8601
strings (a date that does not match is passed on as found, to be
quarantined).

Every row carries a `SourceRef` (file name, line, raw text).  Undecodable
bytes are decoded as U+FFFD so validation can quarantine the row, a JSON line
that does not parse becomes a row with ``sku=None``, and a UTF-8 BOM is
skipped.  A file that cannot be read at all (unreadable, empty, a mapped
column missing from its header) is *rejected* whole.

Drop-folder protocol::

    for raw in feed.read_items():     # every pending file, in name order
        ...                           # the engine validates and applies the rows
    feed.acknowledge()                # only now: read files -> done/,
                                      # rejected files -> rejected/ + .reason.txt

Files move only on `acknowledge()`, so a run that fails (or a dry-run `plan`)
leaves them in place and the next run reads them again.  A file counts as
read only once all its rows were yielded.  The ERP should write each file
under a hidden name (``.export.csv``) and rename it when complete: hidden
files are never picked up.

Write side: see `file_outbox` (one document per idempotency key, written
atomically).  `known_skus` answers from the SKUs the feed has shown, a set
kept in the outbox's ``.storebridge/`` folder so it survives a restart:
replaced by each complete read of a single feed file, accumulated across the
files of a drop folder.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from storebridge.connectors.file_outbox import FileOutbox, atomic_write, customer_ref_for
from storebridge.connectors.settings import FileFeedSettings
from storebridge.domain.model import (
    CreditDocument,
    CustomerDoc,
    OrderDocument,
    RawItem,
    Scalar,
    SourceRef,
    sku_key,
)
from storebridge.errors import PosRejected, PosUnavailable
from storebridge.ports import WriteReceipt

__all__ = ["Acknowledged", "FileFeed", "RejectedFile"]


@dataclass(frozen=True, slots=True)
class RejectedFile:
    """A feed file that could not be read at all, and why."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What `FileFeed.acknowledge` moved."""

    done: tuple[Path, ...] = ()
    rejected: tuple[Path, ...] = ()


class _Rejected(Exception):
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
        raw = "".join(self.taken).rstrip("\r\n")
        self.taken.clear()
        return raw


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
        self.date_format = settings.date_format

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

    def _date(self, value: Scalar) -> Scalar:
        if self.date_format and isinstance(value, str):
            try:
                return datetime.strptime(value.strip(), self.date_format).isoformat()  # noqa: DTZ007 - naive on purpose: validation applies the store's zone
            except ValueError:
                return value  # as found: validation quarantines it with the value shown
        return value

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
            sale_from=self._date(val(m.sale_from)),
            sale_to=self._date(val(m.sale_to)),
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


class FileFeed:
    """The file feed connector (see the module docstring)."""

    name = "file_feed"
    updates_customers = True

    def __init__(self, settings: FileFeedSettings) -> None:
        self.settings = settings
        self._mapper = _RowMapper(settings)
        self._outbox = FileOutbox(
            settings.outbox,
            delimiter=settings.delimiter,
            decimal_comma=settings.decimal_comma,
            encoding=settings.encoding,
        )
        self._lock = threading.Lock()
        self._known: set[str] | None = None
        self._read: list[Path] = []
        self._rejected: list[RejectedFile] = []

    @property
    def decimal_comma(self) -> bool:
        """Whether prices are written ``12,50``: validation must be told (values are as found)."""
        return self.settings.decimal_comma

    @property
    def is_drop_folder(self) -> bool:
        return self.settings.path.is_dir()

    @property
    def rejected(self) -> tuple[RejectedFile, ...]:
        """Files the last `read_items` could not read; moved by `acknowledge`."""
        return tuple(self._rejected)

    def close(self) -> None:
        """Nothing to release: files are opened and closed per read."""

    # -- reading ----------------------------------------------------------------

    def pending_files(self) -> list[Path]:
        """The files the next `read_items` reads, in order."""
        if not self.is_drop_folder:
            return [self.settings.path]
        folder = self.settings.path
        return sorted(
            p
            for p in folder.glob(self.settings.pattern)
            if p.is_file() and not p.name.startswith(".")
        )

    def _open(self, path: Path) -> TextIO:
        return path.open(
            encoding=_read_encoding(self.settings.encoding), errors="replace", newline=""
        )

    def _csv_rows(self, path: Path) -> Iterator[RawItem]:
        with self._open(path) as handle:
            tap = _LineTap(handle)
            reader = csv.reader(tap, delimiter=self.settings.delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise _Rejected(f"{path.name} is empty: no header row") from None
            except csv.Error as exc:
                raise _Rejected(f"{path.name}: the header row cannot be parsed ({exc})") from None
            tap.take()
            index = {name.strip().casefold(): i for i, name in enumerate(header)}
            missing = [c for c in self._mapper.columns() if c.strip().casefold() not in index]
            if missing:
                raise _Rejected(
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
                except csv.Error:
                    # A row the csv module cannot split is passed on, not dropped.
                    line = reader.line_num
                    yield RawItem(ref=SourceRef(path.name, start, tap.take()), sku=None)
                    continue
                line = reader.line_num
                ref = SourceRef(path.name, start, tap.take())

                def get(column: str, row: list[str] = row) -> object:
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
                    yield RawItem(ref=ref, sku=None)  # quarantined by validation, never dropped
                    continue
                keyed = {str(k).strip().casefold(): v for k, v in record.items()}

                def get(column: str, keyed: dict[str, object] = keyed) -> object:
                    return keyed.get(column.strip().casefold())

                yield self._mapper.build(get, ref)

    def _rows(self, path: Path) -> Iterator[RawItem]:
        rows = self._jsonl_rows(path) if self.settings.format == "jsonl" else self._csv_rows(path)
        try:
            yield from rows
        except (PermissionError, IsADirectoryError, UnicodeError, LookupError) as exc:
            raise _Rejected(f"{path.name} cannot be read: {exc}") from exc
        except FileNotFoundError as exc:
            raise PosUnavailable(f"feed file {path} is missing; waiting for the ERP") from exc
        except OSError as exc:
            raise PosUnavailable(f"feed file {path} could not be read: {exc}") from exc

    def read_items(self) -> Iterator[RawItem]:
        """Stream the rows of every pending file; see the module docstring for the protocol."""
        drop = self.is_drop_folder
        self._read, self._rejected = [], []
        seen: set[str] = set()
        for path in self.pending_files():
            try:
                for raw in self._rows(path):
                    if isinstance(raw.sku, str | int) and str(raw.sku).strip():
                        seen.add(sku_key(str(raw.sku)))
                    yield raw
            except _Rejected as exc:
                if not drop:
                    raise PosRejected(f"feed file {path}: {exc.reason}") from exc
                self._rejected.append(RejectedFile(path, exc.reason))
                continue
            self._read.append(path)
        self._remember(seen, replace=not drop)

    def acknowledge(self) -> Acknowledged:
        """Move the files of the last complete reads: read -> done/, rejected -> rejected/.

        Call it once the engine has processed the rows.  A single feed file
        is never moved (the ERP overwrites it).
        """
        if not self.is_drop_folder:
            self._read, self._rejected = [], []
            return Acknowledged()
        folder = self.settings.path
        done = tuple(_move_into(p, folder / "done") for p in self._read if p.exists())
        rejected: list[Path] = []
        for item in self._rejected:
            if item.path.exists():
                target = _move_into(item.path, folder / "rejected")
                atomic_write(
                    target.with_name(target.name + ".reason.txt"), f"{item.reason}\n".encode()
                )
                rejected.append(target)
        self._read, self._rejected = [], []
        return Acknowledged(done, tuple(rejected))

    # -- known SKUs -----------------------------------------------------------------

    def _remember(self, keys: set[str], *, replace: bool) -> None:
        with self._lock:
            known = self._known if self._known is not None else self._outbox.load_known_skus()
            new = set(keys) if replace or known is None else known | keys
            if new != known:
                self._outbox.save_known_skus(new)
            self._known = new

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        with self._lock:
            known = self._known if self._known is not None else self._outbox.load_known_skus()
        if known is None:  # never read since the outbox was created: look at the feed now
            keys: set[str] = set()
            for path in self.pending_files():
                try:
                    keys.update(
                        sku_key(str(r.sku))
                        for r in self._rows(path)
                        if isinstance(r.sku, str | int)
                    )
                except _Rejected:
                    continue
            self._remember(keys, replace=True)
            known = keys
        return {s for s in skus if sku_key(s) in known}

    # -- write side (file_outbox) ------------------------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        return self._outbox.find(idempotency_key)

    def upsert_customer(self, customer: CustomerDoc) -> str:
        return self._outbox.upsert_customer(customer)

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        if self._outbox.find(document.idempotency_key) is None:
            customer_ref = self._outbox.upsert_customer(document.customer)
        else:  # a retry: the customer went out with the first write
            customer_ref = customer_ref_for(document.customer.email)
        return self._outbox.write_order(document, customer_ref)

    def write_credit(self, document: CreditDocument) -> str:
        return self._outbox.write_credit(document)


def _move_into(path: Path, folder: Path) -> Path:
    """Move `path` into `folder`, never overwriting an earlier file of the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    os.replace(path, target)
    return target
