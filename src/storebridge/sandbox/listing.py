"""List queries shared by every collection: paging, ordering, date windows.

A collection request is validated by `schema.validate`, then turned into a
`ListQuery` and finally into SQL `WHERE`/`ORDER BY`/`LIMIT` pieces that hit
the resource's indexes. Date bounds are strict (`>`/`<`) like WP_Date_Query.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from storebridge.sandbox.clock import parse_wp_date, stored
from storebridge.sandbox.ties import TieOrder

T = TypeVar("T")


@dataclass
class Where:
    """A growing SQL WHERE clause with its parameters."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        """AND one condition."""
        self.clauses.append(clause)
        self.params.extend(params)

    def add_in(self, column: str, values: list[Any], *, negate: bool = False) -> None:
        """AND `column IN (...)` (an empty list matches nothing)."""
        if not values:
            if not negate:
                self.clauses.append("0")
            return
        marks = ",".join("?" for _ in values)
        self.clauses.append(f"{column} {'NOT IN' if negate else 'IN'} ({marks})")
        self.params.extend(values)

    def sql(self) -> str:
        """The text after WHERE (or `1`)."""
        return " AND ".join(self.clauses) if self.clauses else "1"


@dataclass(frozen=True)
class ListQuery:
    """The common collection parameters, already validated."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    include: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    search: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None

    @classmethod
    def from_args(
        cls, args: dict[str, Any], *, orderby: str = "date", order: str = "desc"
    ) -> ListQuery:
        """Build from validated arguments, applying the collection's defaults."""

        def date(name: str) -> datetime | None:
            value = args.get(name)
            return parse_wp_date(value) if isinstance(value, str) else None

        return cls(
            page=int(args.get("page") or 1),
            per_page=int(args.get("per_page") or 10),
            offset=args.get("offset"),
            order=str(args.get("order") or order),
            orderby=str(args.get("orderby") or orderby),
            include=tuple(int(v) for v in args.get("include") or ()),
            exclude=tuple(int(v) for v in args.get("exclude") or ()),
            search=args.get("search") or None,
            after=date("after"),
            before=date("before"),
            modified_after=date("modified_after"),
            modified_before=date("modified_before"),
        )

    def limit_offset(self) -> tuple[int, int]:
        """SQL LIMIT and OFFSET (`offset` wins over `page`, as in WP_Query)."""
        start = self.offset if self.offset is not None else (self.page - 1) * self.per_page
        return self.per_page, max(start, 0)

    def add_common(self, where: Where, *, created: str, modified: str, id_column: str) -> None:
        """AND the include/exclude lists and the strict date bounds."""
        if self.include:
            where.add_in(id_column, list(self.include))
        if self.exclude:
            where.add_in(id_column, list(self.exclude), negate=True)
        for moment, column, op in (
            (self.after, created, ">"),
            (self.before, created, "<"),
            (self.modified_after, modified, ">"),
            (self.modified_before, modified, "<"),
        ):
            if moment is not None:
                where.add(f"{column} {op} ?", stored(moment))

    def order_sql(
        self,
        columns: dict[str, str],
        *,
        id_column: str,
        ties: TieOrder,
        id_breaks: Collection[str] = (),
    ) -> str:
        """ORDER BY text.

        Args:
            columns: the column of each accepted `orderby` value.
            id_column: the unique key.
            ties: where the order of tied rows comes from when the server leaves it open.
            id_breaks: the `orderby` values WooCommerce itself breaks ties of by id
                (in the same direction); every other key's ties are in no set order.
        """
        direction = "ASC" if self.order == "asc" else "DESC"
        if self.orderby == "include" and self.include:
            cases = " ".join(f"WHEN {v} THEN {i}" for i, v in enumerate(self.include))
            return f"CASE {id_column} {cases} END ASC"
        column = columns.get(self.orderby, columns["date"])
        if column == id_column:
            return f"{id_column} {direction}"
        if self.orderby in id_breaks:
            return f"{column} {direction}, {id_column} {direction}"
        return f"{column} {direction}, {ties.sql(id_column)}"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a collection and the total number of matches."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def total_pages(self) -> int:
        """X-WP-TotalPages."""
        return math.ceil(self.total / self.per_page) if self.total else 0
