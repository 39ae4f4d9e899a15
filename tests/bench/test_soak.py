"""The chaos soak: its checks catch what they must, and a short soak holds every invariant.

The checks are tested on hand-built snapshots (each rule sees a violation it
must report); `test_a_short_soak_holds_every_invariant` runs the real thing
for about 75 s against SQLite: the sandbox and `storebridge run` as
processes, 20% API faults, webhook chaos, SIGKILLs and a POS outage.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bench.soak.chaos import Findings, Plan
from bench.soak.checks import Invariant, Observed, Snapshot, check, overlapping_runs
from bench.soak.cli import soak
from bench.soak.report import title, write_section
from bench.soak.world import SAFETY_STOCK, STORE

from storebridge.persistence.tables import Export, ProductLink, QuarantineRow, Run
from storebridge.runner.execution import ORPHANED

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _run(run_id: int, job: str, start_s: int, end_s: int | None) -> Run:
    finished = None if end_s is None else T0 + timedelta(seconds=end_s)
    return Run(
        id=run_id,
        store=STORE,
        job=job,
        started_at=T0 + timedelta(seconds=start_s),
        finished_at=finished,
        outcome="ok" if finished else "running",
    )


def _orphaned(run: Run) -> Run:
    """A run cut by a kill, closed as orphaned when its lock was taken again."""
    run.outcome, run.error = "failed", ORPHANED
    return run


def _pos_row(sku: str, price: str, web: int = 1, name: str = "Item") -> sqlite3.Row:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row: sqlite3.Row = conn.execute(
        "SELECT ? AS sku, ? AS name, ? AS price, NULL AS sale_price, ? AS web",
        (sku, name, price, web),
    ).fetchone()
    return row


def _snapshot(**changes: Any) -> Snapshot:
    """A consistent world: one linked SKU, 10 on hand, one open order of 2, one completed order."""
    base = Snapshot(
        products=[
            {
                "id": 7,
                "sku": "A-1",
                "regular_price": "9.50",
                "sale_price": "",
                "stock_quantity": 10 - 2 - SAFETY_STOCK,
            }
        ],
        orders=[
            {"id": 1, "status": "processing", "line_items": [{"sku": "A-1", "quantity": 2}]},
            {"id": 2, "status": "completed", "line_items": [{"sku": "A-1", "quantity": 1}]},
        ],
        writes=[
            {
                "method": "POST",
                "template": "/products/batch",
                "path": "/x",
                "operation": "create",
                "target_id": None,
                "keys": ["name", "sku"],
            },
            {
                "method": "POST",
                "template": "/products/batch",
                "path": "/x",
                "operation": "update",
                "target_id": 7,
                "keys": ["id", "stock_quantity"],
            },
        ],
        pos_items={"A-1": _pos_row("A-1", "9.50")},
        pos_on_hand={"A-1": 10},
        pos_invoices=Counter({f"{STORE}:2": 1}),
        links=[ProductLink(store=STORE, sku="A-1", woo_id=7, kind="simple", state="linked")],
        exports={2: Export(store=STORE, woo_order_id=2, state="exported")},
        quarantine={},
        deliveries=set(),
        runs=[
            _run(n, job, 60 + n, 61 + n) for n, job in enumerate(("products", "orders", "export"))
        ],
        logs={"runner.log": "INFO all good\n"},
    )
    return replace(base, **changes)


def _failed(snap: Snapshot, observed: Observed | None = None) -> dict[str, str]:
    observed = observed or Observed()
    observed.settle_started = T0 + timedelta(seconds=60)
    found = check(snap, observed, {"webhook secret": "s3cr3t-hook"})
    return {i.name: i.detail for i in found if not i.ok}


def test_a_consistent_world_holds_every_invariant() -> None:
    assert _failed(_snapshot()) == {}


def test_a_stock_figure_off_by_one_is_reported_with_its_terms() -> None:
    snap = _snapshot(pos_on_hand={"A-1": 11})
    (failure,) = _failed(snap).values()
    assert "A-1: WooCommerce 7, expected 8 (on hand 11, open orders 2, safety 1" in failure


def test_a_price_differing_from_the_pos_is_reported() -> None:
    snap = _snapshot(pos_items={"A-1": _pos_row("A-1", "9.95")})
    assert _failed(snap) == {"every price equals the POS's": "A-1: WooCommerce 9.50, POS 9.95"}


def test_an_update_carrying_a_merchant_field_is_reported() -> None:
    write = {
        "method": "PUT",
        "template": "/products/{product_id}",
        "path": "/products/7",
        "operation": "update",
        "target_id": None,
        "keys": ["name", "regular_price"],
    }
    failed = _failed(_snapshot(writes=[write]))
    assert failed == {
        "merchant-owned fields were never written after creation": "PUT /products/{product_id} (/products/7): name"
    }


def test_a_completed_order_missing_from_the_pos_and_a_doubled_invoice_are_reported() -> None:
    failed = _failed(_snapshot(pos_invoices=Counter({f"{STORE}:1": 2})))
    assert failed["every completed order was exported"] == "order 2: exported"
    assert failed["no order was written to the POS twice"] == f"{STORE}:1 x2"


def test_a_recorded_forged_delivery_a_leaked_secret_and_a_5xx_are_reported() -> None:
    observed = Observed(forged_ids=["forged-1"], forged_answers=Counter({"401": 1}))
    observed.probe_failures.append("GET / answered 500")
    snap = _snapshot(deliveries={"forged-1"}, logs={"runner.log": "ok\nsecret=s3cr3t-hook\n"})
    failed = _failed(snap, observed)
    assert failed["every forged webhook was refused"] == "forged-1 was recorded"
    assert failed["no secret appears in any log line"] == "webhook secret in runner.log:2"
    assert failed["the dashboard answered every request (no 5xx)"] == "GET / answered 500"


def _bad(sku: str, price: str, resolved: bool | None) -> tuple[dict[str, Any], Observed]:
    """A snapshot holding a bad row inserted at -4.00, now at `price`, with its quarantine state."""
    observed = Observed(bad_rows={sku: "negative price"})
    rows = []
    if resolved is not None:
        rows.append(
            QuarantineRow(
                store=STORE, sku=sku, reason="price_negative", resolved_at=T0 if resolved else None
            )
        )
    items = {"A-1": _pos_row("A-1", "9.50"), sku: _pos_row(sku, price, name="Broken")}
    return {"pos_items": items, "quarantine": {sku: rows}}, observed


def test_a_bad_row_never_quarantined_or_released_while_still_bad_is_reported() -> None:
    rule = "every bad row is quarantined with a reason"
    changes, observed = _bad("BAD-1", "-4.00", None)
    assert _failed(_snapshot(**changes), observed) == {
        rule: "BAD-1 (negative price) never quarantined"
    }
    changes, observed = _bad("BAD-1", "-4.00", True)
    assert _failed(_snapshot(**changes), observed) == {
        rule: "BAD-1 (negative price) released from quarantine while still bad"
    }


def test_a_bad_row_repaired_by_store_life_leaves_or_never_enters_the_quarantine() -> None:
    # -4.40: a price change scaled the negative price; still bad, so still held.
    for price, resolved in (("-4.00", False), ("-4.40", False), ("4.00", True), ("4.00", None)):
        changes, observed = _bad("BAD-1", price, resolved)
        assert _failed(_snapshot(**changes), observed) == {}
    changes, observed = _bad("BAD-1", "4.00", False)
    assert _failed(_snapshot(**changes), observed) == {
        "every bad row is quarantined with a reason": (
            "BAD-1 (negative price) still quarantined after store life repaired it"
        )
    }


def test_a_job_that_never_ran_after_the_faults_stopped_is_reported() -> None:
    snap = _snapshot()
    stuck = replace(
        snap, runs=[r for r in snap.runs if r.job != "orders"] + [_run(9, "orders", 10, 11)]
    )
    assert _failed(stuck) == {
        "every job ran again after the kills (no lock or queue left blocked)": "no orders run finished ok after the faults stopped"
    }


def test_overlapping_runs_of_one_lock_group_are_found_and_a_killed_run_ends_at_its_kill() -> None:
    runs = [
        _run(1, "products", 0, 10),
        _run(2, "orders", 10, 12),  # same catalog lock, after: fine
        _run(3, "export", 5, 8),  # another lock: fine
        _run(4, "stock", 11, 11),  # written inside the orders run: ignored
        _run(5, "reconcile", 20, None),  # killed at 25
        _orphaned(_run(8, "products", 12, 40)),  # killed at 14, closed at 40
        _run(6, "orders", 26, 27),
    ]
    kills = [T0 + timedelta(seconds=14), T0 + timedelta(seconds=25)]
    assert overlapping_runs(runs, kills) == []
    runs.append(_run(7, "products", 24, 30))
    assert overlapping_runs(runs, kills) == [
        f"{STORE}/catalog: run 7 started before run 5 ended",
        f"{STORE}/catalog: run 6 started before run 7 ended",
    ]


def test_the_report_replaces_its_own_storage_section_and_keeps_the_rest(tmp_path: Path) -> None:
    page = tmp_path / "reliability.md"
    page.write_text("# Reliability\n\n## Bad input\n\nkept\n", encoding="utf-8")
    found = Findings("sqlite", Plan(), invariants=[Invariant("rule", True, "fine")])
    write_section(page, found, "python -m bench.soak")
    write_section(
        page, replace(found, storage="postgresql"), "python -m bench.soak --storage postgresql"
    )
    write_section(page, replace(found, invariants=[Invariant("rule", False, "broken")]), "again")
    text = page.read_text(encoding="utf-8")
    assert "## Bad input\n\nkept" in text
    assert text.count(title("sqlite")) == 1 and text.count(title("postgresql")) == 1
    sqlite_part = text.split(title("sqlite"))[1].split(title("postgresql"))[0]
    assert "`again`" in sqlite_part and "**FAILED**" in sqlite_part
    assert "| rule | **held** | fine |" in text.split(title("postgresql"))[1]


@pytest.mark.slow
def test_a_short_soak_holds_every_invariant(tmp_path: Path) -> None:
    plan = Plan(
        minutes=1.25,
        kill_every_s=(20.0, 35.0),
        outage_every_s=40.0,
        outage_s=(8.0, 12.0),
        bad_row_every_s=15.0,
        settle_timeout_s=240.0,
    )
    found = soak("sqlite", plan, tmp_path, log=lambda _line: None)
    failing = [f"{i.name}: {i.detail}" for i in found.invariants if not i.ok]
    assert not failing, "\n".join(failing)
    assert found.settled
    # A loaded machine restarts Python slowly: one kill at least, each one survived.
    assert found.kills and found.restarts_ok == sum(found.kills.values())
    assert found.outages and found.observed.bad_rows and found.observed.forged_ids
    assert sum(found.requests["faults"].values()) > 0


def test_a_bad_row_whose_other_fields_store_life_changed_is_still_bad() -> None:
    # An empty name stays bad when a price change touches the same row.
    observed = Observed(bad_rows={"BAD-4": "empty name"})
    held = QuarantineRow(store=STORE, sku="BAD-4", reason="missing_name", resolved_at=None)
    items = {"A-1": _pos_row("A-1", "9.50"), "BAD-4": _pos_row("BAD-4", "6.50", name="")}
    snap = _snapshot(pos_items=items, quarantine={"BAD-4": [held]})
    assert _failed(snap, observed) == {}

    released = QuarantineRow(store=STORE, sku="BAD-4", reason="missing_name", resolved_at=T0)
    snap = _snapshot(pos_items=items, quarantine={"BAD-4": [released]})
    assert _failed(snap, observed) == {
        "every bad row is quarantined with a reason": (
            "BAD-4 (empty name) released from quarantine while still bad"
        )
    }
