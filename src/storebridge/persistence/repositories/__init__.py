"""One small repository module per aggregate, each a set of plain functions.

- `links`: SKU ↔ WooCommerce id, last pushed values, broken/deleted/parked links
- `quarantine`: invalid POS rows, refreshed by fingerprint, resolved when fixed
- `cursors`: incremental-read positions with their boundary ids
- `runs`: job runs, their outcome, counts and API usage
- `webhooks`: received deliveries, recorded once
- `users`: dashboard users (the password hash is computed by the web layer)
- `locks`: per-store job locks with expiry

Functions take a `Session` first and keyword-only arguments after it, never
commit (except `locks.job_lock`, which manages its own short transactions),
and accept an optional aware `now` so tests control time.  The order ledger,
exports and credits are queried by the engines that own them.
"""
