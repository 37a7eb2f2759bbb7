"""webhook backlog measured by the worker, for /metrics

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_backlog",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("oldest_due_at", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("measured_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_backlog")),
    )


def downgrade() -> None:
    op.drop_table("webhook_backlog")
