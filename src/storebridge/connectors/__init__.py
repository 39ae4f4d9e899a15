"""POS/ERP connectors: one package per system, each implementing `ports.PosConnector`.

- `demo` — the built-in demo POS (a till system in a SQLite file, with store life);
- `file_feed` — CSV / JSON-lines feeds in, order documents out through an outbox folder;
- `sql` — any POS/ERP database, mapped by SQL queries; documents into staging tables.
- `tryton` — a Tryton ERP over JSON-RPC: products and stock in, web orders as sales of a
  web shop out.

Each package holds its settings model (`settings`), its reader and its writer;
`settings.ConnectorSettings` is the union of the settings models and
`registry.build_connector` turns one into a live connector.
"""
