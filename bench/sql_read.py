"""`python -m bench.sql_read`: the SQL connector reading 100,000 items from PostgreSQL.

It creates a throw-away database (``sb_sql_bench_<hex>``) on the PostgreSQL
server of `--admin-dsn`, loads the sample POS schema with N simple items
in 3 locations (item, variant and 3 stock rows each), spreads their
updated-at over the last 30 days as a POS's history would, and measures, each
step in a fresh process (so CPU and peak RSS are the read's own):

1. a full read: every item with its on-hand, streamed and validated;
2. an incremental read after 1% of the stock rows moved and 0.1% of the
   prices changed;
3. an incremental read when nothing changed.

The table goes into docs/benchmarks.md between the ``sql-read`` markers (the
rest of the page is `python -m bench`'s, which keeps this section when it
rewrites the page); `--output -` prints it instead.  The database is dropped
at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text

from bench.sections import Section
from bench.table import fmt_int, markdown_table

__all__ = ["END", "START", "keep_section", "main"]

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = Section("sql-read")
START = SECTION.start
END = SECTION.end
LOCATIONS = ("shop", "back", "warehouse")


def _child(step: str, url: str, position_file: Path) -> dict[str, Any]:
    """One measured read in this (fresh) process."""
    from storebridge.connectors.sql.connector import SqlConnector
    from storebridge.connectors.sql.sample import sample_settings
    from storebridge.domain.selection import Selection
    from storebridge.domain.validation import validate_feed

    connector = SqlConnector(sample_settings(url, cursor_overlap_s=0))
    position = None if step == "full" else position_file.read_text(encoding="utf-8")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    wall0 = time.perf_counter()
    rows = connector.read_items() if step == "full" else connector.read_items_since(position)
    result = validate_feed(rows, selection=Selection("flag", None))
    wall = time.perf_counter() - wall0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outcome = connector.last_read
    assert outcome is not None
    position_file.write_text(outcome.position, encoding="utf-8")
    connector.close()
    return {
        "step": step,
        "complete": outcome.complete,
        "items": len(result.items) + len(result.quarantined),
        "quarantined": len(result.quarantined),
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime - cpu0,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def _measure(step: str, url: str, position_file: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.sql_read", "--child", step, url, str(position_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _prepare(url: str, items: int, log: Any) -> None:
    from storebridge.connectors.sql.sample import create_schema, seed

    engine = create_engine(url)
    create_schema(engine)
    clock = time.perf_counter()
    seed(engine, n_items=items, n_styles=0, locations=LOCATIONS, today=datetime.now(UTC).date())
    log(f"seeded {items:,} items in {time.perf_counter() - clock:.0f} s")
    with engine.begin() as conn:
        # A POS's rows were changed over time, not all in one instant (triggers off).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in ("items", "variants", "stock"):
            conn.execute(
                text(f"UPDATE {table} SET updated_at = now() - random() * interval '30 days'")
            )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _change(url: str, items: int, rng: random.Random) -> tuple[int, int]:
    """Move stock of 1% of the stock rows and change 0.1% of the prices.

    Each change is its own transaction, as till sales and price edits are.
    """
    engine = create_engine(url)
    with engine.connect() as conn:
        skus = conn.execute(text("SELECT sku FROM variants ORDER BY sku")).scalars().all()
    moves = [
        {"s": rng.choice(skus), "l": rng.choice(LOCATIONS), "d": rng.randint(-3, 5)}
        for _ in range(items * len(LOCATIONS) // 100)
    ]
    prices = [
        {"i": rng.choice(skus), "p": Decimal(rng.randint(500, 9_999)) / 100}
        for _ in range(max(items // 1_000, 1))
    ]
    move = text("UPDATE stock SET qty = qty + :d WHERE sku = :s AND location = :l")
    price = text("UPDATE items SET price = :p, sale_price = NULL WHERE item_no = :i")
    for statement, changes in ((move, moves), (price, prices)):
        for change in changes:
            with engine.begin() as conn:
                conn.execute(statement, change)
    engine.dispose()
    return len(moves), len(prices)


def _table(items: int, runs: list[tuple[str, dict[str, Any]]], load: str) -> str:
    rows = []
    for label, r in runs:
        rate = r["items"] / r["wall_s"] if r["wall_s"] and r["items"] else 0
        rows.append(
            [
                label,
                "full" if r["complete"] else "changes",
                fmt_int(r["items"]),
                f"{r['wall_s']:.2f}",
                f"{r['cpu_s']:.2f}",
                f"{r['peak_rss_mb']:.0f}",
                fmt_int(round(rate)) if rate else "-",
            ]
        )
    header = ["read", "kind", "items delivered", "wall s", "CPU s", "peak RSS MB", "items/s"]
    return "\n".join(
        [
            START,
            f"## SQL connector: {items:,} items with stock in {len(LOCATIONS)} locations "
            "(PostgreSQL)",
            "",
            f"Written by `python -m bench.sql_read` on {datetime.now(UTC):%Y-%m-%d %H:%M UTC} "
            "(`make bench-sql`). The sample POS schema (`connectors/sql/sample`) on the local "
            f"PostgreSQL server, {items:,} items x {len(LOCATIONS)} stock rows, updated-at spread "
            "over 30 days; each read runs in a fresh process and includes validation "
            "(`validate_feed`, selection `flag`), as the products engine does. Incremental "
            "reads use `cursor_overlap_s = 0`; the default 60 s overlap also re-reads the rows "
            "changed in the minute before the cursor. The machine is shared (2 cores; load "
            f"average before -> after: {load}): wall time beyond CPU time is the database "
            "server's work and waiting for a core.",
            "",
            markdown_table(header, rows),
            END,
        ]
    )


def keep_section(report: str, previous: Path) -> str:
    """`report` with the SQL section of the `previous` page carried over (if it had one)."""
    return SECTION.keep(report, previous)


def splice(page: str, section: str) -> str:
    """`page` with `section` replacing its SQL section, or appended."""
    return SECTION.splice(page, section)


def _log(message: str) -> None:
    print(f"[bench.sql_read {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        print(json.dumps(_child(args[1], args[2], Path(args[3]))))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.sql_read", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--admin-dsn", default="host=127.0.0.1 port=5432 user=postgres dbname=test")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="'-' prints the section")
    options = parser.parse_args(args)
    name = f"sb_sql_bench_{uuid.uuid4().hex[:10]}"
    load_before = os.getloadavg()
    admin = psycopg.connect(options.admin_dsn, autocommit=True)
    info = admin.info
    url = f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{name}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        _prepare(url, options.items, _log)
        with tempfile.TemporaryDirectory(prefix="sb-sql-bench-") as scratch:
            position = Path(scratch) / "position.json"  # handed from one step's process on
            runs = [("everything", _measure("full", url, position))]
            _log(f"full read: {runs[-1][1]['wall_s']:.1f} s")
            moves, prices = _change(url, options.items, random.Random(7))
            label = f"after {moves:,} stock moves and {prices:,} price changes"
            runs.append((label, _measure("changes", url, position)))
            _log(f"incremental read: {runs[-1][1]['wall_s']:.2f} s")
            runs.append(("nothing changed", _measure("changes", url, position)))
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()
    load = f"{' / '.join(f'{x:.2f}' for x in load_before)} -> "
    load += " / ".join(f"{x:.2f}" for x in os.getloadavg())
    section = _table(options.items, runs, load)
    if options.output == "-":
        print(section)
        return 0
    output = Path(options.output)
    page = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    output.write_text(splice(page, section), encoding="utf-8")
    _log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
