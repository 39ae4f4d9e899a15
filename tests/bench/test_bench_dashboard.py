"""`python -m bench.dashboard` at a tiny size, and its section surviving a rewrite of the page."""

from __future__ import annotations

import re
from pathlib import Path

from bench.dashboard import END, START, Size, keep_dashboard_section, measure, section

from storebridge.web.views.catalog import ProductFilters


def test_the_dashboard_benchmark_times_every_query_and_writes_one_section(tmp_path: Path) -> None:
    backend, rows = measure(None, Size(links=300, charted_skus=20))

    text = section([(backend, rows)])
    labels = [label for label, _ in rows]
    assert backend == "SQLite"
    assert labels[:3] == [
        "activity charts, 24 h (22,344 runs in the week)",
        "activity charts, 7 days",
        "product list, page 1, no filter",
    ]
    assert len(labels) == 4 + len(ProductFilters.__slots__)  # every filter is timed
    assert all(re.fullmatch(r"\d+ ms", time) for _, time in rows)
    assert text.startswith(START) and text.endswith(END) and "| SQLite |" in text


def test_a_rewritten_page_keeps_the_dashboard_section(tmp_path: Path) -> None:
    previous = tmp_path / "benchmarks.md"
    kept = f"{START}\n## Dashboard\n| 1 |\n{END}"
    previous.write_text(f"# Benchmarks\n\nold\n\n{kept}\n", encoding="utf-8")

    page = keep_dashboard_section("# Benchmarks\n\nnew\n", previous)

    assert "new" in page and "old" not in page and page.count(START) == 1 and kept in page
