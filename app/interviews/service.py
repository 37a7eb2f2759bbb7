"""Interviews: a state machine with a history, the touches it records, and referrals.

Holding a meeting logs a `meeting` interaction and moves the contact's company (and the
interview's) to `engaged`; following up logs a `thank_you` and sets
`thank_you_sent_at`, and a `thank_you` logged by hand credits the meetings it follows.
A meeting that already happened is created at its stage in one go, step by step.
Referrals obtained in an interview become children of the
interviewee in the contact tree: the A → B → C → D trail.
"""

import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from app.core.wording import with_article
from app.events.service import record_event
from app.interviews import repository
from app.interviews.schemas import InterviewRead, ReferralOutcome, StageChangeRead
from app.models import Client, Contact, Interaction, Interview, InterviewStageChange
from app.models.enums import STAFF_ROLES, ContactSource, InteractionDirection, InteractionKind
from app.models.pipeline import InterviewKind, InterviewStage
from app.outreach import repository as outreach_repository
from app.outreach.touches import happened_at, record_touch
from app.questions import service as questions

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


def _shortest_paths(kind: InterviewKind) -> dict[InterviewStage, tuple[InterviewStage, ...]]:
    """Each stage the kind can reach, with the shortest way there from one of its first
    stages (breadth first; on a tie the earlier first stage wins)."""
    paths: dict[InterviewStage, tuple[InterviewStage, ...]] = {
        stage: (stage,) for stage in INITIAL_STAGES[kind]
    }
    queue = deque(INITIAL_STAGES[kind])
    while queue:
        stage = queue.popleft()
        for following in TRANSITIONS[kind][stage]:
            if following not in paths:
                paths[following] = (*paths[stage], following)
                queue.append(following)
    return paths


# Where a new interview may start, and the steps that take it there.
CREATION_PATHS = {kind: _shortest_paths(kind) for kind in InterviewKind}


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
    session: AsyncSession, principal: Principal, client: Client, fields: dict[str, Any]
) -> Interview:
    """Create an interview, linked only to the same client's contact, company and
    outreach, at any stage its kind can reach: it starts at the kind's first stage on the
    shortest way there and takes each further step as a transition would (history entry,
    touches, companies engaged, events), all at `held_at` (default now; not in the
    future) when the way goes through `held`."""
    _refuse_coach_notes_from_client(principal, {k: v for k, v in fields.items() if v is not None})
    kind: InterviewKind = fields["kind"]
    if kind is InterviewKind.informational and fields.get("contact_id") is None:
        raise _field_problem("contact_id", "is required for an informational interview")
    stage: InterviewStage = fields.pop("stage", None) or INITIAL_STAGES[kind][0]
    path = CREATION_PATHS[kind].get(stage)
    if path is None:
        raise Unprocessable(
            f"{_kind_phrase(kind, capital=True)} cannot be created as `{stage}`; its stages "
            "are " + ", ".join(f"`{s}`" for s in CREATION_PATHS[kind]) + ".",
            errors=[{"loc": ["body", "stage"], "msg": "not a stage of this kind", "type": "stage"}],
        )
    held_at: datetime | None = fields.pop("held_at", None)
    if S.held in path:
        when = happened_at(held_at, field="held_at")
    elif held_at is not None:
        raise _field_problem("held_at", "is only for an interview created as held or later")
    else:
        when = utc_now()
    await _check_links(session, principal, client.id, fields)
    fields["questions"] = fields["questions"] + await questions.texts_of(
        session, fields.pop("question_template_ids")
    )
    if fields.get("duration_minutes") is None and kind is InterviewKind.informational:
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
        await _step(
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
    session: AsyncSession, principal: Principal, interview: Interview, changes: dict[str, Any]
) -> Interview:
    """Apply a partial update (not the stage); links stay within the client."""
    _refuse_coach_notes_from_client(principal, changes)
    if (
        "contact_id" in changes
        and changes["contact_id"] is None
        and interview.kind == InterviewKind.informational  # stored: a plain string
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
            f"{_kind_phrase(interview.kind, capital=True)} cannot move from "
            f"`{interview.stage}` to `{to_stage}`.",
            current_stage=interview.stage,
            allowed=list(allowed),
        )
    when = happened_at(at, field="at")
    await _step(
        session,
        principal,
        interview,
        to_stage=to_stage,
        when=when,
        note=note,
        recorded_at=utc_now(),
    )
    return interview


async def _step(
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


async def meetings_to_thank(
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    *,
    kind: InteractionKind,
    direction: InteractionDirection,
) -> list[Interview]:
    """The contact's held interviews without a thank-you, locked, if `kind` and
    `direction` make an interaction an outbound thank-you (none otherwise). To be called
    before the contact's row is locked: a transition locks its interview, then the
    contact, and taking them in the same order makes the two queue instead of
    deadlocking."""
    if kind != InteractionKind.thank_you or direction != InteractionDirection.outbound:
        return []
    statement = (
        repository.readable_interviews(principal)
        .where(
            Interview.contact_id == contact_id,
            Interview.held_at.is_not(None),
            Interview.thank_you_sent_at.is_(None),
        )
        .order_by(Interview.held_at, Interview.id)
        .with_for_update(of=Interview)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(statement)).scalars())


async def credit_thank_you(
    session: AsyncSession,
    principal: Principal,
    interaction: Interaction,
    meetings: list[Interview],
) -> list[Interview]:
    """An outbound `thank_you` logged with a contact is the thank-you for the
    `meetings_to_thank` held at or before it (a meeting held later is not what it thanks
    for): `thank_you_sent_at` is set to when it was sent, and an informational interview
    still `held` is followed up as the transition would, without logging the thank-you
    a second time. Returns the interviews credited."""
    credited = [
        interview
        for interview in meetings
        if interview.held_at is not None and interview.held_at <= interaction.occurred_at
    ]
    for interview in credited:
        # Stored stages read back as plain strings: compare by value.
        if interview.kind == InterviewKind.informational and interview.stage == S.held:
            await _step(
                session,
                principal,
                interview,
                to_stage=S.followed_up,
                when=interaction.occurred_at,
                note=None,
                recorded_at=utc_now(),
                log_thank_you=False,
            )
        else:
            interview.thank_you_sent_at = interaction.occurred_at
    await session.flush()
    return credited


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
    `source = referral` and this interview remembered, at the company and in the role
    given (a company of the same client, else 422). New people matching an existing
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
            # The person is known already and keeps their details, but a company of
            # another client is refused whichever way the referral goes.
            if fields.get("company_id") is not None:
                await companies_service.of_client(
                    session, principal, interview.client_id, fields["company_id"]
                )
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
