"""The SQL database connector: a POS/ERP whose data sits in PostgreSQL, MariaDB/MySQL, SQLite...

- `settings` — `SqlSettings` (`[stores.X.connector] type = "sql"`): the
  SQLAlchemy URL (a secret: ``url`` / ``url_file``, ``password`` /
  ``password_file``) and the mapping as SQL (`SqlQueries`);
- `reader` — items and on-hand per location in one statement, full or only
  what changed since a cursor column (`ReadPosition`);
- `writer` — orders, credits and customers into staging tables, one
  transaction per document, exactly once per idempotency key;
- `values` — driver values to feed values (Decimal without float rounding,
  ISO dates, text intact); `database` — engine and error translation;
- `connector` — `SqlConnector`, the `ports.PosConnector`;
- `sample/` — a small POS schema (PostgreSQL, MariaDB) with its mapping
  (`sample/mapping.toml`), used by the tests, the benchmark and the docs.
"""
