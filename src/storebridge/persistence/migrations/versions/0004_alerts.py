"""The ``alerts`` table: alert conditions per store and the messages owed about them.

Revision ID: 0004_alerts
Revises: 0003_user_roles_and_audit
Create Date: 2026-12-03

One row per episode of a condition (a store turned red, an export parked, a
link broken, a webhook disabled, the quarantine grew), with the notice still
owed (problem, recovery or none) and the targets that already received it, so
de-duplication survives a restart.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_alerts"
down_revision: str | None = "0003_user_roles_and_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("opened_at", _AT, nullable=False),
        sa.Column("last_seen_at", _AT, nullable=False),
        sa.Column("resolved_at", _AT, nullable=True),
        sa.Column("notice", sa.String(length=32), server_default="problem", nullable=False),
        sa.Column("announced_at", _AT, nullable=True),
        sa.Column("announced_level", sa.Integer(), nullable=True),
        sa.Column("recovery_sent_at", _AT, nullable=True),
        sa.Column("delivered_to", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        op.f("ix_alerts_store_kind_key_resolved_at"),
        "alerts",
        ["store", "kind", "key", "resolved_at"],
        unique=False,
    )
    op.create_index(op.f("ix_alerts_store_notice"), "alerts", ["store", "notice"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_store_notice"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_store_kind_key_resolved_at"), table_name="alerts")
    op.drop_table("alerts")
