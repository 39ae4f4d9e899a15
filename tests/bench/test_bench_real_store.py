"""The real-store benchmark's code paths against the sandbox: bare loops, ratios, clean-up.

The sandbox (no latency) stands in for the real WooCommerce: the numbers mean
nothing here, the counts, the ratio arithmetic and the clean-up do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.real_store import (
    SECTION,
    RealFigures,
    RealStoreRun,
    StoreAccess,
    bare_batches,
    ids_named,
    main,
    measure_real_store,
    place,
    real_section,
    real_targets,
    skipped_section,
    write_section,
)
from bench.sandbox_process import SandboxProcess
from bench.tryton_section import SECTION_HEADING as TRYTON_HEADING
from bench.tryton_section import keep_section as keep_tryton_section

from bench import cli
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET

ITEMS = 250


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(latency_ms=0) as process:
        yield process


@pytest.fixture(scope="module")
def access(sandbox: SandboxProcess) -> StoreAccess:
    return StoreAccess(sandbox.url, DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET)


@pytest.fixture(scope="module")
def run(access: StoreAccess, tmp_path_factory: pytest.TempPathFactory) -> RealStoreRun:
    root = tmp_path_factory.mktemp("real") / "ws"
    return measure_real_store(
        access, root, items=ITEMS, levels=(1, 2), log=lambda _: None, isolate=False
    )


def test_the_bare_loop_sends_100_items_a_batch_at_each_level(run: RealStoreRun) -> None:
    assert [(b.concurrency, b.items, b.requests, b.failed) for b in run.bare] == [
        (1, ITEMS, 3, 0),
        (2, ITEMS, 3, 0),
    ]
    assert all(len(b.ids) == ITEMS for b in run.bare)
    assert run.bare_update is not None and run.bare_update.requests == 1
    assert run.bare_update.items == round(ITEMS * 0.05)
    # Read back while only the last level's products exist: exactly the catalogue.
    assert run.bare_read is not None and run.bare_read.items == ITEMS
    # The fastest level once more after StoreBridge's first sync; the best of all counts.
    assert run.bare_again is not None and len(run.bare_again.ids) == ITEMS
    assert run.bare_again.concurrency == min(run.bare, key=lambda b: b.wall_s).concurrency
    assert run.best_bare.wall_s == min(b.wall_s for b in [*run.bare, run.bare_again])


def test_storebridge_syncs_changes_and_idles_on_the_same_store(run: RealStoreRun) -> None:
    assert run.first_sync is not None and run.first_sync.counts["created"] == ITEMS
    assert run.first_sync.requests.count("POST /products/batch") == 3
    assert run.first_sync.requests.count("POST /products/categories") == 0
    assert 1 <= run.first_sync.counts["concurrency_peak"] <= 8
    # The cycle after the first sync reads its products back, and writes nothing.
    assert run.read_back is not None and run.read_back.requests.writes == 0
    assert run.read_back.requests.reads >= ITEMS // 100
    assert run.price_change is not None and run.price_change.counts["updated"] == run.changed
    assert run.price_change.requests.reads < run.read_back.requests.reads
    assert run.idle is not None and run.idle.requests.writes == 0


def test_each_step_says_when_its_batches_ran(run: RealStoreRun) -> None:
    assert run.first_sync is not None and run.idle is not None
    timing = run.first_sync.batches
    assert 0 < timing.before_s < run.first_sync.wall_s
    assert 0 < timing.span_s < run.first_sync.wall_s
    assert 1 <= timing.in_flight <= run.first_sync.counts["concurrency_peak"]
    assert run.idle.batches.span_s == 0  # it sent none
    assert all(0 < b.in_flight <= b.concurrency for b in run.bare)


def test_everything_the_run_created_is_deleted(run: RealStoreRun, access: StoreAccess) -> None:
    assert run.cleaned == ITEMS  # StoreBridge's; each bare level deleted its own at once
    assert asyncio.run(ids_named(access.connection(), "SBB")) == []


def test_the_ratio_is_storebridge_wall_over_the_best_bare_wall(run: RealStoreRun) -> None:
    assert run.first_sync is not None and run.price_change is not None
    assert run.bare_update is not None
    best = run.best_bare.wall_s
    verdicts = {t.name: t for t in real_targets(run)}
    first = verdicts[f"first sync of {ITEMS}: StoreBridge wall / best bare-batch wall <= 1.10"]
    assert first.figure == f"{run.first_sync.wall_s / best:.2f}"
    assert first.met == (run.first_sync.wall_s / best <= 1.10)
    price = next(t for t in verdicts.values() if t.name.startswith(f"{run.changed} prices"))
    assert price.figure == f"{run.price_change.wall_s / run.bare_update.wall_s:.2f}"
    assert verdicts["idle cycle: 0 writes"].met


def test_the_section_round_trips_its_figures_and_replaces_only_itself(
    run: RealStoreRun, tmp_path: Path
) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nsandbox figures\n\n<!-- sql-read:start -->\nsql\n"
                    "<!-- sql-read:end -->\n")  # fmt: skip
    write_section(page, skipped_section())
    write_section(page, real_section(run))

    text = page.read_text()
    assert text.count(SECTION.start) == 1 and "Skipped" not in text
    assert "first cycle after the first sync (reads its products back)" in text
    assert "sandbox figures" in text and "<!-- sql-read:end -->" in text
    assert text.index(SECTION.end) < text.index("<!-- sql-read:start -->")
    figures = RealFigures.from_page(text)
    assert figures == run.figures()
    assert figures.create_ms == pytest.approx(run.best_bare.wall_s / ITEMS * 1000, 0.01)
    assert "again, right after StoreBridge's first sync" in text
    assert RealFigures.from_page(skipped_section()) is None


def test_the_real_store_mode_says_plainly_when_woo_url_is_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WOO_URL", raising=False)
    page = tmp_path / "benchmarks.md"

    assert main(["--output", str(page)]) == 2

    assert "real WooCommerce: skipped (WOO_URL is not set)" in capsys.readouterr().err
    assert not page.exists()
    assert StoreAccess.from_env({}) is None
    with pytest.raises(SystemExit, match="WOO_KEY"):
        StoreAccess.from_env({"WOO_URL": "http://shop.test"})


def test_a_sandbox_run_keeps_the_last_real_store_section(
    run: RealStoreRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WOO_URL", raising=False)
    page = tmp_path / "benchmarks.md"
    write_section(page, real_section(run))

    assert cli.main(["oversell", "--quick", "--output", str(page)]) == 0

    text = page.read_text()
    assert "### Oversell" in text
    assert RealFigures.from_page(text) == run.figures()


def test_a_refused_batch_item_is_counted_not_raised(access: StoreAccess) -> None:
    result = asyncio.run(bare_batches(access.connection(), "update", [{"id": 999_999_999}], 1))

    assert result.failed == 1 and result.ids == ()


def test_the_section_goes_in_front_of_the_tryton_section_which_runs_to_the_next_heading(
    run: RealStoreRun,
) -> None:
    page = f"# Benchmarks\n\n## Scenarios\n\nsandbox\n\n{TRYTON_HEADING}\n\n| Tryton | 65 |\n"

    placed = place(page, real_section(run))

    assert placed.index(SECTION.end) < placed.index(TRYTON_HEADING)
    assert keep_tryton_section(placed, "# new\n").endswith("| Tryton | 65 |\n")
    assert SECTION.start not in keep_tryton_section(placed, "# new\n")


def test_a_run_stopped_half_way_leaves_what_it_measured(run: RealStoreRun) -> None:
    partial = RealStoreRun(run.url, ITEMS, run.started, bare=run.bare[:1])

    section = real_section(partial)

    assert "**Incomplete**" in section
    assert "create, concurrency 1" in section
    assert RealFigures.from_page(section) is None  # no per-item figures for the targets
