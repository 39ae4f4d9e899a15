"""The order of ties in a list: WooCommerce leaves it unspecified, so the sandbox varies it.

MySQL returns rows that tie on the ORDER BY key in whatever order its plan
yields, and a `LIMIT/OFFSET` page sorted by a heap can put the same tied
row on two pages and another on none.  WooCommerce 10.0.2 adds no
tie-breaker for most keys: products sorted by `date` (the default) lose
the `ID` that the CRUD controller appends, because the catalogue ordering
code lower-cases it to `id` and WP_Query drops the unknown key; `modified`,
`title`, `slug`, `menu_order` never had one; HPOS orders sorted by
`modified`, webhooks by `date`, customers by `name` have none either.
Measured on a real store: 300 products created by batch, paged with the
default order, came back as 298-300 distinct ids.

So each list request draws a fresh permutation of ids and sorts ties by
it.  The draws come from one generator seeded by `SandboxConfig.tie_seed`:
the same seed and the same request sequence give the same pages, so a
failing test can be replayed.  Only an order that ends in a unique key
(`orderby=id`, or a key the server itself breaks by id) is stable.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

__all__ = ["TieOrder"]

# A prime above every id: `(id * m + a) mod p` is then a permutation of the ids.
_PRIME = 2_147_483_647


class TieOrder:
    """A seeded source of per-request permutations used to order tied rows."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Restart the seeded sequence."""
        with self._lock:
            self._random = random.Random(self._seed)

    def _draw(self) -> tuple[int, int]:
        with self._lock:
            return self._random.randrange(1, _PRIME), self._random.randrange(_PRIME)

    def sql(self, id_column: str) -> str:
        """A SQL expression over `id_column` that orders ties in this request's permutation."""
        multiplier, shift = self._draw()
        return f"(({id_column} * {multiplier} + {shift}) % {_PRIME})"

    def key(self) -> Callable[[int], int]:
        """The same permutation for sorting in Python."""
        multiplier, shift = self._draw()
        return lambda row_id: (row_id * multiplier + shift) % _PRIME
