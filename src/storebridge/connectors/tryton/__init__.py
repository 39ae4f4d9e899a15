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
- `simulation` — `TrytonTill`: store life's till sales through Tryton's own
  point of sale (`sale.point.sale`, paid and posted, so the stock moves).
"""
