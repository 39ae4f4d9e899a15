"""Planning a big feed a slice at a time, so that its plan is never held whole.

A first sync of 100,000 items plans 100,000 creates, each with its payload:
about 1 KB apiece.  `plan_slices` yields the same plan as `plan.plan` in
parts of about `slice_size` items, so the engine can apply each part (or
gather its operations into full batches) and let it go.  What needs the
whole feed stays whole:

* the items are read once, as a stream: a part is yielded as soon as its
  simple items are read, so it plans every simple item read before it (the
  engine relies on it to let items go, `plan_buffer.ItemsInFlight`);
* a style's variants are planned together (a new style is one
  ``CreateVariableStyle``), in the slice of the style's turn;
* the delisting of linked SKUs missing from a complete snapshot is planned
  last, knowing every key of the feed;
* a SKU key twice in the feed is still a programming error (ValueError).

Simple items come first, in feed order, then the styles, as in `plan`, so
the parts' operations, put end to end, are `plan`'s own, in its order, and
their counts add up to its counts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from functools import partial

from storebridge.domain.links import LinkView, WooView
from storebridge.domain.model import DelistPolicy, PosItem, sku_key
from storebridge.domain.operations import Plan
from storebridge.domain.plan import plan

__all__ = ["plan_slices"]


def plan_slices(
    items: Iterable[PosItem],
    links: Mapping[str, LinkView],
    *,
    slice_size: int,
    available: Mapping[str, int],
    existing: Mapping[str, WooView],
    delist: DelistPolicy,
    category_ids: Mapping[str, int] | None = None,
    quarantined: Collection[str] = frozenset(),
    complete: bool = True,
    unchanged: Collection[str] = frozenset(),
) -> Iterator[Plan]:
    """`plan`'s plan in parts of about `slice_size` items (see the module docstring).

    The arguments are `plan`'s.  The last part carries the delistings and
    the count of `unchanged` rows.

    Raises:
        ValueError: two items share a SKU key (raised when the second is
            read: parts before it may have been yielded), or `slice_size`
            is below 1.
    """
    if slice_size < 1:
        raise ValueError("slice_size must be at least 1")
    part = partial(
        plan,
        links=links,
        available=available,
        existing=existing,
        delist=delist,
        category_ids=category_ids,
        quarantined=quarantined,
    )
    seen: set[str] = set()
    simple: list[PosItem] = []
    styles: dict[str, list[PosItem]] = {}
    for item in items:
        if item.key in seen or item.key in unchanged:
            raise ValueError(
                f"SKU {item.sku!r} is planned twice; run the feed through validate_feed first"
            )
        seen.add(item.key)
        if item.parent_code:
            styles.setdefault(sku_key(item.parent_code), []).append(item)
            continue
        simple.append(item)
        if len(simple) == slice_size:
            yield part(simple, complete=False)
            simple = []
    if simple:
        yield part(simple, complete=False)
    chunk: list[PosItem] = []
    for variants in styles.values():
        chunk.extend(variants)
        if len(chunk) >= slice_size:
            yield part(chunk, complete=False)
            chunk = []
    if chunk:
        yield part(chunk, complete=False)
    yield part((), complete=complete, unchanged=unchanged, planned_apart=seen)
