"""Interviews: their stages (the machine is `stages.py`) with a history, and the touches
they record.

Holding a meeting logs a `meeting` interaction and moves the contact's company (and the
interview's) to `engaged`; following up logs a `thank_you` and sets `thank_you_sent_at`
(a `thank_you` logged by hand credits the meetings it follows: `thank_you.py`). A meeting
that already happened is created at its stage in one go, step by step. Referrals are
`referrals.py`.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import require_role
from app.auth.principal import Principal
from app.companies import service as companies_service
from app.contacts import repository as contacts_repository
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import utc_now
from app.core.wording import with_article
from app.events.service import record_event
from app.interviews import repository
from app.interviews.schemas import (
    InterviewCreate,
    InterviewRead,
    InterviewUpdate,
    StageChangeRead,
)
from app.interviews.stages import (
    CREATION_PATHS,
    INFORMATIONAL_MINUTES,
    INITIAL_STAGES,
    TRANSITIONS,
)
from app.models import Client, Contact, Interview, InterviewStageChange
from app.models.enums import STAFF_ROLES, InteractionDirection, InteractionKind
from app.models.pipeline import InterviewKind, InterviewStage
from app.outreach import repository as outreach_repository
from app.outreach.touches import happened_at, record_touch
from app.questions import service as questions

S = InterviewStage


def _kind_phrase(kind: InterviewKind, *, capital: bool = False) -> str:
    return with_article(f"{kind} interview", capital=capital)


@dataclass(frozen=True, slots=True)
class InterviewView:
    interview: Interview
    history: list[InterviewStageChange]


def interview_read(view: InterviewView, *, for_client: bool) -> InterviewRead:
    """The interview as the API returns it; coach notes are withheld from the client role."""
    interview = view.interview
    computed = {"allowed_next_stages", "stage_history", "coach_notes"}
    columns = {n: getattr(interview, n) for n in InterviewRead.model_fields if n not in computed}
    return InterviewRead(
        **columns,
        allowed_next_stages=list(TRANSITIONS[interview.kind][interview.stage]),
        coach_notes=None if for_client else interview.coach_notes,
        stage_history=[StageChangeRead.model_validate(c) for c in view.history],
    )


async def get(
    session: AsyncSession,
    principal: Principal,
    interview_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Interview:
    """The interview if the caller may see its client; otherwise 404."""
    interview = await repository.get_readable(
        session, principal, interview_id, for_update=for_update
    )
    if interview is None:
        raise NotFound("No interview with this id.")
    return interview


async def views(session: AsyncSession, interviews: list[Interview]) -> list[InterviewView]:
    history = await repository.stage_history(session, [i.id for i in interviews])
    return [InterviewView(i, history[i.id]) for i in interviews]


async def view(session: AsyncSession, interview: Interview) -> InterviewView:
    return (await views(session, [interview]))[0]


async def list_interviews(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    *,
    params: PageParams,
    kind: InterviewKind | None,
    stage: InterviewStage | None,
    contact_id: uuid.UUID | None,
    company_id: uuid.UUID | None,
) -> tuple[list[InterviewView], str | None]:
    """A page of the client's interviews, newest first, with their stage histories."""
    statement = repository.readable_interviews(principal).where(Interview.client_id == client.id)
    if kind is not None:
        statement = statement.where(Interview.kind == kind)
    if stage is not None:
        statement = statement.where(Interview.stage == stage)
    if contact_id is not None:
        statement = statement.where(Interview.contact_id == contact_id)
    if company_id is not None:
        statement = statement.where(Interview.company_id == company_id)
    key = SortKey((Interview.created_at, Interview.id), descending=True)
    interviews, next_cursor = await paginate(session, statement, sort=key, params=params)
    return await views(session, interviews), next_cursor


def field_problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"`{field}` {message}.",
        errors=[{"loc": ["body", field], "msg": message, "type": field}],
    )


async def _check_links(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    body: InterviewCreate | InterviewUpdate,
) -> None:
    """Linked contact, company and outreach must belong to the same client (422)."""
    if body.contact_id is not None:
        found = await contacts_repository.get_client_contact(
            session, principal, client_id, body.contact_id
        )
        if found is None:
            raise field_problem("contact_id", "must be a contact of the same client")
    if body.company_id is not None:
        await companies_service.of_client(session, principal, client_id, body.company_id)
    if body.outreach_id is not None:
        outreach = await outreach_repository.get_readable(session, principal, body.outreach_id)
        if outreach is None or outreach.client_id != client_id:
            raise field_problem("outreach_id", "must be an outreach of the same client")


def _refuse_coach_notes_from_client(principal: Principal, *, writes_coach_notes: bool) -> None:
    if writes_coach_notes:
        require_role(principal, STAFF_ROLES, "write coach notes")


async def _record(
    session: AsyncSession, interview: Interview, event_type: str, **extra: Any
) -> None:
    # Events reach webhooks and the event log; coach notes stay out of them.
    payload = interview_read(await view(session, interview), for_client=True)
    await record_event(
        session,
        organization_id=interview.organization_id,
        type=event_type,
        client_id=interview.client_id,
        payload={**payload.model_dump(mode="json"), **extra},
    )


def _history(
    principal: Principal,
    interview: Interview,
    from_stage: InterviewStage | None,
    at: datetime,
    note: str | None,
    recorded_at: datetime,
) -> InterviewStageChange:
    return InterviewStageChange(
        organization_id=interview.organization_id,
        interview_id=interview.id,
        from_stage=from_stage,
        to_stage=interview.stage,
        occurred_at=at,
        changed_at=recorded_at,
        changed_by_user_id=principal.user_id,
        changed_by_api_key_id=principal.api_key_id,
        note=note,
    )


async def create(
    session: AsyncSession, principal: Principal, client: Client, body: InterviewCreate
) -> Interview:
    """Create an interview, linked only to the same client's contact, company and
    outreach, at any stage its kind can reach: it starts at the kind's first stage on the
    shortest way there and takes each further step as a transition would (history entry,
    touches, companies engaged, events), all at `held_at` (default now; not in the
    future) when the way goes through `held`."""
    _refuse_coach_notes_from_client(principal, writes_coach_notes=body.coach_notes is not None)
    kind = body.kind
    if kind is InterviewKind.informational and body.contact_id is None:
        raise field_problem("contact_id", "is required for an informational interview")
    stage = body.stage or INITIAL_STAGES[kind][0]
    path = CREATION_PATHS[kind].get(stage)
    if path is None:
        raise Unprocessable(
            f"{_kind_phrase(kind, capital=True)} cannot be created as `{stage}`; its stages "
            "are " + ", ".join(f"`{s}`" for s in CREATION_PATHS[kind]) + ".",
            errors=[{"loc": ["body", "stage"], "msg": "not a stage of this kind", "type": "stage"}],
        )
    held_at = body.held_at
    if S.held in path:
        when = happened_at(held_at, field="held_at")
    elif held_at is not None:
        raise field_problem("held_at", "is only for an interview created as held or later")
    else:
        when = utc_now()
    await _check_links(session, principal, client.id, body)
    # `held_at` is the `held` step's to set; the templates' texts join the questions.
    fields = body.model_dump(exclude={"stage", "held_at", "question_template_ids"})
    fields["questions"] = body.questions + await questions.texts_of(
        session, body.question_template_ids
    )
    if body.duration_minutes is None and kind is InterviewKind.informational:
        fields["duration_minutes"] = INFORMATIONAL_MINUTES
    interview = Interview(
        organization_id=client.organization_id,
        client_id=client.id,
        stage=path[0],
        stage_changed_at=when,
        **fields,
    )
    session.add(interview)
    await session.flush()
    # The history is ordered by when it was recorded: steps recorded in one request
    # get distinct instants, in order, even under a frozen test clock.
    recorded_at = utc_now()
    session.add(_history(principal, interview, None, when, None, recorded_at))
    await session.flush()
    if path[0] is S.scheduled:
        await _record(session, interview, "interview.scheduled")
    for number, step in enumerate(path[1:], start=1):
        await take_step(
            session,
            principal,
            interview,
            to_stage=step,
            when=when,
            note=None,
            recorded_at=recorded_at + timedelta(microseconds=number),
        )
    return interview


async def update(
    session: AsyncSession, principal: Principal, interview: Interview, body: InterviewUpdate
) -> Interview:
    """Apply a partial update (not the stage): the fields sent change (null clears one),
    the others stay; links stay within the client."""
    changes = body.model_dump(exclude_unset=True)
    _refuse_coach_notes_from_client(principal, writes_coach_notes="coach_notes" in changes)
    if (
        "contact_id" in changes
        and changes["contact_id"] is None
        and interview.kind == InterviewKind.informational  # stored: a plain string
    ):
        raise field_problem("contact_id", "is required for an informational interview")
    await _check_links(session, principal, interview.client_id, body)
    for name, value in changes.items():
        setattr(interview, name, value)
    await session.flush()
    return interview


async def delete(session: AsyncSession, interview: Interview) -> None:
    """Delete an interview; the interactions it logged and the referrals stay."""
    await session.delete(interview)
    await session.flush()


async def transition(
    session: AsyncSession,
    principal: Principal,
    interview: Interview,
    *,
    to_stage: InterviewStage,
    at: datetime | None,
    note: str | None,
) -> Interview:
    """Move the interview to `to_stage` if its kind allows it from the current stage (409
    with `allowed` otherwise), record who, when, from and to, and what the step means:
    held → a `meeting` interaction and the companies engaged; followed up → a `thank_you`
    interaction and `thank_you_sent_at`."""
    allowed = TRANSITIONS[interview.kind][interview.stage]
    if to_stage not in allowed:
        raise Conflict(
            f"{_kind_phrase(interview.kind, capital=True)} cannot move from "
            f"`{interview.stage}` to `{to_stage}`.",
            current_stage=interview.stage,
            allowed=list(allowed),
        )
    when = happened_at(at, field="at")
    await take_step(
        session,
        principal,
        interview,
        to_stage=to_stage,
        when=when,
        note=note,
        recorded_at=utc_now(),
    )
    return interview


async def take_step(
    session: AsyncSession,
    principal: Principal,
    interview: Interview,
    *,
    to_stage: InterviewStage,
    when: datetime,
    note: str | None,
    recorded_at: datetime,
    log_thank_you: bool = True,
) -> None:
    """One allowed move and what it means, with its history entry and events.
    `log_thank_you=False`: the thank-you interaction exists already (it is what moves
    the interview)."""
    previous = interview.stage
    interview.stage = to_stage
    interview.stage_changed_at = when
    if to_stage is S.held:
        interview.held_at = when
        if interview.contact_id is not None:
            await record_touch(
                session,
                principal,
                interview.contact_id,
                kind=InteractionKind.meeting,
                direction=InteractionDirection.outbound,
                occurred_at=when,
                summary=f"{interview.kind.capitalize()} interview held",
            )
        await companies_service.mark_engaged(
            session, principal, await _companies_met(session, interview)
        )
    elif to_stage is S.followed_up:
        interview.thank_you_sent_at = when
        if interview.contact_id is not None and log_thank_you:
            await record_touch(
                session,
                principal,
                interview.contact_id,
                kind=InteractionKind.thank_you,
                direction=InteractionDirection.outbound,
                occurred_at=when,
                summary="Thank-you sent after the interview",
            )
    session.add(_history(principal, interview, previous, when, note, recorded_at))
    await session.flush()
    await _record(session, interview, "interview.stage_changed", previous_stage=previous)
    follow_on = {
        S.scheduled: "interview.scheduled",
        S.held: "interview.held",
        S.followed_up: "interview.followed_up",
    }.get(to_stage)
    if follow_on is not None:
        await _record(session, interview, follow_on)


async def _companies_met(session: AsyncSession, interview: Interview) -> set[uuid.UUID]:
    """The interview's company and the company of the person met."""
    ids = {interview.company_id} if interview.company_id is not None else set()
    if interview.contact_id is not None:
        contact = await session.get(Contact, interview.contact_id)  # loaded by the touch
        if contact is not None and contact.company_id is not None:
            ids.add(contact.company_id)
    return ids
