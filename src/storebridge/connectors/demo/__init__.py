"""The built-in demo POS: a small till system in a SQLite file, seeded with a believable shop.

- `settings` — `DemoPosSettings` (`[stores.X.connector] type = "demo"`);
- `pos` — `DemoPos`, the connector: reads items and on-hand, writes orders,
  customers and credits exactly once per idempotency key;
- `schema` — its SQLite tables; `catalogue` — the seeded catalogue (matrix
  styles included); `documents` — the write side (invoices, credits,
  customers); `simulation` — store life between two syncs (till sales,
  receipts, price changes) for the demo and the tests.
"""
