"""Authentication and authorisation dependencies.

`Authorize(...)` states what a route needs in one place: the API-key scope and
the roles allowed. It binds the session to the caller's organization (ORM hook
and RLS) before any tenant query runs.
"""

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, exists, select, update

from app.audit import recorder
from app.auth.principal import Principal
from app.core.config import Settings
from app.core.errors import Forbidden, Unauthorized
from app.core.request_context import Caller, current_request_context
from app.core.security import InvalidToken, decode_access_token, looks_like_jwt, secret_matches
from app.core.time import utc_now
from app.db.session import SessionDep
from app.db.tenancy import (
    bind_organization,
    bind_rls_lookup,
    prepare_read,
    run_prepared,
    unscoped,
)
from app.idempotency import service as idempotency
from app.models import ApiKey, Membership, RefreshToken
from app.models.enums import Role, Scope

API_KEY_PREFIX = "ck_"
# Writing last_used_at on every request would make each read a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)

_bearer = HTTPBearer(auto_error=False, description="An access token (JWT) or an API key.")


def _www_authenticate(detail: str) -> Unauthorized:
    return Unauthorized(detail)


async def _principal_from_jwt(session: SessionDep, settings: Settings, token: str) -> Principal:
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken as exc:
        raise _www_authenticate("The access token is invalid or expired.") from exc
    await bind_organization(session, claims.organization_id)
    membership = (
        await run_prepared(
            session,
            _CURRENT_MEMBERSHIP,
            {"user_id": claims.user_id, "session_id": claims.session_id},
        )
    ).one_or_none()
    if membership is None:
        # Removed from the organization, or signed out, since the token was issued.
        raise _www_authenticate("The access token is no longer valid.")
    role, client_id = membership
    return Principal(
        organization_id=claims.organization_id,
        user_id=claims.user_id,
        role=Role(role),
        client_id=client_id,
        session_id=claims.session_id,
    )


# Run on every request: prepared once, and only the two columns the principal needs.
# The role is the membership's now, never the token's. The same statement checks the
# token's sign-in (its refresh-token family) was not revoked: logout, reuse of a
# rotated refresh token and removal revoke every token of the family at once, and no
# row of a revoked family is ever un-revoked. Both lookups lead with the organization
# (the `(organization_id, user_id)` / `(organization_id, family_id)` indexes).
_user_id = bindparam("user_id", type_=Membership.user_id.type)
_CURRENT_MEMBERSHIP = prepare_read(
    select(Membership.role, Membership.client_id).where(
        Membership.user_id == _user_id,
        exists().where(
            RefreshToken.family_id == bindparam("session_id", type_=RefreshToken.family_id.type),
            RefreshToken.user_id == _user_id,
            RefreshToken.revoked_at.is_(None),
        ),
    )
)


def parse_api_key(token: str) -> tuple[uuid.UUID, str] | None:
    """`ck_<key id hex>_<secret>` → (id, secret), or None if it is not one."""
    if not token.startswith(API_KEY_PREFIX):
        return None
    parts = token[len(API_KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2:
        return None
    try:
        return uuid.UUID(hex=parts[0]), parts[1]
    except ValueError:
        return None


async def _principal_from_api_key(session: SessionDep, token: str) -> tuple[Principal, ApiKey]:
    parsed = parse_api_key(token)
    if parsed is None:
        raise _www_authenticate("The credential is not a valid token or API key.")
    key_id, secret = parsed
    await bind_rls_lookup(session, "app.lookup_id", key_id)
    api_key = (
        await session.execute(
            select(ApiKey).where(ApiKey.id == key_id).execution_options(**unscoped())
        )
    ).scalar_one_or_none()
    if api_key is None or not secret_matches(secret, api_key.secret_hash):
        raise _www_authenticate("The API key is invalid or revoked.")
    await bind_organization(session, api_key.organization_id)
    principal = Principal(
        organization_id=api_key.organization_id,
        api_key_id=api_key.id,
        scopes=frozenset(Scope(s) for s in api_key.scopes if s in Scope._value2member_map_),
    )
    return principal, api_key


async def _note_api_key_use(session: SessionDep, api_key: ApiKey) -> None:
    now = utc_now()
    if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == api_key.id)
            .values(last_used_at=now)
            .execution_options(**recorder.recorded_elsewhere())
        )
        # The same once-a-minute resolution keeps the audit log to one entry per burst.
        recorder.record_api_key_use(session, api_key)


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _www_authenticate("Send `Authorization: Bearer <access token or API key>`.")
    token = credentials.credentials
    api_key = None
    if looks_like_jwt(token):
        principal = await _principal_from_jwt(session, request.app.state.settings, token)
    else:
        principal, api_key = await _principal_from_api_key(session, token)
    # Before the request writes anything: the claim is committed on its own.
    await idempotency.claim(
        request, session, organization_id=principal.organization_id, caller=_caller(principal)
    )
    if api_key is not None:
        await _note_api_key_use(session, api_key)
    request.state.principal = principal
    context = current_request_context()
    if context is not None:
        # The actor of this request's audit entries.
        context.caller = Caller(
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
            role=principal.role.value if principal.role is not None else None,
        )
    return principal


def _caller(principal: Principal) -> str:
    """Whose idempotency records these are: the member (any of its tokens) or the key."""
    if principal.api_key_id is not None:
        return f"key:{principal.api_key_id}"
    return f"user:{principal.user_id}"


class Authorize:
    """Route requirement: an API-key scope and/or the member roles allowed.

    `scope=None` means API keys may not use the route at all (403);
    `roles=None` means every member role may.
    """

    def __init__(self, scope: Scope | None, roles: frozenset[Role] | None = None) -> None:
        self.scope = scope
        self.roles = roles

    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.is_api_key:
            if self.scope is None or self.scope not in principal.scopes:
                needed = f"the `{self.scope}` scope" if self.scope else "a member's login"
                raise Forbidden(f"This API key lacks {needed}.", required_scope=self.scope)
        elif self.roles is not None and principal.role not in self.roles:
            raise Forbidden("Your role may not do this.")
        return principal


AnyMember = Annotated[Principal, Depends(Authorize(scope=None))]
