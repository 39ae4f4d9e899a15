"""The engines: they read through the ports, decide with the domain, write through the client.

Products (POS -> WooCommerce):

- `products.sync_products` / `plan_products`: the synchronizer (read, validate,
  look up, plan, execute, record) and its dry run;
- `executor.Executor` (+ `variable.StyleWriter`): applies a plan through the
  batch API and reports to a `recorder.Recorder`, the link-table binder;
- `reconcile.reconcile`: reads WooCommerce back, reports and fixes drift,
  detects broken links and deleted products;
- `stock.push_stock`: republishes stock for given SKUs from the stored on-hand
  and the order ledger (called after an order webhook);
- `ledger_view.allocated_for_store`: the allocation ledger, read-only;
- `report.RunReport`: what a run did, for the CLI, dashboard and benchmarks.

Supporting modules: `feed` (POS read and available quantities), `lookup`
(existing products by SKU, categories), `link_table` (links as the planner
sees them, parking), `quarantine`, `mapping` (WooCommerce JSON -> core values),
`messages`, `runs`.
"""
