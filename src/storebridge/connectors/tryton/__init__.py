"""Tryton over JSON-RPC: a real ERP with point of sale and web shops (trytond 8.2).

- `settings` — `TrytonSettings` (`[stores.X.connector] type = "tryton"`);
- `rpc` — `TrytonRpc`, the JSON-RPC session: login, context, re-login on an
  expired session, bounded retries, errors that name the fix;
- `reader` — `product.product` pages with prices, attributes and on-hand per
  warehouse, a bounded number of calls for the whole catalogue;
- `writer` — orders as `sale.sale` of the web shop (web id = idempotency
  key), parties matched by e-mail, shipments completed so on-hand drops,
  credits as return sales;
- `connector` — `TrytonConnector`, both sides behind `ports.PosConnector`;
- `simulation` — `TrytonTill`: till sales through Tryton's own point of sale
  (`sale.point.sale`, paid and posted, so the stock moves); `TrytonStoreLife`:
  the demo's store life in Tryton (till sales, receipts, price changes).

A local Tryton to run against (the `tryton` extra: trytond, its modules, proteus):

- `server` — `TrytonServer`: a real trytond on a free loopback port over a
  copy of a database built once and cached (`built_database`);
- `seed` — the shop of a new database (company and accounts, warehouses, web
  shops, price list, service products, till), one function per concern, run
  in a subprocess through proteus; the tests' sample goods;
- `catalogue` — a demo catalogue (connectors/demo/catalogue.py) loaded over
  JSON-RPC in batches of at most 50 records;
- `demo_shop` — `TrytonDemoShop`: the Tryton of `storebridge demo --pos tryton`.

The connector modules import none of these, and none of them is imported unless
a Tryton is started.
"""
