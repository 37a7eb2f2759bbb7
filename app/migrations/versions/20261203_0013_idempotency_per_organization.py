"""idempotency records per organization, under RLS; webhook attempts keep headers

A record was keyed by a digest of whatever credential came with the request, written
before authentication (a garbage token stored one), and had no organization, so no RLS
policy could cover it. It now belongs to an authenticated caller (`caller`: the member
or API key) of one organization, and names the client whose data it holds so that
erasure can delete it. Records live a day (the retry window): the existing ones are
dropped rather than guessed an organization, so a retry sent across this upgrade runs
again as a new request.

Webhook attempts keep a few of the receiver's response headers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import disable_rls, enable_rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("idempotency_records",)


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_records")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_idempotency_records_credential_hash_key", type_="unique")
        batch_op.drop_column("credential_hash")
        batch_op.add_column(sa.Column("caller", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("organization_id", sa.Uuid(), nullable=False))
        batch_op.add_column(sa.Column("client_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_idempotency_records_organization_id_caller_key",
            ["organization_id", "caller", "key"],
        )
        batch_op.create_foreign_key(
            "fk_idempotency_records_organization_id_organizations",
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_idempotency_records_client_id_clients",
            "clients",
            ["client_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "ix_idempotency_records_client_id",
            ["client_id"],
            unique=False,
            postgresql_where=sa.text("client_id IS NOT NULL"),
            sqlite_where=sa.text("client_id IS NOT NULL"),
        )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "response_headers",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in enable_rls(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in disable_rls(table):
                op.execute(statement)
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_column("response_headers")
    op.execute("DELETE FROM idempotency_records")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_records_client_id")
        batch_op.drop_constraint("fk_idempotency_records_client_id_clients", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_idempotency_records_organization_id_organizations", type_="foreignkey"
        )
        batch_op.drop_constraint(
            "uq_idempotency_records_organization_id_caller_key", type_="unique"
        )
        batch_op.drop_column("client_id")
        batch_op.drop_column("organization_id")
        batch_op.drop_column("caller")
        batch_op.add_column(sa.Column("credential_hash", sa.String(length=64), nullable=False))
        batch_op.create_unique_constraint(
            "uq_idempotency_records_credential_hash_key", ["credential_hash", "key"]
        )
