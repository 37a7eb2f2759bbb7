import uuid
from typing import Annotated

from fastapi import Form, Request, Response, status

from app.auth import service
from app.auth.dependencies import AnyMember
from app.auth.rate_limit_http import AuthAttemptLimit, SignInFailures
from app.auth.schemas import MeRead, RefreshCreate, SignupCreate, TokenRead, UserRead
from app.core.config import SettingsDep
from app.core.errors import Unauthorized, problem_response, problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.models import Organization, User

router = api_router(tags=["auth"])


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    operation_id="auth_signup",
    summary="Create an organization and its owner",
    responses=problem_responses(409, 422, 429),
    dependencies=[AuthAttemptLimit],
)
async def signup(body: SignupCreate, session: SessionDep, settings: SettingsDep) -> TokenRead:
    """Creates a new organization with you as its owner, and signs you in: the answer holds an
    access token and a refresh token, as `POST /auth/token` does. An email that already has
    an account answers 409. Counted per client address (`auth-ip`).
    """
    tokens = await service.signup(
        session,
        settings,
        organization_name=body.organization_name,
        full_name=body.full_name,
        email=body.email,
        password=body.password,
    )
    return TokenRead.model_validate(tokens)


@router.post(
    "/auth/token",
    operation_id="auth_token",
    summary="Sign in with email and password (OAuth2 password grant)",
    description="Form fields `username` (the email) and `password`; `organization_id` "
    "when the user belongs to several organizations (otherwise answered 409 "
    "`organization-required` with the choices).\n\n"
    "**Two-factor sign-in.** When the account has an authenticator app enrolled, a correct "
    "password answers **403** with problem type `…/problems/mfa-required` and an "
    "`mfa_token` (valid 5 minutes, usable for nothing else); send it with the app's "
    "current `code` (or a `recovery_code`) to `POST /auth/token/mfa` for the tokens. "
    "403 rather than 401: the password was right, so a client must not treat it as a "
    "failed sign-in.\n\n"
    "When the organization requires two-factor sign-in for owners, admins and coaches "
    "(`require_mfa_for_staff`) and this member has not enrolled, the answer is **403** "
    "`…/problems/mfa-enrolment-required` with an `mfa_token` (15 minutes) that opens "
    "only the enrolment endpoints: call `POST /me/mfa` (secret and `otpauth://` URI for "
    "a QR code) and `POST /me/mfa/confirm` with `Authorization: Bearer <mfa_token>`; the "
    "confirmation returns the recovery codes and this sign-in's tokens.\n\n"
    "**Limits.** Failed sign-ins are limited per email, from every address together, and "
    "per client address; then the answer is 429 with `Retry-After`, even for the right "
    "password, and the same for an email that has no account.",
    responses=problem_responses(401, 403, 409, 422, 429),
    dependencies=[AuthAttemptLimit],
)
async def token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=128)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    organization_id: Annotated[uuid.UUID | None, Form()] = None,
) -> TokenRead:
    account = service.normalise_email(username)
    async with SignInFailures(request, account=account, failures=(Unauthorized,)):
        try:
            tokens = await service.authenticate(
                session,
                settings,
                email=username,
                password=password,
                organization_id=organization_id,
            )
        except service.OrganizationChoiceRequired as choice:
            return problem_response(  # type: ignore[return-value]
                409,
                "organization-required",
                "Choose an organization",
                "You belong to several organizations; send `organization_id`.",
                organizations=[
                    {"id": str(oid), "name": name} for oid, name in choice.organizations
                ],
            )
    return TokenRead.model_validate(tokens)


@router.post(
    "/auth/refresh",
    operation_id="auth_refresh",
    summary="Exchange a refresh token for new tokens (rotation)",
    description="Each refresh token works once. Presenting one that was already rotated "
    "revokes every token of its sign-in (theft detection). A staff member whose "
    "organization has since required two-factor sign-in, and who has not enrolled, "
    "gets 403 `mfa-enrolment-required` (see `POST /auth/token`).",
    responses=problem_responses(401, 403, 422, 429),
    dependencies=[AuthAttemptLimit],
)
async def refresh(body: RefreshCreate, session: SessionDep, settings: SettingsDep) -> TokenRead:
    outcome = await service.refresh(session, settings, presented=body.refresh_token)
    if outcome.tokens is None:
        # Returned rather than raised so the family revocation is committed.
        return problem_response(  # type: ignore[return-value]
            401,
            "unauthorized",
            "Authentication required",
            "The refresh token was already used; this sign-in has been revoked."
            if outcome.reuse_detected
            else "The refresh token is invalid, expired or revoked.",
        )
    return TokenRead.model_validate(outcome.tokens)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="auth_logout",
    summary="Revoke a refresh token and its sign-in",
    description="Every refresh token and access token of this sign-in stops working at "
    "once; the member's other sign-ins are untouched.",
    responses=problem_responses(422),
)
async def logout(body: RefreshCreate, session: SessionDep) -> Response:
    await service.logout(session, presented=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    operation_id="me_get",
    summary="The signed-in member",
    responses=problem_responses(401, 403),
)
async def me(principal: AnyMember, session: SessionDep) -> MeRead:
    """Who the access token belongs to: the user, the organization it was issued for, the
    member's role there and, for a client's login, its client record. Member logins only
    (API keys answer 403).
    """
    assert principal.user_id is not None
    user = await session.get_one(User, principal.user_id)
    organization = await session.get_one(Organization, principal.organization_id)
    assert principal.role is not None
    return MeRead(
        user=UserRead.model_validate(user),
        organization_id=organization.id,
        organization_name=organization.name,
        role=principal.role,
        client_id=principal.client_id,
    )
