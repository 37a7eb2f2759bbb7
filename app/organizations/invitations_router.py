"""`/invitations`: invite by email, list what is open, resend, revoke, accept."""

import uuid
from typing import Annotated

from fastapi import Path, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth import service as auth_service
from app.auth.rate_limit_http import AuthAttemptLimit, SignInFailures
from app.auth.schemas import TokenRead
from app.core.config import SettingsDep
from app.core.errors import AppError, Unauthorized, error_response, problem_responses
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models import Invitation
from app.organizations import invitations
from app.organizations.dependencies import StaffMember
from app.organizations.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
)

router = api_router(tags=["organization"], responses=problem_responses(401, 403, 422))

# Its token is the credential: logs name the route, never the path as sent.
ACCEPT_PATH = "/invitations/{token}/accept"


def _created(invitation: Invitation, token: str) -> InvitationCreated:
    return InvitationCreated(**InvitationRead.model_validate(invitation).model_dump(), token=token)


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    operation_id="invitations_create",
    summary="Invite someone to join the organization",
    description="Owners and admins invite any role (only owners invite owners); a coach "
    "may invite a client they coach. The invitee gets an email with the accept link "
    "(`<COACH_PUBLIC_URL>/invitations/accept?token=…`); the `token` is also in this "
    "response, and only here.",
    responses=problem_responses(409),
)
async def create_invitation(
    body: InvitationCreate,
    session: SessionDep,
    principal: StaffMember,
    settings: SettingsDep,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> InvitationCreated:
    invitation, token = await invitations.create_invitation(
        session,
        principal,
        settings,
        email=body.email,
        role=body.role,
        client_id=body.client_id,
    )
    return _created(invitation, token)


@router.get(
    "/invitations",
    operation_id="invitations_list",
    summary="List the open invitations",
    description="Not yet accepted, oldest first: all of them for owners and admins, a "
    "coach's for the clients it coaches. Expired ones are listed too (resend them).",
)
async def list_invitations(
    session: SessionDep, principal: StaffMember, page: PageParamsDep
) -> Page[InvitationRead]:
    rows, next_cursor = await invitations.list_invitations(session, principal, params=page)
    return Page(data=[InvitationRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.post(
    "/invitations/{invitation_id}/resend",
    operation_id="invitations_resend",
    summary="Send an open invitation again, with a new link",
    description="The previous link stops working; the new one is valid for the usual "
    "number of days from now. The new `token` is in this response, and only here.",
    responses=problem_responses(404),
)
async def resend_invitation(
    invitation_id: uuid.UUID,
    session: SessionDep,
    principal: StaffMember,
    settings: SettingsDep,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> InvitationCreated:
    invitation, token = await invitations.resend_invitation(
        session, principal, settings, invitation_id
    )
    return _created(invitation, token)


@router.delete(
    "/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="invitations_delete",
    summary="Revoke an open invitation",
    description="Its link answers 404 from now on. Accepted invitations are members: "
    "remove the member instead.",
    responses=problem_responses(404),
)
async def revoke_invitation(
    invitation_id: uuid.UUID, session: SessionDep, principal: StaffMember
) -> Response:
    await invitations.revoke_invitation(session, principal, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    ACCEPT_PATH,
    response_model=TokenRead,
    operation_id="invitations_accept",
    summary="Accept an invitation: join and sign in",
    description="No authentication: the token is the credential. A new email gets an "
    "account with this name and password; an existing account must give its own password. "
    "Unknown tokens answer 404; used or expired ones 410. When a second factor is due (the "
    "account has one, or the organization requires one of staff) the member joins but the "
    "answer is the same 403 `mfa-required` / `mfa-enrolment-required` problem as "
    "`POST /auth/token`, whose `mfa_token` finishes signing in.",
    responses=problem_responses(401, 403, 404, 409, 410, 429),
    dependencies=[AuthAttemptLimit],
)
async def accept_invitation(
    token: Annotated[str, Path(min_length=1, max_length=256)],
    body: InvitationAccept,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenRead | JSONResponse:
    invitation = await invitations.open_invitation(session, token)
    # An existing account's password is checked here too: it shares that account's (and
    # this address's) failed sign-in budget with `POST /auth/token`.
    account = auth_service.normalise_email(invitation.email)
    async with SignInFailures(request, account=account, failures=(Unauthorized,)):
        tokens = await invitations.accept_invitation(
            session, settings, invitation, full_name=body.full_name, password=body.password
        )
    if isinstance(tokens, AppError):
        return error_response(tokens)
    return TokenRead.model_validate(tokens)
