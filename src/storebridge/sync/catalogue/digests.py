"""Source digests: an unchanged POS row costs a hash, not a validation and a plan.

A full read of 100,000 rows where nothing changed used to validate, explain
and plan every row to conclude "nothing to write".  Now each linked item
remembers, in ``product_links.source_digest``, a digest of its raw row (every
field the connector gave, the location and line number aside) together with
the store settings that shape what is published (`settings_fingerprint`:
selection, number and date formats, locations, safety stock).  While a
row's digest equals the stored one, `validate_feed` skips it
(`UnchangedRows` is its ``unchanged`` check) and the planner counts it as
unchanged.

The stored digest stands for "WooCommerce holds what this row publishes", so:

* it is written only at the end of a products run, for the rows that run
  validated and that are in sync afterwards (planned unchanged, or pushed
  and confirmed), never for a row whose write failed;
* every other writer of the last-pushed values clears it (a push from a
  webhook or a reconcile, a relink, a forgotten stock figure): the next run
  validates and plans that row again;
* only selected, linked rows with a stored on-hand are skipped, and the
  engine still checks their stock: allocation moves without the row
  changing, so a skipped row whose ``on-hand - allocated - safety`` differs
  from the last pushed stock is validated and planned after all.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Mapping
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from storebridge import __version__
from storebridge.domain.model import RawItem, sku_key
from storebridge.domain.parsing import text
from storebridge.persistence.tables import ProductLink
from storebridge.settings import StoreSettings

__all__ = [
    "UnchangedRows",
    "load_source_digests",
    "settings_fingerprint",
    "source_digest",
    "store_source_digests",
]

#: Bumped when validation or the published fields change, so every row is judged anew.
DIGEST_VERSION = 1

_TABLE = cast(Table, ProductLink.__table__)


def settings_fingerprint(
    settings: StoreSettings, decimal_comma: bool, date_format: str | None
) -> str:
    """Everything besides the row that decides its validation and its published figures."""
    return repr(
        (
            DIGEST_VERSION,
            __version__,
            settings.selection,
            settings.webstore,
            decimal_comma,
            date_format,
            tuple(sorted(settings.locations)),
            settings.safety_stock,
            tuple(sorted(settings.safety_overrides.items())),
        )
    )


def _sorted(mapping: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(mapping.items(), key=lambda pair: str(pair[0])))


def source_digest(raw: RawItem, fingerprint: str) -> str:
    """A digest of the row's content (not where it was read) and the settings fingerprint."""
    content = repr(
        (
            fingerprint,
            raw.sku,
            raw.name,
            raw.regular_price,
            raw.sale_price,
            raw.sale_from,
            raw.sale_to,
            _sorted(raw.on_hand),
            raw.web_flag,
            _sorted(raw.webstore_prices),
            raw.description,
            raw.short_description,
            raw.categories,
            raw.weight,
            raw.parent_code,
            raw.parent_name,
            _sorted(raw.attributes),
        )
    )
    return hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class UnchangedRows:
    """`validate_feed`'s ``unchanged`` check against the stored digests; keeps every digest.

    The stored digests are loaded on the first row, so a read that delivers
    nothing (an idle incremental read) costs no query.
    """

    def __init__(self, load: Callable[[], dict[str, str]], fingerprint: str) -> None:
        self._load = load
        self._stored: dict[str, str] | None = None
        self.fingerprint = fingerprint
        #: The digest of every row read with a usable SKU, by SKU key.
        self.digests: dict[str, str] = {}

    def __call__(self, raw: RawItem) -> str | None:
        sku = text(raw.sku)
        if sku is None:
            return None
        if self._stored is None:
            self._stored = self._load()
        key = sku_key(sku)
        digest = source_digest(raw, self.fingerprint)
        self.digests[key] = digest
        return key if self._stored.get(key) == digest else None


def load_source_digests(session: Session, *, store: str) -> dict[str, str]:
    """The digests of the links a row may be skipped for: linked items with a stored on-hand."""
    c = _TABLE.c
    query = (
        select(c.sku_key, c.source_digest)
        .where(
            c.store == store,
            c.state == "linked",
            c.kind != "variable",
            c.source_digest.is_not(None),
            c.on_hand.is_not(None),
        )
        .execution_options(yield_per=5000)
    )
    # Interned: the same string as the feed's keys (`model.sku_key`) and the link table's.
    return {sys.intern(key): digest for key, digest in session.execute(query).tuples()}


def store_source_digests(session: Session, *, store: str, values: Mapping[str, str]) -> int:
    """Remember the digest of rows now in sync with WooCommerce (one batched statement)."""
    if not values:
        return 0
    c = _TABLE.c
    statement = (
        update(_TABLE)
        .where(c.store == store, c.sku_key == bindparam("b_key"))
        .values(source_digest=bindparam("b_digest"))
    )
    session.execute(statement, [{"b_key": k, "b_digest": d} for k, d in values.items()])
    return len(values)
