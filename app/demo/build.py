"""Writing the demo practice: the rows the services would have written, dated from `now`.

Each step of the cast becomes what its service writes (the rules quoted are theirs):
- outreach sent or answered: `sent_at` / `responded_at` and an outbound / inbound
  interaction at that very instant (app/outreach/service.py);
- an interview: a stage change per step, `stage_changed_at`; held: `held_at`, a
  `meeting` interaction and the companies met `engaged` at least; followed up:
  `thank_you_sent_at` and a `thank_you` interaction (app/interviews/service.py); a job
  interview's thank-you is its `thank_you_sent_at` with the `thank_you` logged by hand;
- people suggested in an interview: children of the interviewee with `source=referral`
  and `referred_in_interview_id`, added just after the meeting;
- every contact: `depth` from its referrer, `last_contacted_at` from its latest touch and
  `next_touch_due_at` from the cadence (app/contacts/cadence.py).

What `story.py` cannot check alone raises `ValueError` here (someone added before their
referrer, or after a step with them).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from app.companies.service import STATUS_ORDER
from app.contacts.cadence import refresh_next_touch_due
from app.contacts.normalise import normalise_email, normalise_linkedin
from app.demo.cast import slug
from app.demo.rows import Rows
from app.demo.story import Ask, DemoClient, Meeting, Person, Target
from app.interviews.stages import INFORMATIONAL_MINUTES
from app.models import Company, Contact, Interaction, Interview, InterviewStageChange, Outreach
from app.models.enums import ContactSource, InteractionDirection, InteractionKind
from app.models.pipeline import (
    CompanyStatus,
    InterviewFormat,
    InterviewKind,
    InterviewStage,
    OutreachPurpose,
    OutreachStatus,
)
from app.outreach.service import INTERACTION_KIND

# A referral is written down just after the meeting it came from.
REFERRAL_NOTED_AFTER = timedelta(hours=1)
# Without a date of its own, a contact was added a little before the first step with them.
ADDED_BEFORE_FIRST_STEP = timedelta(days=2)

# Hand-logged touches, oldest first: a first email, a call, a coffee, a message.
_TOUCHES = (
    (InteractionKind.email, "Emailed {first} to ask how {where} hires."),
    (InteractionKind.call, "Call with {first}: what the work at {where} is like."),
    (InteractionKind.meeting, "Coffee with {first}; they offered to introduce people."),
    (InteractionKind.linkedin_message, "Sent {first} an article we talked about."),
)
# A subject (unless the cast gives one) and a message, by purpose.
_WORDING = {
    OutreachPurpose.informational_interview: (
        "20 minutes about your work at {where}?",
        "Hi {first}, could I ask you about your work over 20 minutes in the next two weeks?",
    ),
    OutreachPurpose.referral_request: (
        "Who should I talk to at {where}?",
        "Hi {first}, whom would you suggest I talk to about the teams at {where}?",
    ),
    OutreachPurpose.follow_up: (
        "Following up on my note",
        "Hi {first}, following up on my last note, in case it got buried.",
    ),
    OutreachPurpose.application: (
        "My application to {where}",
        "Hi {first}, I have applied and would value ten minutes about the team first.",
    ),
}
# The questions an email asking for a meeting comes with.
_MEETING_QUESTIONS = ["How did you get into your role?", "What would you do in my place?"]
_ENGAGED_AT = STATUS_ORDER.index(CompanyStatus.engaged)


class ClientStory:
    """One client's companies, people, outreach and interviews as rows in `rows`.

    `actor_id` is who recorded it all: the client's own login, or their coach.
    """

    def __init__(
        self,
        rows: Rows,
        demo: DemoClient,
        *,
        client_id: uuid.UUID,
        organization_id: uuid.UUID,
        joined_at: datetime,
        actor_id: uuid.UUID,
        keep_in_touch_defaults: dict[str, Any],
        now: datetime,
    ) -> None:
        self.rows, self.demo, self.now = rows, demo, now
        self.client_id, self.organization_id = client_id, organization_id
        self.joined_at, self.actor_id = joined_at, actor_id
        self.defaults = keep_in_touch_defaults
        self.companies = {target.name: self._company(target) for target in demo.companies}
        # Each contact's touches so far, by instant.
        self.touches: dict[uuid.UUID, list[datetime]] = defaultdict(list)

    def write(self) -> None:
        for person in self.demo.network:
            self._person(person, parent=None, met_in=None)

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def _problem(self, message: str) -> ValueError:
        return ValueError(f"demo cast, {self.demo.full_name}: {message}")

    def _company(self, target: Target) -> Company:
        created_at = self.joined_at + timedelta(hours=1)
        company = Company(
            id=uuid.uuid4(),
            organization_id=self.organization_id,
            client_id=self.client_id,
            name=target.name,
            website=f"https://{slug(target.name)}.example.com",
            domain=f"{slug(target.name)}.example.com",
            industry=target.industry,
            location=self.demo.locations[0],
            priority=target.priority,
            status=target.status,
            why_interested=target.why,
            research_notes=target.research,
            has_openings=target.has_openings,
            created_at=created_at,
            updated_at=created_at,
        )
        self.rows.companies.append(company)
        return company

    def _added_at(
        self, person: Person, parent: Contact | None, met_in: Interview | None
    ) -> datetime:
        """When the contact was added: as the cast says, just after the meeting they were
        suggested in, a little before the first step with them, or else soon after their
        referrer (or the client) was."""
        first = None if person.first_step is None else self.ago(person.first_step)
        after = self.joined_at if parent is None else parent.created_at
        if person.added is not None:
            added = self.ago(person.added)
        elif met_in is not None and met_in.held_at is not None:
            added = met_in.held_at + REFERRAL_NOTED_AFTER
        elif first is not None:
            added = max(first - ADDED_BEFORE_FIRST_STEP, after)
        else:
            added = after + timedelta(hours=1)
        if added < after:
            raise self._problem(f"{person.name} is added before their referrer or the client")
        if first is not None and first < added:
            raise self._problem(f"something happened with {person.name} before they were added")
        return added

    def _person(self, person: Person, *, parent: Contact | None, met_in: Interview | None) -> None:
        """The contact, what happened with them, then everyone they introduced."""
        created_at = self._added_at(person, parent, met_in)
        company = self.companies.get(person.company or "")
        email = None
        if person.company:
            email = f"{slug(person.name).replace('-', '.')}@{slug(person.company)}.example.com"
        profile = f"https://www.linkedin.com/in/{slug(person.name)}"
        source = person.source or (
            ContactSource.referral if parent is not None else ContactSource.personal_network
        )
        contact = Contact(
            id=uuid.uuid4(),
            organization_id=self.organization_id,
            client_id=self.client_id,
            referred_by_id=parent.id if parent else None,
            # As `add_referrals` writes them: suggested in that meeting, a referral.
            referred_in_interview_id=met_in.id if met_in else None,
            source=ContactSource.referral if met_in else source,
            depth=parent.depth + 1 if parent else 0,
            full_name=person.name,
            email=email,
            email_normalized=normalise_email(email),
            linkedin_url=profile,
            linkedin_normalized=normalise_linkedin(profile),
            company_name=person.company,
            company_id=company.id if company else None,
            title=person.title,
            relationship=person.relationship,
            role_at_company=person.role,
            strength=min(5, 2 + len(person.touches) + len(person.meetings)),
            tags=[slug(person.company).split("-")[0]] if person.company else [],
            notes=person.notes,
            next_follow_up_at=(
                None if person.follow_up is None else self.now + timedelta(days=person.follow_up)
            ),
            keep_in_touch_days=person.keep_in_touch_days,
            created_at=created_at,
        )
        self.rows.contacts[contact.depth].append(contact)
        first = person.name.split()[0]
        where = person.company or "their work"
        for index, days in enumerate(sorted(person.touches, reverse=True)):
            kind, summary = _TOUCHES[index % len(_TOUCHES)]
            inbound = kind is InteractionKind.call and index % 2 == 1
            self._touch(
                contact,
                kind,
                self.ago(days),
                summary.format(first=first, where=where),
                InteractionDirection.inbound if inbound else InteractionDirection.outbound,
            )
        outreach = [self._outreach(contact, ask, where) for ask in person.asks]
        meetings = [(m, self._meeting(contact, m, outreach, company)) for m in person.meetings]
        touched = self.touches[contact.id]
        contact.last_contacted_at = max(touched, default=None)
        contact.updated_at = max([created_at, *touched])
        refresh_next_touch_due(contact, self.defaults, now=self.now)
        for meeting, interview in meetings:
            for referral in meeting.referrals:
                self._person(referral, parent=contact, met_in=interview)
        for referral in person.referrals:
            self._person(referral, parent=contact, met_in=None)

    def _touch(
        self,
        contact: Contact,
        kind: InteractionKind,
        at: datetime,
        summary: str,
        direction: InteractionDirection = InteractionDirection.outbound,
    ) -> None:
        if at < contact.created_at:
            raise self._problem(f"a touch with {contact.full_name} before they were added")
        if at in self.touches[contact.id]:
            # The activity report tells steps from hand-logged touches by their instant.
            raise self._problem(f"two touches with {contact.full_name} at the same instant")
        self.touches[contact.id].append(at)
        self.rows.interactions.append(
            Interaction(
                organization_id=self.organization_id,
                client_id=self.client_id,
                contact_id=contact.id,
                kind=kind,
                direction=direction,
                occurred_at=at,
                summary=summary,
                created_by_id=self.actor_id,
                created_at=at,
                updated_at=at,
            )
        )

    def _outreach(self, contact: Contact, ask: Ask, where: str) -> Outreach:
        status = ask.current_status
        drafted = self.ago(ask.day)
        sent_at = None if status is OutreachStatus.draft else drafted
        responded_at = None if ask.answered is None else self.ago(ask.answered)
        subject, message = _WORDING[ask.purpose]
        asks_for_meeting = ask.purpose is OutreachPurpose.informational_interview
        subject = ask.subject or subject.format(where=where)
        outreach = Outreach(
            id=uuid.uuid4(),
            organization_id=self.organization_id,
            client_id=self.client_id,
            contact_id=contact.id,
            company_id=contact.company_id,
            channel=ask.channel,
            purpose=ask.purpose,
            subject=subject,
            message=message.format(first=contact.full_name.split()[0], where=where),
            questions=list(_MEETING_QUESTIONS) if asks_for_meeting else [],
            status=status,
            sent_at=sent_at,
            responded_at=responded_at,
            created_at=drafted,
            updated_at=responded_at or drafted,
        )
        self.rows.outreach[contact.depth].append(outreach)
        # The summaries `app.outreach.service` gives the interactions it logs.
        kind = INTERACTION_KIND[ask.channel]
        if sent_at is not None:
            self._touch(contact, kind, sent_at, f"Outreach sent: {subject}")
        if responded_at is not None:
            answer = "Declined" if status is OutreachStatus.declined else "Reply"
            self._touch(
                contact, kind, responded_at, f"{answer}: {subject}", InteractionDirection.inbound
            )
        return outreach

    def _meeting(
        self,
        contact: Contact,
        meeting: Meeting,
        outreach: list[Outreach],
        company: Company | None,
    ) -> Interview:
        kind = meeting.kind
        informational = kind is InterviewKind.informational
        steps = [(stage, self.ago(days)) for stage, days in meeting.stages]
        started_at = steps[0][1]
        reached = dict(steps)
        held_at = reached.get(InterviewStage.held)
        thanked_at = reached.get(InterviewStage.followed_up)
        if meeting.thanked is not None:
            thanked_at = self.ago(meeting.thanked)
        scheduled_at = held_at if meeting.on is None else self.ago(meeting.on)
        # The outreach it came from: the latest sent before it, an application for a job.
        came_from = [
            o
            for o in outreach
            if o.sent_at is not None
            and o.sent_at <= started_at
            and (o.purpose is OutreachPurpose.application) != informational
        ]
        stage, stage_changed_at = steps[-1]
        interview = Interview(
            id=uuid.uuid4(),
            organization_id=self.organization_id,
            client_id=self.client_id,
            contact_id=contact.id,
            company_id=contact.company_id,
            outreach_id=came_from[-1].id if came_from else None,
            kind=kind,
            stage=stage,
            stage_changed_at=stage_changed_at,
            scheduled_at=scheduled_at,
            duration_minutes=INFORMATIONAL_MINUTES if informational else 60,
            format=InterviewFormat.video if informational else InterviewFormat.in_person,
            location="Video call" if informational or company is None else company.location,
            questions=list(meeting.questions),
            notes=meeting.notes,
            advice=meeting.advice,
            rating=meeting.rating,
            coach_notes=meeting.coach_notes,
            held_at=held_at,
            thank_you_sent_at=thanked_at,
            created_at=started_at,
            updated_at=max(stage_changed_at, thanked_at or stage_changed_at),
        )
        self.rows.interviews[contact.depth].append(interview)
        previous: InterviewStage | None = None
        for to_stage, at in steps:
            self.rows.stage_changes.append(
                InterviewStageChange(
                    organization_id=self.organization_id,
                    interview_id=interview.id,
                    from_stage=previous,
                    to_stage=to_stage,
                    occurred_at=at,
                    changed_at=at,
                    changed_by_user_id=self.actor_id,
                )
            )
            previous = to_stage
        if held_at is not None:
            self._touch(
                contact, InteractionKind.meeting, held_at, f"{kind.capitalize()} interview held"
            )
            self._engage([interview.company_id, contact.company_id], held_at)
        if thanked_at is not None:
            self._touch(
                contact, InteractionKind.thank_you, thanked_at, "Thank-you sent after the interview"
            )
        return interview

    def _engage(self, company_ids: Iterable[uuid.UUID | None], at: datetime) -> None:
        """`mark_engaged`: companies not that far yet move to `engaged`, never backwards."""
        for company in self.companies.values():
            if company.id in company_ids and STATUS_ORDER.index(company.status) < _ENGAGED_AT:
                company.status = CompanyStatus.engaged
                company.updated_at = max(company.updated_at, at)
