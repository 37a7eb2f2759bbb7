import uuid
from typing import Annotated

from fastapi import Form, Request, Response, status

from app.auth import service
from app.auth.dependencies import AnyMember
from app.auth.schemas import MeRead, RefreshCreate, SignupCreate, TokenRead, UserRead
from app.core.config import SettingsDep
from app.core.errors import TooManyRequests, Unauthorized, problem_response, problem_responses
from app.core.rate_limit import FailureThrottle
from app.core.routing import api_router
from app.db.session import SessionDep
from app.models import Organization, User

router = api_router(tags=["auth"])


def _throttle(request: Request) -> FailureThrottle:
    throttle: FailureThrottle = request.app.state.login_throttle
    return throttle


def _token_read(tokens: service.IssuedTokens) -> TokenRead:
    return TokenRead(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        organization_id=tokens.organization_id,
        role=tokens.role,
    )


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    operation_id="auth_signup",
    summary="Create an organization and its owner",
    responses=problem_responses(409, 422, 429),
)
async def signup(body: SignupCreate, session: SessionDep, settings: SettingsDep) -> TokenRead:
    tokens = await service.signup(
        session,
        settings,
        organization_name=body.organization_name,
        full_name=body.full_name,
        email=body.email,
        password=body.password,
    )
    return _token_read(tokens)


@router.post(
    "/auth/token",
    operation_id="auth_token",
    summary="Sign in with email and password (OAuth2 password grant)",
    description="Form fields `username` (the email) and `password`; `organization_id` "
    "when the user belongs to several organizations (otherwise answered 409 "
    "`organization-required` with the choices).",
    responses=problem_responses(401, 409, 422, 429),
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
    client_ip = request.client.host if request.client else "unknown"
    throttle_key = f"{username.strip().lower()}|{client_ip}"
    throttle = _throttle(request)
    if (wait := throttle.retry_after(throttle_key)) is not None:
        raise TooManyRequests(
            "Too many failed sign-ins; wait before trying again.", retry_after=wait
        )
    try:
        tokens = await service.authenticate(
            session, settings, email=username, password=password, organization_id=organization_id
        )
    except Unauthorized:
        throttle.record_failure(throttle_key)
        raise
    except service.OrganizationChoiceRequired as choice:
        return problem_response(  # type: ignore[return-value]
            409,
            "organization-required",
            "Choose an organization",
            "You belong to several organizations; send `organization_id`.",
            organizations=[{"id": str(oid), "name": name} for oid, name in choice.organizations],
        )
    throttle.reset(throttle_key)
    return _token_read(tokens)


@router.post(
    "/auth/refresh",
    operation_id="auth_refresh",
    summary="Exchange a refresh token for new tokens (rotation)",
    description="Each refresh token works once. Presenting one that was already rotated "
    "revokes every token of its sign-in (theft detection).",
    responses=problem_responses(401, 422),
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
    return _token_read(outcome.tokens)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="auth_logout",
    summary="Revoke a refresh token and its sign-in",
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
