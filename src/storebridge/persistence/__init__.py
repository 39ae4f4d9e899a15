"""StoreBridge's own database: schema (`tables`), engines and migrations (`db`),
and one small repository module per aggregate (`repositories`).

Every store-scoped row carries the store name, so one database serves several
shops.  Repositories take a `Session` and keyword-only arguments; they never
commit, so the caller decides what belongs in one transaction.
"""
