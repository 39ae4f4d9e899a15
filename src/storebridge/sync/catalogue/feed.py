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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from storebridge.connectors.settings import FileFeedSettings
from storebridge.domain.allocation import StockExplanation, explain
from storebridge.domain.feed_rules import Facts, FactsList, Outcomes, facts_of
from storebridge.domain.model import PosItem, Quarantined, Unchanged, sku_key
from storebridge.domain.selection import Selection
from storebridge.domain.validation import validate, validate_into
from storebridge.persistence.types import utcnow
from storebridge.ports import IncrementalReader, PosReader
from storebridge.settings import StoreSettings
from storebridge.sync.catalogue.digests import UnchangedRows, settings_fingerprint
from storebridge.sync.catalogue.spill import SpilledOutcomes

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


@dataclass(slots=True)
class Feed:
    """One read of the POS: validated items, quarantined rows, and when the read began.

    The outcomes stay in `outcomes` (a temporary file for a real read,
    `spill`); the engine walks them with `items()` once per pass and keeps
    only `facts`, a few words a row, in memory.
    """

    outcomes: Outcomes
    facts: FactsList
    started_at: datetime
    complete: bool
    #: Where an incremental read ended (store it once the run applied the read).
    position: str | None = None
    #: The source digest of every row read, by SKU key (`digests.source_digest`).
    digests: dict[str, str] = field(default_factory=dict)
    #: The quarantined rows, in feed order (few: they are shown one by one).
    quarantined: list[Quarantined] = field(default_factory=list)
    #: Rows vouched for by their digest and not validated: their row number, by SKU key.
    unchanged: dict[str, int] = field(default_factory=dict)
    #: Unchanged rows validated after all (`validate_unchanged`), after the feed's items.
    revalidated: list[PosItem] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        outcomes: Outcomes,
        facts: FactsList,
        started_at: datetime,
        complete: bool,
        position: str | None = None,
        digests: dict[str, str] | None = None,
    ) -> Feed:
        """The feed of validated `outcomes` (`validation.validate_into`)."""
        quarantined: list[Quarantined] = []
        unchanged: dict[str, int] = {}
        for index, row in enumerate(facts):
            if row.kind is Quarantined:
                outcome = outcomes[index]
                assert isinstance(outcome, Quarantined)
                quarantined.append(outcome)
            elif row.kind is Unchanged and row.key is not None:
                unchanged[row.key] = index
        return cls(
            outcomes, facts, started_at, complete, position, digests or {}, quarantined, unchanged
        )

    @property
    def snapshot(self) -> bool:
        """Whether every on-hand the POS holds at `started_at` is known after this read."""
        return self.complete or self.position is not None

    def items(self) -> Iterator[PosItem]:
        """The valid items, in feed order (read from `outcomes` anew at each call)."""
        for outcome in self.outcomes:
            if isinstance(outcome, PosItem):
                yield outcome
        yield from self.revalidated

    def item_facts(self) -> Iterator[Facts]:
        """The `Facts` of the valid items, in the order of `items`."""
        for row in self.facts:
            if row.kind is PosItem:
                yield row
        for item in self.revalidated:
            yield facts_of(item, lambda _row: None)

    def item_keys(self) -> set[str]:
        """The SKU keys of the valid items."""
        return {row.key for row in self.item_facts() if row.key is not None}

    @property
    def item_count(self) -> int:
        return sum(1 for row in self.facts if row.kind is PosItem) + len(self.revalidated)

    @property
    def quarantined_keys(self) -> frozenset[str]:
        """SKU keys of the quarantined rows (`FeedResult.quarantined_keys`)."""
        return frozenset(sku_key(q.sku) for q in self.quarantined if q.sku)

    def close(self) -> None:
        """Let the outcomes' file go."""
        if isinstance(self.outcomes, SpilledOutcomes):
            self.outcomes.close()


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
    digest is unchanged are not validated (`Feed.unchanged`).  It is
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

    def read() -> tuple[SpilledOutcomes, FactsList]:
        rows = (
            connector.read_items_since(position)
            if isinstance(connector, IncrementalReader)
            else connector.read_items()
        )
        outcomes = SpilledOutcomes()
        facts = validate_into(
            outcomes,
            rows,
            selection=options.selection,
            decimal_comma=options.decimal_comma,
            date_format=options.date_format,
            unchanged=rows_check,
        )
        return outcomes, facts

    outcomes, facts = await asyncio.to_thread(read)
    digests = {} if rows_check is None else rows_check.digests
    outcome = connector.last_read if isinstance(connector, IncrementalReader) else None
    if isinstance(connector, IncrementalReader) and outcome is not None:
        return Feed.of(outcomes, facts, started, outcome.complete, outcome.position, digests)
    return Feed.of(outcomes, facts, started, is_complete(connector), digests=digests)


def validate_unchanged(feed: Feed, keys: Iterable[str], settings: StoreSettings) -> None:
    """Validate these unchanged rows after all (their stock must be published anew).

    They move from `feed.unchanged` to the feed's items (or, should one
    fail, its quarantined rows), in feed order.
    """
    options = _Options.of(settings)
    for index in sorted(feed.unchanged.pop(key) for key in keys):
        row = feed.outcomes[index]
        assert isinstance(row, Unchanged)
        outcome = validate(
            row.raw,
            selection=options.selection,
            decimal_comma=options.decimal_comma,
            date_format=options.date_format,
        )
        if isinstance(outcome, PosItem):
            feed.revalidated.append(outcome)
        else:
            feed.quarantined.append(outcome)


@dataclass
class Availability:
    """The quantity to publish per selected SKU key, and the on-hand it comes from.

    Only two small integers a SKU are kept; the terms of a figure (for the
    stock history) are worked out again from them when asked for.
    """

    allocated: Mapping[str, int]
    settings: StoreSettings
    available: dict[str, int] = field(default_factory=dict)
    #: The on-hand of the selected locations, per SKU key.
    on_hand: dict[str, int] = field(default_factory=dict)

    @classmethod
    def compute(
        cls, items: Iterable[PosItem], allocated: Mapping[str, int], settings: StoreSettings
    ) -> Availability:
        """Explain every selected item's figure (design.md §4)."""
        result = cls(allocated, settings)
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
            result.on_hand[item.key] = terms.on_hand
        return result

    def terms(self, key: str) -> StockExplanation | None:
        """The terms of a selected SKU's figure: on-hand - allocated - safety."""
        on_hand = self.on_hand.get(key)
        if on_hand is None:
            return None
        settings = self.settings
        # The on-hand is already that of the selected locations: sum it as one.
        return explain(
            {"": on_hand}, (), self.allocated, settings.safety_stock, settings.safety_overrides, key
        )

    def explain(self, key: str) -> tuple[StockExplanation, str] | None:
        """The terms and reason of a published figure, for the stock history."""
        terms = self.terms(key)
        return None if terms is None else (terms, f"products sync: {terms}")
