"""RLS without side doors: lookups read only; logins and recovery codes under RLS;
TOTP secrets encrypted

* The lookups made before the organization is known (`app.user_id` at login,
  `app.lookup_id` for a refresh token, invitation or API key) were part of each table's
  one `tenant_isolation` policy, which covers every command: pointing `app.lookup_id` at
  another organization's API key let the API role delete it. They are now a policy of
  their own, `pre_auth_lookup`, FOR SELECT only; `tenant_isolation` is the organization
  alone.
* `users` and `mfa_recovery_codes` had no policy at all. The API role now sees a login
  only as its own (`app.user_id`, read and written), as a member of the bound
  organization, or by the email a sign-in gives (`app.lookup_email`), both read only;
  recovery codes only as its own (`app/db/rls.py`).
* `users.mfa_secret` holds the TOTP secret encrypted (`app/core/encryption.py`), which
  needs a longer column. Existing clear-text secrets are encrypted here when
  `COACH_TOTP_ENCRYPTION_KEYS` is set (always, in production: the settings refuse to load
  without it). Without it (development) they are left as they are and the app seals
  each on its next accepted code: a key derived here might not be the one the app
  derives, and a secret encrypted under the wrong key would lock its user out.
  The downgrade decrypts them with the configured (or derived) keys, and stops if one
  cannot be decrypted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.config import get_settings
from app.core.encryption import SecretBox, UnreadableSecret, is_sealed
from app.db.rls import (
    CURRENT_LOOKUP,
    CURRENT_ORG,
    CURRENT_USER,
    disable_rls,
    drop_policies,
    enable_identity_rls,
    enable_rls,
)

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose policy had a pre-authentication clause, with the column RLS keys on.
LOOKUP_TABLES = (
    ("organizations", "id"),
    ("memberships", "organization_id"),
    ("invitations", "organization_id"),
    ("api_keys", "organization_id"),
    ("refresh_tokens", "organization_id"),
)
IDENTITY_TABLES = ("users", "mfa_recovery_codes")

# The policies as 0001 created them, for the downgrade (written out: `enable_rls` now
# makes the new ones).
_PREVIOUS_LOOKUPS = {
    "organizations": (
        f"id IN (SELECT organization_id FROM memberships WHERE user_id = {CURRENT_USER})"
    ),
    "memberships": f"user_id = {CURRENT_USER}",
    "invitations": f"id = {CURRENT_LOOKUP}",
    "api_keys": f"id = {CURRENT_LOOKUP}",
    "refresh_tokens": f"id = {CURRENT_LOOKUP}",
}

_users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("mfa_secret", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "mfa_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
    # Before `users` is under RLS: the tables' owner is subject to it too (FORCE).
    _encrypt_clear_secrets()
    if op.get_bind().dialect.name == "postgresql":
        for table, key_column in LOOKUP_TABLES:
            for statement in [*drop_policies(table), *enable_rls(table, key_column)]:
                op.execute(statement)
        for table in IDENTITY_TABLES:
            for statement in enable_identity_rls(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in IDENTITY_TABLES:
            for statement in disable_rls(table):
                op.execute(statement)
        for table, key_column in LOOKUP_TABLES:
            condition = f"{key_column} = {CURRENT_ORG}"
            for statement in drop_policies(table):
                op.execute(statement)
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table}"
                f" USING ({condition} OR {_PREVIOUS_LOOKUPS[table]}) WITH CHECK ({condition})"
            )
    _decrypt_sealed_secrets()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "mfa_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )


def _stored_secrets() -> list[tuple[object, str]]:
    rows = op.get_bind().execute(
        sa.select(_users.c.id, _users.c.mfa_secret).where(_users.c.mfa_secret.is_not(None))
    )
    return [(row.id, row.mfa_secret) for row in rows]


def _write_secrets(values: list[dict[str, object]]) -> None:
    if values:
        op.get_bind().execute(
            _users.update()
            .where(_users.c.id == sa.bindparam("user_id"))
            .values(mfa_secret=sa.bindparam("secret")),
            values,
        )


def _encrypt_clear_secrets() -> None:
    clear = [(user_id, secret) for user_id, secret in _stored_secrets() if not is_sealed(secret)]
    if not clear:
        return
    settings = get_settings()
    if settings.totp_encryption_keys is None:
        # The app seals each one on its next accepted code (app/auth/mfa.py).
        return
    box = SecretBox(settings.totp_keys())
    _write_secrets([{"user_id": user_id, "secret": box.seal(secret)} for user_id, secret in clear])


def _decrypt_sealed_secrets() -> None:
    sealed = [(user_id, secret) for user_id, secret in _stored_secrets() if is_sealed(secret)]
    if not sealed:
        return
    box = SecretBox(get_settings().totp_keys())
    values = []
    for user_id, secret in sealed:
        try:
            values.append({"user_id": user_id, "secret": box.open(secret).value})
        except UnreadableSecret as exc:
            raise RuntimeError(
                f"the TOTP secret of user {user_id} cannot be decrypted: set "
                "COACH_TOTP_ENCRYPTION_KEYS to the keys the API uses, then downgrade again"
            ) from exc
    _write_secrets(values)
