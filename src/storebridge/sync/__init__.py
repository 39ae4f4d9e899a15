"""The engines, grouped by flow: they read through the ports, decide with the domain, write through the client.

- `catalogue` (POS -> WooCommerce): `products.sync_products` / `plan_products`
  (read, validate, look up, plan, execute, record) and its dry run;
  `executor.Executor` (+ `variable.StyleWriter`) applies a plan through the
  batch API and reports to `recorder.Recorder`, the link-table binder;
  `reconcile.reconcile` reads WooCommerce back and fixes drift; supporting
  modules `feed`, `lookup`, `link_table`, `quarantine`, `mapping`, `readback`.
- `orders` (orders and allocation): `ledger` polls orders into the ledger,
  `ledger_view.allocated_for_store` reads the allocation, `allocation` pushes
  the stock it implies, `stock.push_stock` republishes stock for given SKUs
  (after an order webhook), `webhook_ingest`, `go_live`.
- `export` (WooCommerce -> POS): `engine` exports each completed order exactly
  once, `credits` refunds and cancellations after export, `records` the
  export state rows, `order_mapping` the document the POS receives.
- `setup` (connecting a store): `doctor` gathers the facts `storebridge doctor`
  judges, `webhooks` installs, repairs and checks the order webhooks.

Shared by all flows: `report.RunReport` (what a run did), `runs` (one job for
one store), `locks` (per-store job locks), `messages`.
"""
