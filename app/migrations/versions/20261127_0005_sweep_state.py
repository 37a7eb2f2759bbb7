"""sweep state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:39:03.898592
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Contacted, and not yet announced cold for that last touch: the sweep's worklist.
COLD_UNANNOUNCED = (
    "last_contacted_at IS NOT NULL "
    "AND (cold_notified_for IS NULL OR last_contacted_at > cold_notified_for)"
)


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stalled_notified_for", app.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cold_notified_for", app.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_contacts_cold_unannounced",
            ["organization_id", "last_contacted_at"],
            unique=False,
            postgresql_where=sa.text(COLD_UNANNOUNCED),
            sqlite_where=sa.text(COLD_UNANNOUNCED),
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_cold_unannounced")
        batch_op.drop_column("cold_notified_for")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("stalled_notified_for")
