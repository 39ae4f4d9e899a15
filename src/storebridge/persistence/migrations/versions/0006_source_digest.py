"""product_links.source_digest: the POS row as it was at the link's last confirmed sync.

Revision ID: 0006_source_digest
Revises: 0004_alerts
Create Date: 2026-12-03

A products run skips validating and planning a row whose digest (the raw
row plus the store settings that shape it) equals the stored one
(`sync.catalogue.digests`).  Existing links start without one: the next run
validates every row as before and stores the digests.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_source_digest"
down_revision: str | None = "0004_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product_links") as batch:
        batch.add_column(sa.Column("source_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("product_links") as batch:
        batch.drop_column("source_digest")
