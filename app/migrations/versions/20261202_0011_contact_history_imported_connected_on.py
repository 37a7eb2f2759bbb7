"""contact history: contacts marked imported, LinkedIn's connection date

`imported` (false for every existing contact, as nothing told them apart before) keeps
file imports out of the client's movement; `ix_contacts_added_by_hand` serves the
latest contact added by hand per client (app/clients/activity.py), written in each
database's spelling of the query's `NOT imported`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:37:55.888022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connected_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("imported", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_contacts_added_by_hand",
            ["organization_id", "client_id", "created_at"],
            unique=False,
            postgresql_where=sa.text("NOT imported"),
            sqlite_where=sa.text("imported = 0"),
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_added_by_hand")
        batch_op.drop_column("imported")
        batch_op.drop_column("connected_on")
