"""idempotency records keep no raw path

A path of any length, or with an encoded NUL, failed the insert (`character
varying(2048)`, and PostgreSQL refuses NUL in text) with a 500. Nothing read the
column: `request_hash` already binds a record to its method, path, query and body.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:48:26.961705
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("path")


def downgrade() -> None:
    # Records live a day; the ones kept through a downgrade get an empty path.
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("path", sa.String(length=2048), server_default="", nullable=False)
        )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.alter_column("path", server_default=None)
