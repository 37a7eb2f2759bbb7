"""Password recovery by email, and change with the current password."""

from fastapi import Request, Response, status

from app.auth import password
from app.auth.dependencies import AnyMember
from app.auth.rate_limit_http import (
    AuthAttemptLimit,
    SignInFailures,
    address_subject,
    enforce,
    rate_limiter,
)
from app.auth.schemas import PasswordChange, PasswordResetConfirm, PasswordResetCreate
from app.auth.service import normalise_email
from app.core.config import SettingsDep
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep

router = api_router(tags=["auth"])


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body: nothing to say that would differ by address
    operation_id="auth_password_reset",
    summary="Ask for a password-reset link by email",
    description="Always **202**, whether or not an account has this email, and in the "
    "same time: the worker looks the address up afterwards and, if an account has it, "
    "emails a link (`<COACH_PUBLIC_URL>/password-reset?token=…`) that works once, for "
    "30 minutes (`COACH_PASSWORD_RESET_MINUTES`). Limited per email and per client "
    "address (429 with `Retry-After`, for every address alike).",
    responses=problem_responses(422, 429),
    dependencies=[AuthAttemptLimit],
)
async def request_password_reset(
    body: PasswordResetCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    limiter = rate_limiter(request)
    await enforce(request, limiter.password_reset_ip, address_subject(request))
    await enforce(request, limiter.password_reset_email, normalise_email(body.email))
    await password.request_reset(session, settings, email=body.email)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="auth_password_reset_confirm",
    summary="Set a new password with the emailed token",
    description="Sets the password and ends every sign-in of the account, in each of its "
    "organizations; nobody is signed in by it (sign in again, with the second factor if "
    "the account has one). The token works once: 404 for an unknown token, 410 for one "
    "used or expired.",
    responses=problem_responses(404, 410, 422, 429),
    dependencies=[AuthAttemptLimit],
)
async def confirm_password_reset(
    body: PasswordResetConfirm, session: SessionDep, settings: SettingsDep
) -> Response:
    await password.confirm_reset(session, settings, token=body.token, new_password=body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="me_password_change",
    summary="Change my password",
    description="Needs the current password: a wrong one is 422 `…/problems/wrong-password` "
    "(and counts as a failed sign-in: 429 past the limit), the current one given as the "
    "new one 422 `…/problems/password-unchanged`. Ends the "
    "member's other sign-ins in every organization; this one stays signed in. Members "
    "only, not API keys.",
    responses=problem_responses(401, 403, 422, 429),
)
async def change_password(
    body: PasswordChange,
    request: Request,
    principal: AnyMember,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    account = str(principal.user_id)
    async with SignInFailures(request, account=account, failures=(password.WrongPassword,)):
        await password.change_password(
            session,
            settings,
            principal,
            current_password=body.current_password,
            new_password=body.new_password,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
