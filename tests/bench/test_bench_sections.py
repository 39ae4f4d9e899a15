"""Separately measured sections of docs/benchmarks.md, and the many-stores verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.scale import end_marker, keep_sections, start_marker
from bench.sections import Section

from bench import stores

T0 = datetime(2030, 1, 1, tzinfo=UTC)
SECTION = Section("a")


def test_a_section_is_appended_once_then_replaced_and_carried_over(tmp_path: Path) -> None:
    page = SECTION.splice("# Benchmarks\n", "<!-- a:start -->one<!-- a:end -->")
    assert page.count("<!-- a:start -->") == 1 and "one" in page
    page = SECTION.splice(page, "<!-- a:start -->two<!-- a:end -->")
    assert "one" not in page and "two" in page
    previous = tmp_path / "old.md"
    previous.write_text(f"x\n{start_marker(100_000)}kept{end_marker(100_000)}\n")
    assert "kept" in keep_sections("# new page\n", previous)
    assert keep_sections("# new page\n", tmp_path / "missing.md") == "# new page\n"


def _runs(
    store: str, starts: list[int], length: int = 5
) -> list[tuple[str, datetime, datetime | None, str]]:
    return [
        (store, T0 + timedelta(seconds=s), T0 + timedelta(seconds=s + length), "ok") for s in starts
    ]


def test_every_store_on_its_interval_meets_every_target() -> None:
    runs = _runs("s1", [0, 60, 120, 180, 240]) + _runs("s2", [10, 75, 135, 195, 255])
    text = stores._section(2, 100, 8, 30.0, 300.0, 10, [], runs, [], True, "1 -> 1")
    assert "Targets (4 of 4 met)" in text
    assert "widest gap 65.0 s" in text


def test_a_starved_store_and_a_long_run_are_missed() -> None:
    runs = _runs("s1", [0, 60, 120, 180, 240], length=70)
    text = stores._section(2, 100, 8, 30.0, 300.0, 10, [], runs, [], True, "1 -> 1")
    assert (
        "| every products run shorter than its interval | longest 70.0 s of 60 s | missed |" in text
    )
    assert "0-5 runs per store" in text
    assert "Targets (2 of 4 met)" in text


def test_every_jobs_late_starts_leave_out_the_runs_a_trigger_brought_early() -> None:
    def row(store: str, job: str, start: int) -> stores.RunRow:
        began = T0 + timedelta(seconds=start)
        return stores.RunRow(store, job, began, began + timedelta(seconds=2), "ok")

    runs = [
        row("s1", "orders", 0),
        row("s1", "orders", 33),  # 3 s late
        row("s1", "orders", 40),  # a webhook's run: early, not scheduled
        row("s1", "orders", 80),  # 10 s late
        row("s2", "orders", 5),  # another store: never paired with s1's runs
        row("s1", "products", 0),
    ]
    orders, products = stores.job_rows(runs)
    assert orders == ["orders", "30 s", "5", "2.0 / 2.0", "10.0 / 10.0"]
    assert products == ["products", "60 s", "1", "2.0 / 2.0", "0.0 / nan"]
