"""A big feed's validated rows kept in a temporary file, not in memory.

A first sync of 100,000 items used to hold every validated item (about
1.5 KB each with its descriptions) from the read to the end of the run,
because the feed-wide rules (duplicate SKUs, variant combinations) judge
the whole feed.  Those rules now need only a few words per row
(`domain.feed_rules.Facts`), so `SpilledOutcomes` keeps the outcomes
themselves on disk: pickled in chunks of `CHUNK` rows to an anonymous
temporary file (gone with the process, whatever happens), read back a chunk
at a time.  The engine then reads the feed again, in order, once per pass
it makes (computing availability, planning a slice at a time).

A rule that rewrites a row (a duplicate quarantined, an unchanged row
validated after all) is rare: the new outcome is kept in memory and wins
over the stored one.  Only `append` and reads after the last `append` are
supported in any order; the file is written as rows arrive.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, cast

from storebridge.domain.feed_rules import Outcome

__all__ = ["CHUNK", "SpilledOutcomes"]

#: Rows pickled together: one pickle a row would cost a header and a memo each.
CHUNK = 1_000


class SpilledOutcomes:
    """A feed's outcomes in feed order, in a temporary file (see the module docstring)."""

    def __init__(self) -> None:
        # Closed by `close`, or by the process's end: no name, nothing left behind.
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="storebridge-feed-")  # noqa: SIM115
        self._offsets: list[int] = []  # where each written chunk starts
        self._pending: list[Outcome] = []  # the chunk being filled
        self._replaced: dict[int, Outcome] = {}
        self._cached: tuple[int, list[Outcome]] | None = None
        self._length = 0

    def append(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._length += 1
        if len(self._pending) == CHUNK:
            self._flush()

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Outcome:
        if not 0 <= index < self._length:
            raise IndexError(index)
        replaced = self._replaced.get(index)
        if replaced is not None:
            return replaced
        chunk, at = divmod(index, CHUNK)
        return self._chunk(chunk)[at]

    def __setitem__(self, index: int, outcome: Outcome) -> None:
        if not 0 <= index < self._length:
            raise IndexError(index)
        self._replaced[index] = outcome

    def __iter__(self) -> Iterator[Outcome]:
        index = 0
        for chunk in range(len(self._offsets) + (1 if self._pending else 0)):
            for outcome in self._chunk(chunk, keep=False):
                yield self._replaced.get(index, outcome)
                index += 1

    def close(self) -> None:
        """Delete the file now (it goes with the process anyway)."""
        self._file.close()
        self._cached = None

    def _flush(self) -> None:
        self._file.seek(0, 2)
        self._offsets.append(self._file.tell())
        pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._pending = []

    def _chunk(self, chunk: int, *, keep: bool = True) -> list[Outcome]:
        if chunk == len(self._offsets):
            return self._pending
        if self._cached is not None and self._cached[0] == chunk:
            return self._cached[1]
        self._file.seek(self._offsets[chunk])
        # Our own file, written above by this process: no untrusted input.
        rows = cast(list[Outcome], pickle.load(self._file))  # noqa: S301
        if keep:
            self._cached = (chunk, rows)
        return rows
