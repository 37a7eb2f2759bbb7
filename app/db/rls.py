"""Row-Level Security policies, applied by migrations on PostgreSQL."""

# Tables whose rows belong to one organization through `organization_id`.
TENANT_TABLES: tuple[str, ...] = (  # every table with organization_id; migrations list their own
    "memberships",
    "invitations",
    "api_keys",
    "refresh_tokens",
    "clients",
    "client_coaches",
    "contacts",
    "interactions",
    "events",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "companies",
    "outreach",
    "interviews",
    "interview_stage_changes",
    "question_templates",
    "audit_entries",
    "agenda_item_states",
    "idempotency_records",
)

# `nullif(..., '')` because a pooled connection reads an unset setting back as
# '': "no tenant" then matches nothing instead of failing the cast.
CURRENT_ORG = "nullif(current_setting('app.organization_id', true), '')::uuid"
CURRENT_USER = "nullif(current_setting('app.user_id', true), '')::uuid"
CURRENT_LOOKUP = "nullif(current_setting('app.lookup_id', true), '')::uuid"

# Extra rows some tables show before the organization is known: a user's own
# memberships at login, and one token or key looked up by its id.
PRE_AUTH_VISIBILITY: dict[str, str] = {
    "organizations": (
        f"id IN (SELECT organization_id FROM memberships WHERE user_id = {CURRENT_USER})"  # noqa: S608
    ),
    "memberships": f"user_id = {CURRENT_USER}",
    "invitations": f"id = {CURRENT_LOOKUP}",
    "api_keys": f"id = {CURRENT_LOOKUP}",
    "refresh_tokens": f"id = {CURRENT_LOOKUP}",
}


def enable_rls(table: str, key_column: str = "organization_id") -> list[str]:
    condition = f"{key_column} = {CURRENT_ORG}"
    extra = PRE_AUTH_VISIBILITY.get(table)
    readable = f"{condition} OR {extra}" if extra else condition
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({readable}) WITH CHECK ({condition})",
    ]


def disable_rls(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]
