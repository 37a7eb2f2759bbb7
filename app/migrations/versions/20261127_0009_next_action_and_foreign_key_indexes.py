"""indexes for the next actions the caseload counts, and for foreign keys

Next actions: partial indexes of the candidate contacts (a planned follow-up, roots).
Foreign keys: each referencing column that PostgreSQL's cascades look up gets an
index leading with it (only the rows that hold a reference, where it is nullable); the
indexes that had it second, after organization_id, are replaced.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 13:09:24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(
        op.f("ix_companies_organization_id_companies_client_id_companies_created_at"), table_name="companies"
    )
    op.create_index(
        "ix_companies_client_id", "companies", ["client_id", "created_at"], unique=False
    )
    op.drop_index(op.f("ix_contacts_organization_id_contacts_company_id"), table_name="contacts")
    op.drop_index(
        op.f("ix_contacts_organization_id_contacts_referred_in_interview_id"), table_name="contacts"
    )
    op.create_index(
        "ix_contacts_company_id",
        "contacts",
        ["company_id"],
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
        "ix_contacts_referred_by_id",
        "contacts",
        ["referred_by_id"],
        unique=False,
        postgresql_where=sa.text("referred_by_id IS NOT NULL"),
        sqlite_where=sa.text("referred_by_id IS NOT NULL"),
    )
    op.create_index(
        "ix_contacts_referred_in_interview_id",
        "contacts",
        ["referred_in_interview_id"],
        unique=False,
        postgresql_where=sa.text("referred_in_interview_id IS NOT NULL"),
        sqlite_where=sa.text("referred_in_interview_id IS NOT NULL"),
    )
    op.create_index(
        "ix_contacts_roots",
        "contacts",
        ["organization_id", "client_id", "last_contacted_at"],
        unique=False,
        postgresql_where=sa.text("referred_by_id IS NULL"),
        sqlite_where=sa.text("referred_by_id IS NULL"),
    )
    op.drop_index(
        op.f("ix_interactions_organization_id_interactions_client_id_interactions_occurred_at"),
        table_name="interactions",
    )
    op.drop_index(
        op.f("ix_interactions_organization_id_interactions_contact_id_interactions_occurred_at"),
        table_name="interactions",
    )
    op.create_index(
        "ix_interactions_client_id", "interactions", ["client_id", "occurred_at"], unique=False
    )
    op.create_index(
        "ix_interactions_contact_id", "interactions", ["contact_id", "occurred_at"], unique=False
    )
    op.drop_index(
        op.f("ix_interview_stage_changes_organization_id_interview_stage_changes_interview_id_interview_stage_changes_changed_at"),
        table_name="interview_stage_changes",
    )
    op.create_index(
        "ix_interview_stage_changes_interview_id",
        "interview_stage_changes",
        ["interview_id", "changed_at"],
        unique=False,
    )
    op.drop_index(
        op.f("ix_interviews_organization_id_interviews_client_id_interviews_kind_interviews_stage"),
        table_name="interviews",
    )
    op.drop_index(
        op.f("ix_interviews_organization_id_interviews_contact_id"), table_name="interviews"
    )
    op.create_index(
        "ix_interviews_client_id", "interviews", ["client_id", "kind", "stage"], unique=False
    )
    op.create_index(
        "ix_interviews_company_id",
        "interviews",
        ["company_id"],
        unique=False,
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.create_index(
        "ix_interviews_contact_id",
        "interviews",
        ["contact_id"],
        unique=False,
        postgresql_where=sa.text("contact_id IS NOT NULL"),
        sqlite_where=sa.text("contact_id IS NOT NULL"),
    )
    op.create_index(
        "ix_interviews_outreach_id",
        "interviews",
        ["outreach_id"],
        unique=False,
        postgresql_where=sa.text("outreach_id IS NOT NULL"),
        sqlite_where=sa.text("outreach_id IS NOT NULL"),
    )
    op.drop_index(
        op.f("ix_outreach_organization_id_outreach_client_id_outreach_created_at"), table_name="outreach"
    )
    op.drop_index(op.f("ix_outreach_organization_id_outreach_contact_id"), table_name="outreach")
    op.create_index("ix_outreach_client_id", "outreach", ["client_id", "created_at"], unique=False)
    op.create_index(
        "ix_outreach_company_id",
        "outreach",
        ["company_id"],
        unique=False,
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.create_index("ix_outreach_contact_id", "outreach", ["contact_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outreach_contact_id", table_name="outreach")
    op.drop_index(
        "ix_outreach_company_id",
        table_name="outreach",
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.drop_index("ix_outreach_client_id", table_name="outreach")
    op.create_index(
        op.f("ix_outreach_organization_id_outreach_contact_id"),
        "outreach",
        ["organization_id", "contact_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_outreach_organization_id_outreach_client_id_outreach_created_at"),
        "outreach",
        ["organization_id", "client_id", "created_at"],
        unique=False,
    )
    op.drop_index(
        "ix_interviews_outreach_id",
        table_name="interviews",
        postgresql_where=sa.text("outreach_id IS NOT NULL"),
        sqlite_where=sa.text("outreach_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_interviews_contact_id",
        table_name="interviews",
        postgresql_where=sa.text("contact_id IS NOT NULL"),
        sqlite_where=sa.text("contact_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_interviews_company_id",
        table_name="interviews",
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.drop_index("ix_interviews_client_id", table_name="interviews")
    op.create_index(
        op.f("ix_interviews_organization_id_interviews_contact_id"),
        "interviews",
        ["organization_id", "contact_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interviews_organization_id_interviews_client_id_interviews_kind_interviews_stage"),
        "interviews",
        ["organization_id", "client_id", "kind", "stage"],
        unique=False,
    )
    op.drop_index("ix_interview_stage_changes_interview_id", table_name="interview_stage_changes")
    op.create_index(
        op.f("ix_interview_stage_changes_organization_id_interview_stage_changes_interview_id_interview_stage_changes_changed_at"),
        "interview_stage_changes",
        ["organization_id", "interview_id", "changed_at"],
        unique=False,
    )
    op.drop_index("ix_interactions_contact_id", table_name="interactions")
    op.drop_index("ix_interactions_client_id", table_name="interactions")
    op.create_index(
        op.f("ix_interactions_organization_id_interactions_contact_id_interactions_occurred_at"),
        "interactions",
        ["organization_id", "contact_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_organization_id_interactions_client_id_interactions_occurred_at"),
        "interactions",
        ["organization_id", "client_id", "occurred_at"],
        unique=False,
    )
    op.drop_index(
        "ix_contacts_roots",
        table_name="contacts",
        postgresql_where=sa.text("referred_by_id IS NULL"),
        sqlite_where=sa.text("referred_by_id IS NULL"),
    )
    op.drop_index(
        "ix_contacts_referred_in_interview_id",
        table_name="contacts",
        postgresql_where=sa.text("referred_in_interview_id IS NOT NULL"),
        sqlite_where=sa.text("referred_in_interview_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_contacts_referred_by_id",
        table_name="contacts",
        postgresql_where=sa.text("referred_by_id IS NOT NULL"),
        sqlite_where=sa.text("referred_by_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_contacts_follow_up_planned",
        table_name="contacts",
        postgresql_where=sa.text("next_follow_up_at IS NOT NULL"),
        sqlite_where=sa.text("next_follow_up_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_contacts_company_id",
        table_name="contacts",
        postgresql_where=sa.text("company_id IS NOT NULL"),
        sqlite_where=sa.text("company_id IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_contacts_organization_id_contacts_referred_in_interview_id"),
        "contacts",
        ["organization_id", "referred_in_interview_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_organization_id_contacts_company_id"),
        "contacts",
        ["organization_id", "company_id"],
        unique=False,
    )
    op.drop_index("ix_companies_client_id", table_name="companies")
    op.create_index(
        op.f("ix_companies_organization_id_companies_client_id_companies_created_at"),
        "companies",
        ["organization_id", "client_id", "created_at"],
        unique=False,
    )
