"""Alembic environment for StoreBridge's schema.

Normally run through `storebridge.persistence.db.upgrade` (or `storebridge db
upgrade`), which hands over an open connection in ``config.attributes``.  To
write a new revision, autogenerate against a database migrated to head::

    from alembic import command
    from storebridge.persistence.db import alembic_config, create_engine_for, upgrade
    engine = create_engine_for("sqlite:///var/autogen.sqlite3"); upgrade(engine)
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message="...", autogenerate=True)

then review the generated file: autogenerate misses renames and server defaults.
SQLite cannot ALTER most things, so migrations run in batch mode there
(`render_as_batch`), which rebuilds a table behind the scenes.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storebridge.persistence.tables import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no database: call storebridge.persistence.db.upgrade(url) or set sqlalchemy.url"
        )
    from storebridge.persistence.db import create_engine_for

    engine = create_engine_for(url)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them on a database")
_main()
