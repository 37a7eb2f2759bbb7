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
    "calendar_feeds",
    "digest_preferences",
)

# `nullif(..., '')` because a pooled connection reads an unset setting back as
# '': "no tenant" then matches nothing instead of failing the cast.
CURRENT_ORG = "nullif(current_setting('app.organization_id', true), '')::uuid"
CURRENT_USER = "nullif(current_setting('app.user_id', true), '')::uuid"
CURRENT_LOOKUP = "nullif(current_setting('app.lookup_id', true), '')::uuid"
CURRENT_LOOKUP_EMAIL = "nullif(current_setting('app.lookup_email', true), '')"

# The policies, by name: `tenant_isolation` (FOR ALL: the organization bound) on every
# tenant table; `pre_auth_lookup` (FOR SELECT only) on the tables below and on users;
# `own_row` (FOR ALL: the login the request acts for) and `member_of_organization`
# (FOR SELECT) on the identity tables.
POLICY_NAMES = (
    "tenant_isolation",
    "pre_auth_lookup",
    "own_row",
    "member_of_organization",
    "enqueue",
    "erase",
    "request_reset",
    "own_row_read",
)

# Extra rows some tables show before the organization is known: a user's own
# memberships (and their organizations) at login, and one token, key, invitation or
# calendar feed looked up by its id. Read only: a policy FOR SELECT of its own, so no
# lookup setting ever lets a row of another organization be updated or deleted; every
# write comes after `bind_organization`.
PRE_AUTH_VISIBILITY: dict[str, str] = {
    "organizations": (
        f"id IN (SELECT organization_id FROM memberships WHERE user_id = {CURRENT_USER})"  # noqa: S608
    ),
    "memberships": f"user_id = {CURRENT_USER}",
    "invitations": f"id = {CURRENT_LOOKUP}",
    "api_keys": f"id = {CURRENT_LOOKUP}",
    "refresh_tokens": f"id = {CURRENT_LOOKUP}",
    # A calendar feed fetched by its URL, which carries the feed's id (app/calendar/).
    "calendar_feeds": f"id = {CURRENT_LOOKUP}",
}


def enable_rls(table: str, key_column: str = "organization_id") -> list[str]:
    condition = f"{key_column} = {CURRENT_ORG}"
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} FOR ALL"
        f" USING ({condition}) WITH CHECK ({condition})",
    ]
    extra = PRE_AUTH_VISIBILITY.get(table)
    if extra:
        statements.append(f"CREATE POLICY pre_auth_lookup ON {table} FOR SELECT USING ({extra})")
    return statements


# Logins are global (one user, several organizations), so `users` and
# `mfa_recovery_codes` carry no organization_id. A request sees of them only what it
# needs: its own login (`app.user_id`: set once a password, an mfa_token or an access
# token names the user, and by erasure for the login it deletes), read and written; the
# logins of the bound organization's members (member lists, reports, invitations), read;
# and at sign-in, sign-up and invitation acceptance the one login with the email given
# (`app.lookup_email`), read. Recovery codes: the own login's only.
IDENTITY_POLICIES: dict[str, tuple[str, ...]] = {
    "users": (
        f"CREATE POLICY own_row ON users FOR ALL"
        f" USING (id = {CURRENT_USER}) WITH CHECK (id = {CURRENT_USER})",
        "CREATE POLICY member_of_organization ON users FOR SELECT USING (EXISTS ("  # noqa: S608
        "SELECT 1 FROM memberships WHERE memberships.user_id = users.id"
        f" AND memberships.organization_id = {CURRENT_ORG}))",
        f"CREATE POLICY pre_auth_lookup ON users FOR SELECT USING (email = {CURRENT_LOOKUP_EMAIL})",
    ),
    "mfa_recovery_codes": (
        f"CREATE POLICY own_row ON mfa_recovery_codes FOR ALL"
        f" USING (user_id = {CURRENT_USER}) WITH CHECK (user_id = {CURRENT_USER})",
    ),
}


def enable_identity_rls(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        *IDENTITY_POLICIES[table],
    ]


def drop_policies(table: str) -> list[str]:
    return [f"DROP POLICY IF EXISTS {name} ON {table}" for name in POLICY_NAMES]


def disable_rls(table: str) -> list[str]:
    return [
        *drop_policies(table),
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


# The email outbox and password resets (app/models/mail.py) are the worker's to read:
# the API's role may only add to them. A message for the bound organization, or (no
# organization: a password notice) for the request's own login; a reset request that
# names an address and nothing else (the worker fills in the login and the token). A
# reset is read by its id at confirmation (`app.lookup_id`) and then, with the login
# named (`app.user_id`), marked used. The bound organization's messages may also be
# read and deleted (erasure of a client): what they hold (an invitation's link) its
# staff were shown already; a password message has no organization, so no request
# reads it. No policy at all on `email_attempts`: the worker's.
OUTBOX_POLICIES: dict[str, tuple[str, ...]] = {
    "email_messages": (
        "CREATE POLICY enqueue ON email_messages FOR INSERT WITH CHECK ("
        f"organization_id = {CURRENT_ORG}"
        f" OR (organization_id IS NULL AND user_id = {CURRENT_USER}))",
        # A DELETE with a WHERE reads the rows first, so it needs them visible too.
        f"CREATE POLICY erase ON email_messages FOR DELETE USING (organization_id = {CURRENT_ORG})",
        "CREATE POLICY member_of_organization ON email_messages FOR SELECT"
        f" USING (organization_id = {CURRENT_ORG})",
    ),
    "email_attempts": (),
    "password_resets": (
        "CREATE POLICY request_reset ON password_resets FOR INSERT"
        " WITH CHECK (user_id IS NULL AND token_hash IS NULL AND issued_at IS NULL)",
        "CREATE POLICY pre_auth_lookup ON password_resets FOR SELECT"
        f" USING (id = {CURRENT_LOOKUP})",
        # Marked used, never added or deleted: the worker alone issues a token.
        f"CREATE POLICY own_row ON password_resets FOR UPDATE"
        f" USING (user_id = {CURRENT_USER}) WITH CHECK (user_id = {CURRENT_USER})",
        "CREATE POLICY own_row_read ON password_resets FOR SELECT"
        f" USING (user_id = {CURRENT_USER})",
    ),
}


def enable_outbox_rls(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        *OUTBOX_POLICIES[table],
    ]
