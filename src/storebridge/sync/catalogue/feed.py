"""Reading one store's POS feed into validated items and their available quantities.

`read_feed` streams the connector's rows through `domain.validation` (in a
worker thread: connectors are synchronous) with the store's selection mode and
the connector's number and date formats.  A connector that reads
incrementally (`ports.IncrementalReader`) is given the position stored after
the previous run and says whether it read everything or only the changes; a
gap-free delta on top of what earlier reads delivered is as good an inventory
snapshot as a full read (`Feed.snapshot`), a drop folder's files are not.  `Availability` then computes, for
every selected item, ``available = max(0, on_hand(selected locations) -
allocated - safety)`` with its explanation, the figure the planner publishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from storebridge.connectors.settings import FileFeedSettings
from storebridge.domain.allocation import StockExplanation, explain
from storebridge.domain.model import PosItem
from storebridge.domain.selection import Selection
from storebridge.domain.validation import FeedResult, validate, validate_feed
from storebridge.persistence.types import utcnow
from storebridge.ports import IncrementalReader, PosReader
from storebridge.settings import StoreSettings
from storebridge.sync.catalogue.digests import UnchangedRows, settings_fingerprint

__all__ = [
    "Acknowledging",
    "Availability",
    "Feed",
    "is_complete",
    "read_feed",
    "validate_unchanged",
]


@runtime_checkable
class Acknowledging(Protocol):
    """A connector whose read input must be acknowledged once processed (a drop folder)."""

    def acknowledge(self) -> object:
        """Mark the files of the last read as done."""
        ...


def is_complete(connector: PosReader) -> bool:
    """Whether a read is a full snapshot (a drop folder only delivers changes)."""
    return getattr(connector, "is_drop_folder", False) is not True


@dataclass(frozen=True, slots=True)
class Feed:
    """One read of the POS: validated items, quarantined rows, and when the read began."""

    result: FeedResult
    started_at: datetime
    complete: bool
    #: Where an incremental read ended (store it once the run applied the read).
    position: str | None = None
    #: The source digest of every row read, by SKU key (`digests.source_digest`).
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def snapshot(self) -> bool:
        """Whether every on-hand the POS holds at `started_at` is known after this read."""
        return self.complete or self.position is not None

    @property
    def items(self) -> list[PosItem]:
        return self.result.items


@dataclass(frozen=True, slots=True)
class _Options:
    """How the store's rows are validated (besides the rules themselves)."""

    selection: Selection
    decimal_comma: bool
    date_format: str | None

    @classmethod
    def of(cls, settings: StoreSettings) -> _Options:
        options = settings.connector
        webstore = settings.webstore if settings.selection == "webstore" else None
        selection = Selection(settings.selection, webstore)
        if isinstance(options, FileFeedSettings):
            return cls(selection, options.decimal_comma, options.date_format)
        return cls(selection, False, None)


async def read_feed(
    connector: PosReader,
    settings: StoreSettings,
    position: str | None = None,
    *,
    stored_digests: Callable[[], dict[str, str]] | None = None,
) -> Feed:
    """Read and validate the feed (off the event loop); `position`: see the module docstring.

    `stored_digests` loads the links' source digests (`digests`): rows whose
    digest is unchanged are not validated (`Feed.result.unchanged`).  It is
    called at most once, in the reading thread, and only if a row arrives.
    """
    options = _Options.of(settings)
    started = utcnow()
    rows_check = (
        None
        if stored_digests is None
        else UnchangedRows(
            stored_digests,
            settings_fingerprint(settings, options.decimal_comma, options.date_format),
        )
    )

    def read() -> FeedResult:
        rows = (
            connector.read_items_since(position)
            if isinstance(connector, IncrementalReader)
            else connector.read_items()
        )
        return validate_feed(
            rows,
            selection=options.selection,
            decimal_comma=options.decimal_comma,
            date_format=options.date_format,
            unchanged=rows_check,
        )

    result = await asyncio.to_thread(read)
    digests = {} if rows_check is None else rows_check.digests
    outcome = connector.last_read if isinstance(connector, IncrementalReader) else None
    if isinstance(connector, IncrementalReader) and outcome is not None:
        return Feed(result, started, outcome.complete, outcome.position, digests)
    return Feed(result, started, is_complete(connector), digests=digests)


def validate_unchanged(feed: Feed, keys: Iterable[str], settings: StoreSettings) -> None:
    """Validate these unchanged rows after all (their stock must be published anew).

    They move from `feed.result.unchanged` to the feed's items (or, should
    one fail, its quarantined rows).
    """
    options = _Options.of(settings)
    for key in list(keys):
        raw = feed.result.unchanged.pop(key)
        outcome = validate(
            raw,
            selection=options.selection,
            decimal_comma=options.decimal_comma,
            date_format=options.date_format,
        )
        if isinstance(outcome, PosItem):
            feed.result.items.append(outcome)
        else:
            feed.result.quarantined.append(outcome)


@dataclass
class Availability:
    """The quantity to publish per selected SKU key, with its terms."""

    available: dict[str, int] = field(default_factory=dict)
    terms: dict[str, StockExplanation] = field(default_factory=dict)

    @classmethod
    def compute(
        cls, items: Iterable[PosItem], allocated: Mapping[str, int], settings: StoreSettings
    ) -> Availability:
        """Explain every selected item's figure (design.md §4)."""
        result = cls()
        for item in items:
            if not item.selected:
                continue
            terms = explain(
                item.on_hand,
                settings.locations,
                allocated,
                settings.safety_stock,
                settings.safety_overrides,
                item.key,
            )
            result.available[item.key] = terms.available
            result.terms[item.key] = terms
        return result

    def explain(self, key: str) -> tuple[StockExplanation, str] | None:
        """The terms and reason of a published figure, for the stock history."""
        terms = self.terms.get(key)
        return None if terms is None else (terms, f"products sync: {terms}")
