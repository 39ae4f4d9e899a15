"""The executor's slices: two under way at a time, finished and reported in order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from storebridge.sync.catalogue.executor import Executor
from storebridge.sync.catalogue.recorder import Recorder
from storebridge.sync.report import RunReport
from storebridge.woocommerce import WooClient


def _executor(progress: list[tuple[str, int, int]], slice_size: int = 2) -> Executor:
    # `in_slices` touches neither the client nor the recorder.
    woo = SimpleNamespace(connection=SimpleNamespace(max_concurrency=4), batch_limit=100)
    return Executor(
        cast(WooClient, woo),
        cast(Recorder, object()),
        RunReport("main", "products", datetime.now(UTC)),
        progress=lambda *done: progress.append(done),
        slice_size=slice_size,
    )


async def test_the_next_slice_starts_before_the_current_one_ends() -> None:
    progress: list[tuple[str, int, int]] = []
    events: list[str] = []
    first_may_end = asyncio.Event()

    async def work(part: Sequence[int]) -> None:
        events.append(f"start {part[0]}")
        if part[0] == 0:
            await first_may_end.wait()  # the first slice's last batch is slow...
        else:
            first_may_end.set()  # ...and the second slice gets under way meanwhile
        events.append(f"end {part[0]}")

    # One slice at a time would wait forever for the first: bounded, it fails instead.
    await asyncio.wait_for(_executor(progress).in_slices("create", list(range(5)), work), 10)

    assert events[:3] == ["start 0", "start 2", "end 2"]
    # A third slice waits for the first to end: never more than two under way.
    assert events.index("start 4") > events.index("end 0")
    assert progress == [("create", 2, 5), ("create", 4, 5), ("create", 5, 5)]


async def test_a_failing_slice_stops_the_run_and_cancels_the_slice_under_way() -> None:
    progress: list[tuple[str, int, int]] = []
    cancelled: list[int] = []
    started: list[int] = []

    async def work(part: Sequence[int]) -> None:
        started.append(part[0])
        if part[0] == 0:
            await asyncio.sleep(0)
            raise RuntimeError("store refused the key")
        try:
            await asyncio.Event().wait()  # never ends by itself
        except asyncio.CancelledError:
            cancelled.append(part[0])
            raise

    with pytest.raises(RuntimeError, match="refused the key"):
        await _executor(progress).in_slices("update", list(range(6)), work)

    assert started == [0, 2]
    assert cancelled == [2]
    assert progress == []


async def test_one_slice_or_none_runs_as_before() -> None:
    progress: list[tuple[str, int, int]] = []
    seen: list[list[Any]] = []

    async def work(part: Sequence[int]) -> None:
        seen.append(list(part))

    executor = _executor(progress, slice_size=10)
    await executor.in_slices("create", [1, 2, 3], work)
    await executor.in_slices("create", [], work)

    assert seen == [[1, 2, 3]]
    assert progress == [("create", 3, 3)]
