"""The "Soak" section of docs/reliability.md, one sub-section per storage.

`write_section` replaces this storage's sub-section (``### SQLite ...`` or
``### PostgreSQL ...``) under ``## Soak`` and leaves the rest of the file, the
other storage's figures included, as it was; it creates the file or the
section when missing.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from bench.soak.chaos import FAULTS, Findings
from bench.table import markdown_table

__all__ = ["INTRO", "render_storage", "title", "write_section"]

SECTION = "## Soak"
INTRO = """Written by `python -m bench.soak` (`make soak`, `--storage postgresql` for the second run);
every figure below comes from the run described. Each run starts the WooCommerce sandbox
(`storebridge sandbox`) and StoreBridge as real processes on this machine, then for the given
time:

- the sandbox fails 20% of API requests ({faults}), and webhook deliveries are lost (15%),
  duplicated (15%) and held back a random 0-5 s so they arrive out of order;
- store life goes on: till sales, receipts, price and promotion changes and items joining or
  leaving the web in the demo POS; shoppers' web orders, which the merchant completes or
  cancels; drafts published in the admin; and tracked POS price changes, timed until
  WooCommerce shows them;
- a StoreBridge process is SIGKILLed at a random moment every 20-60 s and restarted at once
  (SQLite: the one `storebridge run`; PostgreSQL: one of two `storebridge worker` processes,
  while `storebridge run --no-scheduler` serves the dashboard and webhooks);
- the POS goes offline for 15-35 s about every 2.5 min (the demo POS's offline marker);
- malformed items are added to the POS and forged webhooks (a wrong HMAC) are posted to the
  receiver; the dashboard is probed every second (a login every tenth probe, else a page).

Then the faults stop and the harness checks until every invariant holds twice in a row
(at most 5 min), stops StoreBridge and checks once more. The stock rule is computed from the
POS's on-hand and the sandbox's open orders, never with StoreBridge's own arithmetic; merchant
fields are checked in the sandbox's write journal (the keys of every processed write).
`tests/bench/test_soak.py` runs a 75-second variant (one to three kills, one outage) in
`make test` and asserts every invariant.
""".format(faults=", ".join(f"{k.removeprefix('rate_')} {v:.0%}" for k, v in FAULTS.items()))


def title(storage: str) -> str:
    """The sub-section heading of one storage."""
    if storage == "sqlite":
        return "### SQLite storage, one `storebridge run`"
    return "### PostgreSQL storage, two `storebridge worker` processes"


def _seconds(values: list[float]) -> str:
    if not values:
        return "none observed"
    return (
        f"max {max(values):.1f} s, median {statistics.median(values):.1f} s "
        f"over {len(values)} changes"
    )


def render_storage(found: Findings, command: str) -> str:
    """This storage's sub-section."""
    requests = found.requests
    total = int(requests.get("total", 0))
    faults = dict(requests.get("faults", {}))
    api_faults = {k: v for k, v in faults.items() if not k.startswith("webhook_")}
    hook_faults = {
        k.removeprefix("webhook_"): v for k, v in faults.items() if k.startswith("webhook_")
    }
    kills = sum(found.kills.values())
    observed = found.observed
    lost_orders = {
        d["resource_id"] for d in found.webhooks_dropped if d["topic"].startswith("order.")
    }
    passed = sum(1 for i in found.invariants if i.ok)
    load = os.getloadavg()
    figures = [
        ["date", found.started.strftime("%Y-%m-%d %H:%M UTC")],
        ["command", f"`{command}`"],
        [
            "duration",
            f"{found.chaos_s / 60:.1f} min of chaos, then {found.settle_s:.0f} s to settle"
            + ("" if found.settled else " (**did not settle**)"),
        ],
        ["load average at the end", " / ".join(f"{v:.2f}" for v in load)],
        [
            "API requests",
            f"{total:,} served by the sandbox ({total - found.harness_requests:,} StoreBridge's, "
            f"{found.harness_requests:,} the harness's price probes); "
            f"{requests.get('writes', 0):,} writes",
        ],
        [
            "API faults injected",
            f"{sum(api_faults.values()):,} ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(api_faults.items()))
            + ")",
        ],
        [
            "webhook faults injected",
            ", ".join(f"{k}: {v}" for k, v in sorted(hook_faults.items())) or "none",
        ],
        [
            "kills survived",
            f"{found.restarts_ok} of {kills} SIGKILLs ("
            + ", ".join(f"{name} x{n}" for name, n in sorted(found.kills.items()))
            + ")",
        ],
        [
            "POS outages",
            f"{len(found.outages)}, {sum(found.outages):.0f} s in all",
        ],
        [
            "webhooks lost, recovered by polling",
            f"{len(found.webhooks_dropped)} deliveries lost ({len(lost_orders)} orders); "
            f"{found.webhooks_recovered} of those orders caught up by the orders poll",
        ],
        ["POS price change to WooCommerce", _seconds(found.price_lags)],
        [
            "store life",
            ", ".join(f"{kind}: {n}" for kind, n in sorted(found.life.items())),
        ],
        [
            "malformed rows / forged webhooks",
            f"{len(observed.bad_rows)} rows / {len(observed.forged_ids)} deliveries",
        ],
        *(
            [
                [
                    "procrastinate jobs at the end",
                    ", ".join(f"{k}: {v}" for k, v in sorted(found.queue.items())),
                ]
            ]
            if found.queue
            else []
        ),
        [
            "dashboard probes",
            f"{observed.probes} answered, {len(observed.probe_failures)} failed, "
            f"{observed.probes_while_restarting} refused while the runner restarted",
        ],
    ]
    rows = [[i.name, "**held**" if i.ok else "**FAILED**", i.detail] for i in found.invariants]
    return "\n".join(
        [
            title(found.storage),
            "",
            markdown_table(["", ""], figures),
            "",
            f"Invariants: {passed} of {len(found.invariants)} held.",
            "",
            markdown_table(["invariant", "verdict", "evidence"], rows),
            "",
        ]
    )


def write_section(path: Path, found: Findings, command: str) -> None:
    """Put this run's figures into `path` (see the module docstring)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Reliability\n"
    body = render_storage(found, command)
    lines = text.splitlines()
    if SECTION not in lines:
        lines += ["", SECTION, "", *INTRO.splitlines()]
    start = lines.index(SECTION)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = lines[start:end]
    heading = title(found.storage)
    if heading in section:
        first = section.index(heading)
        last = next(
            (i for i in range(first + 1, len(section)) if section[i].startswith("### ")),
            len(section),
        )
        section[first:last] = body.splitlines()
    else:
        while section and not section[-1].strip():
            section.pop()
        section += ["", *body.splitlines()]
    lines[start:end] = section + ([""] if end < len(lines) else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
