"""Interviews: a state machine with a history, the touches it records, and referrals.

Holding a meeting logs a `meeting` interaction and moves the contact's company (and the
interview's) to `engaged`; following up logs a `thank_you` and sets
`thank_you_sent_at`. Referrals obtained in an interview become children of the
interviewee in the contact tree: the A → B → C → D trail.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import require_role
from app.auth.principal import Principal
from app.companies import service as companies_service
from app.contacts import repository as contacts_repository
from app.contacts import service as contacts_service
from app.contacts.normalise import normalise_email, normalise_linkedin
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import utc_now
from app.events.service import record_event
from app.interviews import questions, repository
from app.interviews.schemas import InterviewRead, ReferralOutcome, StageChangeRead
from app.models import Client, Contact, Interview, InterviewStageChange
from app.models.enums import STAFF_ROLES, ContactSource, InteractionDirection, InteractionKind
from app.models.pipeline import InterviewKind, InterviewStage
from app.outreach import repository as outreach_repository
from app.outreach.touches import happened_at, record_touch

S = InterviewStage

# Where each stage may go next, per kind; stages missing from a kind's map are not its own.
TRANSITIONS: dict[InterviewKind, dict[InterviewStage, tuple[InterviewStage, ...]]] = {
    InterviewKind.informational: {
        S.requested: (S.scheduled, S.cancelled, S.no_show),
        S.scheduled: (S.held, S.cancelled, S.no_show),
        S.held: (S.followed_up,),
        S.followed_up: (),
        S.cancelled: (),
        S.no_show: (),
    },
    InterviewKind.job: {
        S.scheduled: (S.held,),
        S.held: (S.offer, S.rejected, S.withdrawn),
        S.offer: (),
        S.rejected: (),
        S.withdrawn: (),
    },
}
INITIAL_STAGES: dict[InterviewKind, tuple[InterviewStage, ...]] = {
    InterviewKind.informational: (S.requested, S.scheduled),
    InterviewKind.job: (S.scheduled,),
}
INFORMATIONAL_MINUTES = 20


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


def _field_problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"`{field}` {message}.",
        errors=[{"loc": ["body", field], "msg": message, "type": field}],
    )


async def _check_links(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, fields: dict[str, Any]
) -> None:
    """Linked contact, company and outreach must belong to the same client (422)."""
    if fields.get("contact_id") is not None:
        found = await contacts_repository.get_client_contact(
            session, principal, client_id, fields["contact_id"]
        )
        if found is None:
            raise _field_problem("contact_id", "must be a contact of the same client")
    if fields.get("company_id") is not None:
        await companies_service.of_client(session, principal, client_id, fields["company_id"])
    if fields.get("outreach_id") is not None:
        outreach = await outreach_repository.get_readable(session, principal, fields["outreach_id"])
        if outreach is None or outreach.client_id != client_id:
            raise _field_problem("outreach_id", "must be an outreach of the same client")


def _refuse_coach_notes_from_client(principal: Principal, fields: dict[str, Any]) -> None:
    if "coach_notes" in fields:
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
) -> InterviewStageChange:
    return InterviewStageChange(
        organization_id=interview.organization_id,
        interview_id=interview.id,
        from_stage=from_stage,
        to_stage=interview.stage,
        occurred_at=at,
        changed_at=utc_now(),
        changed_by_user_id=principal.user_id,
        changed_by_api_key_id=principal.api_key_id,
        note=note,
    )


async def create(
    session: AsyncSession, principal: Principal, client: Client, fields: dict[str, Any]
) -> Interview:
    """Create an interview at its kind's first stage (or `scheduled`), linked only to the
    same client's contact, company and outreach; the first history entry is written."""
    _refuse_coach_notes_from_client(principal, {k: v for k, v in fields.items() if v is not None})
    kind: InterviewKind = fields["kind"]
    if kind is InterviewKind.informational and fields.get("contact_id") is None:
        raise _field_problem("contact_id", "is required for an informational interview")
    await _check_links(session, principal, client.id, fields)
    fields["questions"] = fields["questions"] + await questions.texts_of(
        session, fields.pop("question_template_ids")
    )
    stage: InterviewStage = fields.pop("stage", None) or INITIAL_STAGES[kind][0]
    if stage not in INITIAL_STAGES[kind]:
        raise Unprocessable(
            f"A new {kind} interview starts as "
            + " or ".join(f"`{s}`" for s in INITIAL_STAGES[kind])
            + ".",
            errors=[{"loc": ["body", "stage"], "msg": "not a first stage", "type": "stage"}],
        )
    if fields.get("duration_minutes") is None and kind is InterviewKind.informational:
        fields["duration_minutes"] = INFORMATIONAL_MINUTES
    now = utc_now()
    interview = Interview(
        organization_id=client.organization_id,
        client_id=client.id,
        stage=stage,
        stage_changed_at=now,
        **fields,
    )
    session.add(interview)
    await session.flush()
    session.add(_history(principal, interview, None, now, None))
    await session.flush()
    if stage is S.scheduled:
        await _record(session, interview, "interview.scheduled")
    return interview


async def update(
    session: AsyncSession, principal: Principal, interview: Interview, changes: dict[str, Any]
) -> Interview:
    """Apply a partial update (not the stage); links stay within the client."""
    _refuse_coach_notes_from_client(principal, changes)
    if (
        "contact_id" in changes
        and changes["contact_id"] is None
        and interview.kind is InterviewKind.informational
    ):
        raise _field_problem("contact_id", "is required for an informational interview")
    await _check_links(session, principal, interview.client_id, changes)
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
            f"A {interview.kind} interview cannot move from `{interview.stage}` to `{to_stage}`.",
            current_stage=interview.stage,
            allowed=list(allowed),
        )
    when = happened_at(at, field="at")
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
        if interview.contact_id is not None:
            await record_touch(
                session,
                principal,
                interview.contact_id,
                kind=InteractionKind.thank_you,
                direction=InteractionDirection.outbound,
                occurred_at=when,
                summary="Thank-you sent after the interview",
            )
    session.add(_history(principal, interview, previous, when, note))
    await session.flush()
    await _record(session, interview, "interview.stage_changed", previous_stage=previous)
    follow_on = {
        S.scheduled: "interview.scheduled",
        S.held: "interview.held",
        S.followed_up: "interview.followed_up",
    }.get(to_stage)
    if follow_on is not None:
        await _record(session, interview, follow_on)
    return interview


async def _companies_met(session: AsyncSession, interview: Interview) -> set[uuid.UUID]:
    """The interview's company and the company of the person met."""
    ids = {interview.company_id} if interview.company_id is not None else set()
    if interview.contact_id is not None:
        contact = await session.get(Contact, interview.contact_id)  # loaded by the touch
        if contact is not None and contact.company_id is not None:
            ids.add(contact.company_id)
    return ids


async def add_referrals(
    session: AsyncSession,
    principal: Principal,
    interview: Interview,
    *,
    new_contacts: list[dict[str, Any]],
    existing_contact_ids: list[uuid.UUID],
) -> tuple[uuid.UUID, list[ReferralOutcome]]:
    """Hang the people the interviewee suggested under the interviewee, with
    `source = referral` and this interview remembered. New people matching an existing
    contact by normalised email or LinkedIn reuse it; existing contacts move with their
    branch unless that would make a cycle (409). All or nothing. The contacts service
    writes the events: `contact.created`, `contact.updated`, and `contact.referral_added`
    for each contact that now hangs under the interviewee."""
    if interview.contact_id is None:
        raise Unprocessable("This interview has no contact to hang referrals under.")
    referrer = await contacts_repository.get_client_contact(
        session, principal, interview.client_id, interview.contact_id
    )
    if referrer is None:  # the interview is visible, so its client's contacts are too
        raise NotFound("The interviewee is no longer a contact of this client.")
    client = await session.get_one(Client, interview.client_id)
    outcomes: list[ReferralOutcome] = []
    for fields in new_contacts:
        duplicate = await contacts_repository.find_duplicate(
            session,
            interview.client_id,
            email_normalized=normalise_email(fields.get("email")),
            linkedin_normalized=normalise_linkedin(fields.get("linkedin_url")),
        )
        if duplicate is not None:
            outcomes.append(
                await _adopt(session, principal, interview, referrer, duplicate[0], "reused")
            )
            continue
        contact = await contacts_service.create(
            session,
            principal,
            client,
            {
                **fields,
                "referred_by_id": referrer.id,
                "source": ContactSource.referral,
                "referred_in_interview_id": interview.id,
            },
        )
        outcomes.append(_outcome(contact, "created"))
    for contact_id in existing_contact_ids:
        outcomes.append(await _adopt(session, principal, interview, referrer, contact_id, "moved"))
    return referrer.id, outcomes


async def _adopt(
    session: AsyncSession,
    principal: Principal,
    interview: Interview,
    referrer: Contact,
    contact_id: uuid.UUID,
    outcome: str,
) -> ReferralOutcome:
    contact = await contacts_repository.get_client_contact(
        session, principal, interview.client_id, contact_id
    )
    if contact is None:
        raise _field_problem("existing_contact_ids", "must be contacts of the same client")
    if contact.id == referrer.id:
        raise _field_problem("existing_contact_ids", "cannot include the interviewee")
    already = contact.referred_by_id == referrer.id
    # Re-parenting refuses cycles (409) and moves the branch's depths along.
    changes: dict[str, Any] = {"referred_by_id": referrer.id, "source": ContactSource.referral}
    if contact.referred_in_interview_id is None or not already:
        changes["referred_in_interview_id"] = interview.id
    await contacts_service.update(session, principal, contact, changes)
    return _outcome(contact, "already_referred" if already else outcome)


def _outcome(contact: Contact, outcome: Any) -> ReferralOutcome:
    return ReferralOutcome(
        contact_id=contact.id, full_name=contact.full_name, depth=contact.depth, outcome=outcome
    )
