"""partial indexes for the next actions the caseload counts

The organization-wide (organization_id, company_id) index becomes a partial one that
also carries client_id, so that the companies-without-people anti join probes it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:15:22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_contacts_organization_id_contacts_company_id"), table_name="contacts")
    op.create_index(
        "ix_contacts_at_company",
        "contacts",
        ["organization_id", "company_id", "client_id"],
        unique=False,
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.create_index(
        "ix_contacts_follow_up_planned",
        "contacts",
        ["organization_id", "client_id", "next_follow_up_at"],
        unique=False,
        postgresql_where=sa.text("next_follow_up_at IS NOT NULL"),
        sqlite_where=sa.text("next_follow_up_at IS NOT NULL"),
    )
    op.create_index(
        "ix_contacts_roots",
        "contacts",
        ["organization_id", "client_id", "last_contacted_at"],
        unique=False,
        postgresql_where=sa.text("referred_by_id IS NULL"),
        sqlite_where=sa.text("referred_by_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_contacts_roots",
        table_name="contacts",
        postgresql_where=sa.text("referred_by_id IS NULL"),
        sqlite_where=sa.text("referred_by_id IS NULL"),
    )
    op.drop_index(
        "ix_contacts_follow_up_planned",
        table_name="contacts",
        postgresql_where=sa.text("next_follow_up_at IS NOT NULL"),
        sqlite_where=sa.text("next_follow_up_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_contacts_at_company",
        table_name="contacts",
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_contacts_organization_id_contacts_company_id"),
        "contacts",
        ["organization_id", "company_id"],
        unique=False,
    )
