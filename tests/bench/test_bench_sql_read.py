"""`python -m bench.sql_read` at a tiny size, and its section surviving a rewrite of the page."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from bench.sql_read import END, START, keep_section, main, splice


def test_a_rewritten_page_keeps_the_sql_section_of_the_previous_one(tmp_path: Path) -> None:
    previous = tmp_path / "benchmarks.md"
    section = f"{START}\n## SQL connector\n| 1 |\n{END}"
    previous.write_text(f"# Benchmarks\n\nold figures\n\n{section}\n", encoding="utf-8")

    page = keep_section("# Benchmarks\n\nnew figures\n", previous)

    assert "new figures" in page and "old figures" not in page
    assert page.count(START) == 1 and section in page
    assert splice(page, f"{START}\nfresh\n{END}").count("SQL connector") == 0


@pytest.mark.postgres
def test_the_sql_read_benchmark_measures_a_full_then_incremental_reads(
    postgres_url: str,
) -> None:
    # postgres_url proves the server answers (and fails under STOREBRIDGE_REQUIRE_SERVICES).
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--items", "300", "--output", "-"]) == 0
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| ")][2:]
    delivered = [int(re.split(r"\s*\|\s*", row)[3].replace(",", "")) for row in rows]
    assert delivered[0] == 300  # everything
    assert 0 < delivered[1] < 300  # only the changed items
    assert delivered[2] <= delivered[1]  # nothing changed: the cursor's instant at most
