"""Two-factor sign-in over HTTP: enrolment under `/me/mfa`, the second sign-in step.

The flow is described on `POST /auth/token` (app/auth/router.py).
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from app.auth import mfa, service
from app.auth.dependencies import Authorize, _bearer, get_principal
from app.auth.mfa_schemas import (
    MfaCode,
    MfaConfirmedRead,
    MfaDisable,
    MfaEnrolmentRead,
    MfaRecoveryCodesRead,
    MfaStatusRead,
    MfaTokenCreate,
)
from app.auth.rate_limit_http import AuthAttemptLimit, SignInFailures
from app.auth.schemas import TokenRead
from app.core.config import SettingsDep
from app.core.errors import Unauthorized, problem_responses
from app.core.routing import api_router
from app.core.security import InvalidToken, decode_mfa_token
from app.db.session import SessionDep
from app.db.tenancy import bind_rls_lookup
from app.idempotency.service import shows_secret_once
from app.models import Organization, User
from app.models.enums import Role

router = api_router(tags=["auth"])

_ENROLMENT_ERRORS = problem_responses(401, 403, 409, 422, 429)


@dataclass(frozen=True, slots=True)
class MfaCaller:
    user: User
    organization_id: uuid.UUID
    role: Role
    # Set when calling with the `mfa_token` of an `mfa-enrolment-required` sign-in.
    pending: service.PendingSignIn | None


async def _mfa_caller(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> MfaCaller:
    """A signed-in member, or a sign-in held up by enrolment (its `mfa_token`).

    The enrolment token opens these endpoints and nothing else; a verification
    token opens none of them (its place is `POST /auth/token/mfa`).
    """
    token = credentials.credentials if credentials is not None else ""
    try:
        decode_mfa_token(settings, token)
    except InvalidToken:
        principal = await Authorize(scope=None)(await get_principal(request, session, credentials))
        # API keys were refused above: a member's login is calling.
        assert principal.user_id is not None
        assert principal.role is not None
        # RLS lets a request write its own login (and read its recovery codes) only.
        await bind_rls_lookup(session, "app.user_id", principal.user_id)
        user = await session.get_one(User, principal.user_id)
        return MfaCaller(user, principal.organization_id, principal.role, pending=None)
    pending = await service.pending_sign_in(session, settings, mfa_token=token)
    if pending.purpose is not mfa.Purpose.enrol:
        raise Unauthorized("This mfa_token only completes a sign-in: `POST /auth/token/mfa`.")
    membership = pending.membership
    return MfaCaller(pending.user, membership.organization_id, Role(membership.role), pending)


MfaCallerDep = Annotated[MfaCaller, Depends(_mfa_caller)]


def _code_check(
    request: Request, user: User, failure: type[Exception] = mfa.InvalidCode
) -> SignInFailures:
    """A wrong code is a failed sign-in, counted for the address and the account just as
    a wrong password on `POST /auth/token` is (one counter per email for both), so the
    right password does not reset what wrong codes used up."""
    return SignInFailures(request, account=service.normalise_email(user.email), failures=(failure,))


@router.post(
    "/auth/token/mfa",
    operation_id="auth_token_mfa",
    summary="Finish a sign-in with the second factor",
    description="Send the `mfa_token` of the `mfa-required` problem that `POST /auth/token` "
    "answered, with the current `code` of the authenticator app or one `recovery_code`. "
    "Each code works once. A wrong code answers 401 and counts as a failed sign-in "
    "(429 after too many); an expired `mfa_token` (5 minutes) answers 401: sign in again.",
    responses=problem_responses(401, 403, 422, 429),
    dependencies=[AuthAttemptLimit],
)
async def token_mfa(
    body: MfaTokenCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenRead:
    pending = await service.pending_sign_in(session, settings, mfa_token=body.mfa_token)
    async with _code_check(request, pending.user, Unauthorized):
        tokens = await service.complete_sign_in(
            session, settings, pending, code=body.code, recovery_code=body.recovery_code
        )
    return TokenRead.model_validate(tokens)


@router.get(
    "/me/mfa",
    operation_id="me_mfa_get",
    summary="Your two-factor sign-in status",
    responses=problem_responses(401, 403),
)
async def get_mfa(caller: MfaCallerDep, session: SessionDep) -> MfaStatusRead:
    """Whether two-factor sign-in is on for your account, whether an enrolment awaits
    confirmation, how many recovery codes are left and whether your organization requires it
    of your role. Also callable with the `mfa_token` of an `mfa-enrolment-required` sign-in.
    """
    user = caller.user
    organization = await session.get_one(Organization, caller.organization_id)
    return MfaStatusRead(
        enabled=mfa.is_enabled(user),
        enabled_at=user.mfa_enabled_at,
        enrolment_pending=user.mfa_secret is not None and not mfa.is_enabled(user),
        recovery_codes_remaining=await mfa.unused_recovery_codes(session, user),
        required_by_organization=mfa.organization_requires(organization, caller.role),
    )


@router.post(
    "/me/mfa",
    operation_id="me_mfa_enrol",
    summary="Start enrolling an authenticator app (TOTP)",
    description="Returns a new secret and its `otpauth://` URI (show it as a QR code). "
    "Two-factor sign-in is on only once a code from the app is confirmed with "
    "`POST /me/mfa/confirm`; starting again replaces a pending secret. 409 when it is "
    "already on. Also callable with the `mfa_token` of an `mfa-enrolment-required` "
    "sign-in as the bearer token.",
    responses=_ENROLMENT_ERRORS,
)
async def start_mfa_enrolment(
    caller: MfaCallerDep, session: SessionDep, settings: SettingsDep, response: Response
) -> MfaEnrolmentRead:
    enrolment = await mfa.start_enrolment(session, settings, caller.user)
    shows_secret_once(response)
    return MfaEnrolmentRead(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post(
    "/me/mfa/confirm",
    operation_id="me_mfa_confirm",
    summary="Confirm enrolment with a first code; returns recovery codes once",
    description="Turns two-factor sign-in on. The recovery codes are shown only in this "
    "response. With the `mfa_token` of an `mfa-enrolment-required` sign-in as the bearer "
    "token, the response also carries that sign-in's `tokens`. A wrong code answers 422 "
    "and counts as a failed sign-in.",
    responses=_ENROLMENT_ERRORS,
)
async def confirm_mfa_enrolment(
    body: MfaCode,
    caller: MfaCallerDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> MfaConfirmedRead:
    async with _code_check(request, caller.user):
        codes = await mfa.confirm_enrolment(session, settings, caller.user, code=body.code)
    tokens = None
    if caller.pending is not None:
        tokens = TokenRead.model_validate(
            await service.issue_tokens(
                session,
                settings,
                user_id=caller.user.id,
                organization_id=caller.organization_id,
                role=caller.role,
            )
        )
    shows_secret_once(response)
    return MfaConfirmedRead(recovery_codes=codes, tokens=tokens)


@router.post(
    "/me/mfa/recovery-codes",
    operation_id="me_mfa_recovery_codes_create",
    summary="Replace your recovery codes (needs a current code)",
    description="The previous recovery codes stop working; the new ones are shown only in "
    "this response.",
    responses=_ENROLMENT_ERRORS,
)
async def regenerate_recovery_codes(
    body: MfaCode,
    caller: MfaCallerDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> MfaRecoveryCodesRead:
    async with _code_check(request, caller.user):
        codes = await mfa.regenerate_recovery_codes(session, settings, caller.user, code=body.code)
    shows_secret_once(response)
    return MfaRecoveryCodesRead(recovery_codes=codes)


@router.delete(
    "/me/mfa",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="me_mfa_delete",
    summary="Turn two-factor sign-in off (needs a current code or a recovery code)",
    description="A password alone cannot remove the second factor. If your organization "
    "requires two-factor sign-in for your role, your next sign-in asks you to enrol again.",
    responses=problem_responses(401, 403, 422, 429),
)
async def disable_mfa(
    body: MfaDisable,
    caller: MfaCallerDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    async with _code_check(request, caller.user):
        await mfa.disable(
            session, settings, caller.user, code=body.code, recovery_code=body.recovery_code
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
