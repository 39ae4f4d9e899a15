"""StoreBridge's benchmarks: measured speed, request counts and memory, and the oversell day.

`python -m bench` (`make bench`) runs every scenario against the WooCommerce
sandbox served by a separate process with 50 ms of latency per request, and
rewrites docs/benchmarks.md; `python -m bench --quick` is a reduced smoke
run; `python -m bench SCENARIO ...` runs a selection.

Modules, each with one job:

- `sizes`: how big each scenario is (full, quick, and the tests' tiny run);
- `sandbox_process`: the sandbox in its own process, and its control plane;
- `workspace`: one StoreBridge installation (database, demo POS, settings)
  and a client factory that counts every request;
- `styles`: a synthetic catalogue of matrix styles (variable products);
- `store_events`: bulk price and stock changes in the POS, web order bursts;
- `steps`, `worker`, `measure`: one engine call timed and counted, in a fresh
  process, cross-checked with the sandbox's counters;
- `profiling`: where the CPU of a first sync goes;
- `runs`: the scenarios' StoreBridge side (first syncs, the big catalogue's
  idle cycle, changes, order burst and reconcile, variable products);
- `baseline`, `comparison`: the naive `woocommerce`-package script, side by side;
- `oversell`: the busy-day simulation (also `python -m bench.oversell`);
- `table`, `scenarios`, `report`, `cli`: tables, targets, the Markdown page,
  the command line.
"""
