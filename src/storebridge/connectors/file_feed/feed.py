"""The file feed connector: items from CSV or JSON-lines files, orders into an outbox.

Read side.  `FileFeedSettings.path` is either one feed file, which the ERP
overwrites and which stays where it is, or a *drop folder*, whose files
matching `pattern` are processed in name order (each file is read as it
comes; a SKU repeated across files reaches validation twice).  How a file
becomes rows is `file_feed.rows`: values as found, each with a `SourceRef`
(file name, line, raw text).  A decimal comma (``12,50``) and dates in
`date_format` are *not* rewritten: the engine passes `settings.decimal_comma`
and `settings.date_format` (also `FileFeed.decimal_comma` / `.date_format`)
to `domain.validation`, which parses both; rewriting here would be guessing
twice.

A file that cannot be read at all (unreadable, empty, a mapped column missing
from its header) is *rejected* whole: in a drop folder it is moved to
``rejected/`` with a ``<name>.reason.txt`` next to it; a single feed file
raises `PosRejected` (the run stops and shows the reason; the file stays).
A missing single feed file raises `PosUnavailable` (retry later).

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
atomically), and `file_feed.reservations` for reservations (the ERP's feed
must then report on-hand less the reservations it has imported).  `known_skus` answers from the SKUs the feed has shown, a set
kept in the outbox's ``.storebridge/`` folder so it survives a restart:
replaced by each complete read of a single feed file, accumulated across the
files of a drop folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storebridge.connectors.file_feed.outbox import FileOutbox, atomic_write, customer_ref_for
from storebridge.connectors.file_feed.reservations import OutboxReservations
from storebridge.connectors.file_feed.rows import FeedReader, FileRejected
from storebridge.connectors.settings import FileFeedSettings
from storebridge.domain.model import (
    CreditDocument,
    CustomerDoc,
    OrderDocument,
    RawItem,
    sku_key,
)
from storebridge.errors import PosRejected
from storebridge.ports import ReserveReceipt, WriteReceipt

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


class FileFeed:
    """The file feed connector (see the module docstring)."""

    name = "file_feed"
    updates_customers = True

    def __init__(self, settings: FileFeedSettings) -> None:
        self.settings = settings
        self._reader = FeedReader(settings)
        self._outbox = FileOutbox(
            settings.outbox,
            delimiter=settings.delimiter,
            decimal_comma=settings.decimal_comma,
            encoding=settings.encoding,
        )
        self._reservations = OutboxReservations(settings.outbox)
        self._lock = threading.Lock()
        self._known: set[str] | None = None
        self._read: list[Path] = []
        self._rejected: list[RejectedFile] = []

    @property
    def decimal_comma(self) -> bool:
        """Whether prices are written ``12,50``: validation must be told (values are as found)."""
        return self.settings.decimal_comma

    @property
    def date_format(self) -> str | None:
        """The strptime format of sale dates, for validation (values are as found)."""
        return self.settings.date_format

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

    def read_items(self) -> Iterator[RawItem]:
        """Stream the rows of every pending file; see the module docstring for the protocol."""
        drop = self.is_drop_folder
        self._read, self._rejected = [], []
        seen: set[str] = set()
        for path in self.pending_files():
            try:
                for raw in self._reader.rows(path):
                    if isinstance(raw.sku, str | int) and str(raw.sku).strip():
                        seen.add(sku_key(str(raw.sku)))
                    yield raw
            except FileRejected as exc:
                if not drop:
                    raise PosRejected(f"{exc.reason} (feed folder {path.parent})") from exc
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
                        for r in self._reader.rows(path)
                        if isinstance(r.sku, str | int)
                    )
                except FileRejected:
                    continue
            self._remember(keys, replace=True)
            known = keys
        return {s for s in skus if sku_key(s) in known}

    # -- write side (file_outbox) ------------------------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        return self._outbox.find(idempotency_key)

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        return self._outbox.applied(idempotency_keys)

    def upsert_customer(self, customer: CustomerDoc) -> str:
        return self._outbox.upsert_customer(customer)

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        if self._outbox.find(document.idempotency_key) is None:
            customer_ref = self._outbox.upsert_customer(document.customer)
        else:  # a retry: the customer went out with the first write
            customer_ref = customer_ref_for(document.customer.email)
        reservation = self._reservations.find(document.idempotency_key)
        return self._outbox.write_order(document, customer_ref, reservation)

    # -- reservations (ports.PosReserver; see file_feed.reservations) ------------------

    def reserve(self, document: OrderDocument) -> ReserveReceipt:
        return self._reservations.reserve(document)

    def release(self, idempotency_key: str) -> bool:
        return self._reservations.release(idempotency_key)

    def reservations_applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        return self._reservations.applied(idempotency_keys)

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
