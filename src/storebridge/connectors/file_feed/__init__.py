"""The file feed: items from CSV or JSON-lines files, order documents into an outbox folder.

- `settings` — `FileFeedSettings` and its `ColumnMapping`
  (`[stores.X.connector] type = "file_feed"`);
- `feed` — `FileFeed`, the connector (one feed file or a drop folder);
- `rows` — how one file becomes `RawItem`s (reader side);
- `outbox` — the write side: one document per idempotency key, written atomically.
"""
