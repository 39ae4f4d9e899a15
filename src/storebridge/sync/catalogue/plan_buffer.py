"""Gathering a plan planned in slices into full write batches, a bounded number at a time.

`domain.plan_slices` yields a big feed's plan in parts.  Applying each part
as it comes would cut batches short: a 1% price change spread over twenty
parts would cost twenty half-empty update batches instead of ten full ones.
`PlanBuffer` keeps each kind of write (creates, adoptions and updates, new
styles) pending until a kind holds `threshold` operations, then hands over
as many whole executor slices of it as it holds; `drain` hands over the rest
at the end.  Memory is then bounded by the threshold, not by the feed, and
the writes are batched as if the plan had been applied whole: the executor
cuts each kind into the same slices, so only the last batch can be short.

It also sums what the parts planned (`summary`) and keeps their reports
(links waiting for a human, conflicts), which are small and shown per run.

`ItemsInFlight` keeps, beside it, the POS items whose writes are planned and
not yet applied (the executor names them in messages and fingerprints a
failed one's input), and lets every other item go once planned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from storebridge.domain.model import PosItem
from storebridge.domain.operations import (
    AddVariation,
    Adopt,
    AdoptStyle,
    Conflict,
    CreateDraft,
    CreateVariableStyle,
    Plan,
    SkipBroken,
    UpdateFields,
    ZeroStock,
)

__all__ = ["ItemsInFlight", "PlanBuffer", "written_keys"]

T = TypeVar("T")


@dataclass
class PlanBuffer:
    """Pending writes of a sliced plan (see the module docstring).

    `unit` is the executor's slice (`Executor.slice_size`): a kind is handed
    over in whole units, so its batches are cut where applying the whole
    plan would cut them; `threshold` (a multiple of it) bounds what waits.
    New variants of existing styles wait for `drain`, so that each parent
    still gets one request.
    """

    unit: int
    threshold: int
    summary: Counter[str] = field(default_factory=Counter)
    reports: list[SkipBroken | Conflict] = field(default_factory=list)
    _creates: list[CreateDraft] = field(default_factory=list)
    _updates: list[Adopt | AdoptStyle | UpdateFields | ZeroStock] = field(default_factory=list)
    _styles: list[CreateVariableStyle] = field(default_factory=list)
    _variants: list[AddVariation] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.unit < 1 or self.threshold < self.unit:
            raise ValueError("the threshold must be at least one unit, and a unit at least 1")

    def add(self, part: Plan) -> list[Plan]:
        """Take one part; returns the plans now full enough to apply, in apply order."""
        self.summary.update(part.summary())
        self.reports.extend(part.reports)
        self._creates.extend(part.creates)
        self._updates.extend(part.adopts)
        self._updates.extend(part.updates)
        for op in part.variable_creates:
            if isinstance(op, CreateVariableStyle):
                self._styles.append(op)
            else:
                self._variants.append(op)
        ready: list[Plan] = []
        if len(self._creates) >= self.threshold:
            ready.append(Plan(creates=self._units(self._creates)))
        if len(self._updates) >= self.threshold:
            ready.append(_updates_plan(self._units(self._updates)))
        if len(self._styles) >= self.threshold:
            styles: tuple[CreateVariableStyle, ...] = self._units(self._styles)
            ready.append(Plan(variable_creates=styles))
        return ready

    def drain(self) -> Plan:
        """Everything still pending, as one plan."""
        rest = _updates_plan(_take(self._updates, len(self._updates)))
        return Plan(
            creates=_take(self._creates, len(self._creates)),
            adopts=rest.adopts,
            updates=rest.updates,
            variable_creates=(
                *_take(self._styles, len(self._styles)),
                *_take(self._variants, len(self._variants)),
            ),
        )

    def plan_of_reports(self) -> Plan:
        """A plan holding only the parts' reports (for the run report)."""
        return Plan(reports=tuple(self.reports))

    def _units(self, pending: list[T]) -> tuple[T, ...]:
        return _take(pending, len(pending) // self.unit * self.unit)


def _take(pending: list[T], count: int) -> tuple[T, ...]:
    taken = tuple(pending[:count])
    del pending[:count]
    return taken


def _updates_plan(ops: tuple[Adopt | AdoptStyle | UpdateFields | ZeroStock, ...]) -> Plan:
    return Plan(
        adopts=tuple(op for op in ops if isinstance(op, Adopt | AdoptStyle)),
        updates=tuple(op for op in ops if isinstance(op, UpdateFields | ZeroStock)),
    )


def written_keys(plan: Plan) -> Iterator[str]:
    """The SKU keys (and style keys) a plan writes to."""
    for op in (*plan.creates, *plan.updates):
        yield op.sku_key
    for adopt in plan.adopts:
        yield adopt.sku_key if isinstance(adopt, Adopt) else adopt.style_key
    for variable in plan.variable_creates:
        if isinstance(variable, AddVariation):
            yield variable.variation.sku_key
        else:
            yield variable.style_key
            yield from (v.sku_key for v in variable.variations)


class ItemsInFlight:
    """The items of a sliced plan whose writes wait to be applied (see the module docstring).

    `reading` wraps the items handed to `domain.plan_slices`; after each
    part, `planned` keeps the items it writes and drops the other simple
    items read so far (a part plans every simple item read before it);
    variants wait for their style's turn.  `applied` lets a plan's items go.
    """

    def __init__(self) -> None:
        self._read: dict[str, PosItem] = {}
        self._waiting: dict[str, PosItem] = {}

    def reading(self, items: Iterable[PosItem]) -> Iterator[PosItem]:
        for item in items:
            self._read[item.key] = item
            yield item

    def planned(self, part: Plan) -> None:
        for key in written_keys(part):
            item = self._read.pop(key, None)
            if item is not None:
                self._waiting[key] = item
        self._read = {k: item for k, item in self._read.items() if item.parent_code}

    def applied(self, plan: Plan) -> None:
        for key in written_keys(plan):
            self._waiting.pop(key, None)

    def get(self, key: str) -> PosItem | None:
        """The item of `key` if its write waits (or it was read and not planned yet)."""
        found = self._waiting.get(key)
        return found if found is not None else self._read.get(key)
