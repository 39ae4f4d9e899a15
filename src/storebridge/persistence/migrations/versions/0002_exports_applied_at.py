"""exports.applied_at: when the POS/ERP applied (imported) an exported document.

Revision ID: 0002_exports_applied_at
Revises: 0001
Create Date: 2026-12-02

An exported order's allocation is released only once the POS/ERP has applied
the document *and* a later POS read includes it (`domain.allocation.release_due`).
Existing exported rows start without the time: the next allocation cycle asks
the connector and fills it in, so nothing is released on a guess.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_exports_applied_at"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.add_column(sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_column("applied_at")
