"""`bench.read_back`: the line it prints for a step."""

from __future__ import annotations

from bench.measure import Measured
from bench.read_back import step_line
from bench.steps import StepResult
from bench.workspace import RequestCount


def test_a_step_line_puts_cpu_per_item_and_the_listings_next_to_one_per_hundred() -> None:
    requests = RequestCount({"GET /products": 212, "GET /orders": 2}, reads=214)
    result = StepResult("sync", wall_s=40.0, cpu_s=2.5, peak_rss_mb=100.0, requests=requests)
    step = Measured("read-back", 20_000, result, {}, 214, 0, 5.0)

    line = step_line(step)

    assert line == (
        "read-back: 40.0 s wall, 2.50 s CPU (0.125 ms an item), GET /products x212 "
        "(ceil(N/100) = 200), writes 0, sandbox CPU 5.0 s"
    )
