"""Calendar feeds (`/me/calendar-feed`, `/calendar/{token}.ics`) and one interview as a
calendar file (`/interviews/{interview_id}.ics`).

The interview's file lives here, not in `app/interviews/`, because it is built with the
feeds' calendar writer. This router is included before the interviews' one, so that
`/interviews/{interview_id}` does not take `….ics` for an id.
"""

import uuid
from typing import Annotated, Any

from fastapi import Path, Request, Response, status

from app.auth.dependencies import AnyMember
from app.calendar import ics, service
from app.calendar.schemas import CalendarFeedCreated, CalendarFeedRead
from app.companies.dependencies import PipelineReader
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader, shows_secret_once

router = api_router(responses=problem_responses(422))

FEED_PATH = "/calendar/{token}.ics"


class CalendarResponse(Response):
    media_type = ics.MEDIA_TYPE


def _calendar_responses(description: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {ics.MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **problem_responses(*errors),
    }


FEED_DESCRIPTION = (
    "No `Authorization` header: the URL is the credential (a wrong, rotated or revoked "
    "one, or a member's since removed, answers 404). The calendar shows what the member "
    "may see now, with its role now: the organization's interviews for owners and admins, "
    "a coach's assigned clients', a client's own. Each interview with a time is a `VEVENT` "
    "(`UID` `interview-<id>@coach-api`; `SEQUENCE` grows with every change; "
    "`STATUS:CANCELLED` once cancelled, `TENTATIVE` while only requested) describing the "
    "client, contact, company, prepared questions and notes (never coach notes to a "
    "client); each contact's keep-in-touch date (`next_touch_due_at`) is an all-day "
    "`VEVENT` (`follow-up-<contact id>@coach-api`) on the organization's calendar day. "
    f"Times are UTC. {service.WINDOW}"
)


@router.get(
    "/me/calendar-feed",
    tags=["calendar"],
    operation_id="calendar_feed_get",
    name="calendar_feed_get",
    summary="Whether you have a calendar feed, and when its URL was issued",
    responses=problem_responses(401, 403),
)
async def get_calendar_feed(session: SessionDep, principal: AnyMember) -> CalendarFeedRead:
    """The URL itself is shown only when it is issued. One feed per member per
    organization. Members only: API keys may not (403)."""
    feed = await service.current(session, principal)
    return CalendarFeedRead(
        active=feed is not None, created_at=feed.issued_at if feed is not None else None
    )


@router.post(
    "/me/calendar-feed",
    status_code=status.HTTP_201_CREATED,
    tags=["calendar"],
    operation_id="calendar_feed_create",
    summary="Issue (or rotate) your secret calendar feed URL; shown only once",
    responses=problem_responses(401, 403, 409),
)
async def create_calendar_feed(
    session: SessionDep,
    principal: AnyMember,
    request: Request,
    response: Response,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> CalendarFeedCreated:
    """A URL to subscribe to in a calendar app (`GET /calendar/{token}.ics`): the
    interviews you may see, with a time, and your contacts' keep-in-touch dates. Anyone
    with the URL reads it without signing in, so it is shown only in this answer and
    stored hashed. Calling again rotates it: the previous URL answers 404 at once.
    Members only: API keys may not (403)."""
    issued = await service.issue(session, principal)
    shows_secret_once(response)
    response.headers["Location"] = str(request.app.url_path_for("calendar_feed_get"))
    url = request.url_for("calendar_feed_fetch", token=issued.token)
    return CalendarFeedCreated(url=str(url), created_at=issued.feed.issued_at)


@router.delete(
    "/me/calendar-feed",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["calendar"],
    operation_id="calendar_feed_delete",
    summary="Revoke your calendar feed URL; it stops working at once",
    responses=problem_responses(401, 403, 404),
)
async def delete_calendar_feed(session: SessionDep, principal: AnyMember) -> Response:
    """404 when no feed is issued. Members only: API keys may not (403)."""
    await service.revoke(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    FEED_PATH,
    tags=["calendar"],
    operation_id="calendar_feed_fetch",
    name="calendar_feed_fetch",
    summary="A member's calendar feed (iCalendar), by its secret URL",
    description=FEED_DESCRIPTION,
    response_class=CalendarResponse,
    responses=_calendar_responses("An RFC 5545 calendar.", 404),
    openapi_extra={"security": []},
)
async def fetch_calendar_feed(
    token: Annotated[
        str,
        Path(description="The feed's secret, from `POST /me/calendar-feed`.", max_length=200),
    ],
    request: Request,
    session: SessionDep,
) -> CalendarResponse:
    principal = await service.open_feed(session, token)
    # Counted against the member's rate limit, like its signed-in requests.
    request.state.principal = principal
    body = await service.feed_calendar(session, principal)
    return CalendarResponse(content=body, headers={"Cache-Control": "no-store"})


@router.get(
    "/interviews/{interview_id}.ics",
    tags=["interviews"],
    operation_id="interviews_get_ics",
    summary="One interview as a calendar file (iCalendar)",
    response_class=CalendarResponse,
    responses=_calendar_responses("An RFC 5545 calendar of one event.", 401, 403, 404, 409),
)
async def get_interview_ics(
    interview_id: uuid.UUID, session: SessionDep, principal: PipelineReader
) -> CalendarResponse:
    """The interview's `VEVENT`, as in the calendar feed (same `UID` and `SEQUENCE`),
    to add one meeting to a calendar. Whoever may read the interview may (API keys need
    `contacts:read`); 409 while it has no time (`scheduled_at`)."""
    body = await service.meeting_calendar(session, principal, interview_id)
    disposition = f'attachment; filename="interview-{interview_id}.ics"'
    return CalendarResponse(content=body, headers={"Content-Disposition": disposition})
