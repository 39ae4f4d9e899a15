"""The binder: records in the link table what WooCommerce confirmed, and nothing else.

The executor reports each write's fate to a `Recorder`:

* `Confirmed`: WooCommerce answered with the object; its POS-owned values
  *as returned* become the link's last-pushed values (so a value WooCommerce
  altered is pushed again, and reconcile sees real drift);
* `Failure`: the write failed; the link's failure count grows and the link is
  parked after `park_after` failures in a row (a failed create is parked
  without WooCommerce id, see `link_table`);
* `Lost`: the linked product is gone (deleted or trashed) or now carries
  another SKU (broken link): the link is marked and never written again.

`DbRecorder` writes each report in its own short transaction, so what was
confirmed survives a crash later in the run; it also adds a `stock_history`
row ("on-hand 10 - allocated 2 - safety 1 = 7") for every stock figure sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.allocation import StockExplanation
from storebridge.domain.links import LinkKind
from storebridge.domain.ownership import PosOwned
from storebridge.persistence.repositories import links as link_repo
from storebridge.persistence.repositories.links import LinkOrigin, NewLink
from storebridge.persistence.tables import StockHistory
from storebridge.persistence.types import utcnow
from storebridge.sync.catalogue.link_table import DEFAULT_PARK_AFTER, store_on_hand, with_digest
from storebridge.sync.catalogue.mapping import pushed_of

__all__ = ["Confirmed", "DbRecorder", "Explainer", "Failure", "Lost", "Recorder"]

_HISTORY = cast(Table, StockHistory.__table__)

#: Why a SKU publishes what it does: its terms and a one-line reason, or None.
Explainer = Callable[[str], tuple[StockExplanation, str] | None]


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A write WooCommerce confirmed (or a link established by a read)."""

    sku_key: str
    sku: str
    woo_id: int
    kind: LinkKind
    parent_id: int | None = None
    owned: PosOwned | None = None  # None: a variable parent, nothing POS-owned on it
    origin: LinkOrigin | None = None  # set when this establishes the link
    stock_sent: bool = False


@dataclass(frozen=True, slots=True)
class Failure:
    """A write that failed; `woo_id` is None for a create."""

    sku_key: str
    sku: str
    kind: LinkKind
    woo_id: int | None
    error: str
    stock_sent: bool = False


@dataclass(frozen=True, slots=True)
class Lost:
    """The linked WooCommerce object is deleted/trashed, or carries another SKU."""

    sku_key: str
    sku: str
    state: Literal["broken", "deleted"]
    problem: str
    woo_id: int | None = None


class Recorder(Protocol):
    """Where the executor reports confirmed writes, failures and lost links."""

    def confirmed(self, writes: Sequence[Confirmed]) -> None:
        """Store links and last-pushed values WooCommerce confirmed."""

    def failed(self, failures: Sequence[Failure]) -> set[str]:
        """Count failures, park what keeps failing; returns the SKU keys now parked."""

    def lost(self, links: Sequence[Lost]) -> None:
        """Mark links broken or deleted."""


class DbRecorder:
    """`Recorder` over StoreBridge's database, one transaction per report."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: str,
        *,
        explain: Explainer | None = None,
        on_hand: Callable[[str], int | None] | None = None,
        park_after: int = DEFAULT_PARK_AFTER,
        digest: Callable[[str], str | None] | None = None,
    ) -> None:
        """Args:
        sessions: the session factory.
        store: the store name.
        explain: the stock explanation per SKU key, for `stock_history`.
        on_hand: POS on-hand per SKU key, stored on links created here.
        park_after: failures in a row after which a link is parked.
        digest: input fingerprint per SKU key, appended to failure messages.
        """
        self.sessions = sessions
        self.store = store
        self.explain = explain or (lambda _key: None)
        self.on_hand = on_hand or (lambda _key: None)
        self.park_after = park_after
        self.digest = digest or (lambda _key: None)
        #: SKU keys whose writes failed through this recorder.
        self.failed_keys: set[str] = set()

    def confirmed(self, writes: Sequence[Confirmed]) -> None:
        if not writes:
            return
        now = utcnow()
        new = [
            NewLink(w.sku, w.woo_id, w.kind, w.origin, w.parent_id)
            for w in writes
            if w.origin is not None
        ]
        pushed = {w.sku_key: pushed_of(w.owned) for w in writes if w.owned is not None}
        with self.sessions.begin() as session:
            link_repo.upsert_links(session, store=self.store, links=new, now=now)
            link_repo.mark_pushed_many(session, store=self.store, pushed=pushed, now=now)
            on_hand = {w.sku_key: self.on_hand(w.sku_key) for w in writes if w.origin is not None}
            store_on_hand(session, store=self.store, values=on_hand, now=now)
            self._history(session, [(w.sku_key, True) for w in writes if w.stock_sent])

    def failed(self, failures: Sequence[Failure]) -> set[str]:
        parked: set[str] = set()
        if not failures:
            return parked
        self.failed_keys.update(failure.sku_key for failure in failures)
        with self.sessions.begin() as session:
            for failure in failures:
                error = with_digest(failure.error, self.digest(failure.sku_key))
                if (
                    failure.woo_id is None
                    or link_repo.get_link(session, store=self.store, sku=failure.sku_key) is None
                ):
                    row = link_repo.park(
                        session, store=self.store, sku=failure.sku, error=error, kind=failure.kind
                    )
                else:
                    row = link_repo.record_failure(
                        session,
                        store=self.store,
                        sku=failure.sku_key,
                        error=error,
                        park_after=self.park_after,
                    )
                if row.state == "parked" and row.failures >= self.park_after:
                    parked.add(failure.sku_key)
            self._history(session, [(f.sku_key, False) for f in failures if f.stock_sent])
        return parked

    def lost(self, links: Sequence[Lost]) -> None:
        if not links:
            return
        with self.sessions.begin() as session:
            for link in links:
                mark = link_repo.mark_broken if link.state == "broken" else link_repo.mark_deleted
                mark(session, store=self.store, sku=link.sku_key, problem=link.problem)

    def _history(self, session: Session, keys: Sequence[tuple[str, bool]]) -> None:
        at = utcnow()
        rows: list[dict[str, object]] = []
        for key, pushed in keys:
            explained = self.explain(key)
            if explained is None:
                continue
            terms, reason = explained
            rows.append(
                {
                    "store": self.store,
                    "sku_key": key,
                    "on_hand": terms.on_hand,
                    "allocated": terms.allocated,
                    "safety": terms.safety,
                    "available": terms.available,
                    "pushed": pushed,
                    "reason": reason if pushed else f"not pushed (write failed): {reason}",
                    "at": at,
                }
            )
        if rows:
            # Core executemany: no ORM object (nor unit-of-work flush) per history row.
            session.execute(insert(_HISTORY), rows)
