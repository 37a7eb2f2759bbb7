"""The SQL of each kind of agenda item: one `SELECT` per kind, all with the same columns
(`_columns`), so that `app.agenda.repository` can `UNION ALL` them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import Label

from app.agenda.kinds import KINDS, AgendaKindName
from app.agenda.scope import ORGANIZATION, STRONG_TIE, Cutoffs, Scope
from app.clients.momentum import quiet_since
from app.contacts.repository import is_due, planned_follow_up_due
from app.db.base import UTCDateTime
from app.models import Client, Company, Contact, Interaction, Interview, Outreach
from app.models.enums import ClientStatus, InteractionDirection, InteractionKind
from app.models.pipeline import CompanyStatus, InterviewKind, InterviewStage, OutreachStatus


def _typed_null(name: str, type_: Any) -> Label[Any]:
    # PostgreSQL matches the types of a UNION's branches: a bare NULL is text.
    return cast(null(), type_).label(name)


def _columns(
    kind: AgendaKindName,
    client_id: Any,
    subject_id: Any,
    basis_at: Any,
    *,
    contact_id: Any = None,
    company_id: Any = None,
    interview_id: Any = None,
    outreach_id: Any = None,
    subject_name: Any = None,
    rank_hint: Any = None,
) -> list[Any]:
    """The columns every branch selects, in order; what a kind lacks is a typed NULL."""
    ids = (
        ("contact_id", contact_id),
        ("company_id", company_id),
        ("interview_id", interview_id),
        ("outreach_id", outreach_id),
    )
    return [
        literal(kind, String).label("kind"),
        client_id.label("client_id"),
        subject_id.label("subject_id"),
        type_coerce(basis_at, UTCDateTime()).label("basis_at"),
        *(_typed_null(n, Uuid()) if v is None else v.label(n) for n, v in ids),
        _typed_null("subject_name", String())
        if subject_name is None
        else subject_name.label("subject_name"),
        _typed_null("rank_hint", Integer()) if rank_hint is None else rank_hint.label("rank_hint"),
    ]


# Built once: aliasing an entity costs more than the rest of a condition.
_referred = aliased(Contact, name="referred")
_child = aliased(Contact, name="child")
_person = aliased(Contact, name="person")
_job = aliased(Interview, name="job")
_pending = aliased(Outreach, name="pending")


def _in_scope(model: Any, scope: Scope) -> ColumnElement[bool]:
    return and_(model.organization_id == ORGANIZATION, model.client_id.in_(scope.clients))


def _two_way(contact: Any = Contact) -> ColumnElement[bool]:
    """A real two-way history: the contact has reached out or answered at least once."""
    return (
        select(Interaction.id)
        .where(
            Interaction.contact_id == contact.id,
            Interaction.direction == InteractionDirection.inbound,
            Interaction.kind != InteractionKind.note,
        )
        .exists()
    )


def knows_the_client_well() -> ColumnElement[bool]:
    """Strength 4 or 5, or a two-way history: one's own unanswered touches are not warmth."""
    return or_(Contact.strength >= STRONG_TIE, _two_way())


def _interview_columns(kind: AgendaKindName, basis_at: Any) -> list[Any]:
    """An interview's item: about the meeting, with its contact (joined) and company."""
    return _columns(
        kind,
        Interview.client_id,
        Interview.id,
        basis_at,
        contact_id=Interview.contact_id,
        interview_id=Interview.id,
        company_id=Interview.company_id,
        subject_name=Contact.full_name,
    )


def _send_thank_you(scope: Scope, at: Cutoffs) -> Select[Any]:
    return (
        select(*_interview_columns("send_thank_you", Interview.held_at))
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .where(
            _in_scope(Interview, scope),
            Interview.stage == InterviewStage.held,
            Interview.held_at.is_not(None),
            Interview.thank_you_sent_at.is_(None),
        )
    )


def _prepare_for_meeting(scope: Scope, at: Cutoffs) -> Select[Any]:
    return _scheduled(scope, "prepare_for_meeting").where(
        Interview.scheduled_at >= at.now, Interview.scheduled_at <= at.meetings_until
    )


def _record_meeting_outcome(scope: Scope, at: Cutoffs) -> Select[Any]:
    return _scheduled(scope, "record_meeting_outcome").where(Interview.scheduled_at < at.now)


def _scheduled(scope: Scope, kind: AgendaKindName) -> Select[Any]:
    return (
        select(*_interview_columns(kind, Interview.scheduled_at))
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .where(_in_scope(Interview, scope), Interview.stage == InterviewStage.scheduled)
    )


def _follow_up_outreach(scope: Scope, at: Cutoffs) -> Select[Any]:
    """Outreach still waiting for an answer a week after the last touch with the person:
    a follow-up (any touch logged after the send) restarts the week."""
    last_touch = func.coalesce(Contact.last_contacted_at, Outreach.sent_at)
    return (
        select(
            *_columns(
                "follow_up_outreach",
                Outreach.client_id,
                Outreach.id,
                case(
                    (Contact.last_contacted_at > Outreach.sent_at, Contact.last_contacted_at),
                    else_=Outreach.sent_at,
                ),
                contact_id=Outreach.contact_id,
                outreach_id=Outreach.id,
                company_id=Outreach.company_id,
                subject_name=Contact.full_name,
            )
        )
        .join(Contact, Contact.id == Outreach.contact_id)
        .where(
            _in_scope(Outreach, scope),
            Outreach.status == OutreachStatus.sent,
            Outreach.sent_at <= at.sent_before,
            last_touch <= at.sent_before,
        )
    )


def _ask_for_referral(scope: Scope, at: Cutoffs) -> Select[Any]:
    """Informational interviews held with a contact that introduced no one in them yet (a
    meeting whose contact was deleted leaves no one to ask)."""
    return (
        select(*_interview_columns("ask_for_referral", Interview.held_at))
        .join(Contact, Contact.id == Interview.contact_id)
        .where(
            _in_scope(Interview, scope),
            Interview.kind == InterviewKind.informational,
            Interview.stage.in_([InterviewStage.held, InterviewStage.followed_up]),
            Interview.held_at.is_not(None),
            ~select(_referred.id)
            .where(
                _referred.client_id == Interview.client_id,
                _referred.referred_in_interview_id == Interview.id,
            )
            .exists(),
        )
    )


@dataclass(frozen=True, slots=True)
class ContactRule:
    """A kind of item about a contact: what it counts from, and when it is open."""

    basis_at: Callable[[Cutoffs], Any]  # a column or an expression
    condition: Callable[[Cutoffs], ColumnElement[bool]]


def _follow_up_basis(at: Cutoffs) -> ColumnElement[Any]:
    # The planned date wins when both the plan and the cadence have come.
    return case(
        (planned_follow_up_due(at.now), Contact.next_follow_up_at),
        else_=Contact.next_touch_due_at,
    )


def _introduced_someone() -> ColumnElement[bool]:
    return (
        select(_child.id)
        .where(_child.client_id == Contact.client_id, _child.referred_by_id == Contact.id)
        .exists()
    )


def _root_worth_asking(at: Cutoffs) -> ColumnElement[bool]:
    """Warm first-line contacts who know the client well and introduced no one yet; not
    while an ask to them awaits an answer, nor someone the client interviews with for a
    job (one does not ask a hiring manager for names after an offer)."""
    return and_(
        Contact.referred_by_id.is_(None),
        Contact.last_contacted_at >= at.warm_since,
        knows_the_client_well(),
        ~_introduced_someone(),
        ~select(_job.id)
        .where(
            _job.client_id == Contact.client_id,
            _job.contact_id == Contact.id,
            _job.kind == InterviewKind.job,
        )
        .exists(),
        ~select(_pending.id)
        .where(
            _pending.client_id == Contact.client_id,
            _pending.contact_id == Contact.id,
            _pending.status == OutreachStatus.sent,
        )
        .exists(),
    )


def _last_touch(at: Cutoffs) -> Any:
    return Contact.last_contacted_at


CONTACT_RULES: dict[AgendaKindName, ContactRule] = {
    # A planned follow-up or the keep-in-touch cadence has come (`is_due`).
    "follow_up_due": ContactRule(_follow_up_basis, lambda at: is_due(at.now)),
    "contact_new_referral": ContactRule(
        lambda at: Contact.created_at,
        lambda at: and_(Contact.referred_by_id.is_not(None), Contact.last_contacted_at.is_(None)),
    ),
    "contact_turning_cold": ContactRule(
        _last_touch,
        lambda at: and_(
            Contact.last_contacted_at < at.warm_since,
            Contact.last_contacted_at >= at.cooling_since,
        ),
    ),
    # Cold contacts worth a new touch: they knew the client well or introduced someone.
    "revive_cold_contact": ContactRule(
        _last_touch,
        lambda at: and_(
            Contact.last_contacted_at < at.cooling_since,
            or_(knows_the_client_well(), _introduced_someone()),
        ),
    ),
    "ask_root_for_people": ContactRule(_last_touch, _root_worth_asking),
}


def contact_item(scope: Scope, at: Cutoffs, kind: AgendaKindName) -> Select[Any]:
    """The items of one of `CONTACT_RULES`' kinds. (One scan per kind: a single scan
    pairing each contact with every kind made PostgreSQL evaluate every kind's subqueries
    for every contact, three times slower.)"""
    rule = CONTACT_RULES[kind]
    return select(*_contact_columns(kind, rule.basis_at(at))).where(
        _in_scope(Contact, scope), rule.condition(at)
    )


def _contact_columns(kind: AgendaKindName, basis_at: Any) -> list[Any]:
    return _columns(
        kind,
        Contact.client_id,
        Contact.id,
        basis_at,
        contact_id=Contact.id,
        company_id=Contact.company_id,
        subject_name=Contact.full_name,
        rank_hint=Contact.strength,
    )


def _find_person_at_company(scope: Scope, at: Cutoffs) -> Select[Any]:
    """Companies still being researched or targeted with no contact linked to them."""
    return select(
        *_columns(
            "find_person_at_company",
            Company.client_id,
            Company.id,
            Company.created_at,
            company_id=Company.id,
            subject_name=Company.name,
            rank_hint=Company.priority,
        )
    ).where(
        _in_scope(Company, scope),
        Company.status.in_([CompanyStatus.researching, CompanyStatus.targeted]),
        ~select(_person.id)
        .where(_person.client_id == Company.client_id, _person.company_id == Company.id)
        .exists(),
    )


def _client_in_scope(scope: Scope) -> ColumnElement[bool]:
    return and_(
        Client.organization_id == ORGANIZATION,
        Client.id.in_(scope.clients),
        Client.status == ClientStatus.active,
    )


def _client_stalled(scope: Scope, at: Cutoffs) -> Select[Any]:
    quiet = quiet_since()
    return select(
        *_columns("client_stalled", Client.id, Client.id, quiet, subject_name=Client.full_name)
    ).where(_client_in_scope(scope), quiet < at.stalled_since)


def _build_first_line(scope: Scope, at: Cutoffs) -> Select[Any]:
    roots = select(Contact.id).where(
        Contact.organization_id == Client.organization_id,
        Contact.client_id == Client.id,
        Contact.referred_by_id.is_(None),
    )
    return select(
        *_columns(
            "build_first_line",
            Client.id,
            Client.id,
            Client.created_at,
            subject_name=Client.full_name,
        )
    ).where(_client_in_scope(scope), ~roots.exists())


BRANCHES: dict[AgendaKindName, Callable[[Scope, Cutoffs], Select[Any]]] = {
    "send_thank_you": _send_thank_you,
    "prepare_for_meeting": _prepare_for_meeting,
    "record_meeting_outcome": _record_meeting_outcome,
    "follow_up_outreach": _follow_up_outreach,
    "ask_for_referral": _ask_for_referral,
    "find_person_at_company": _find_person_at_company,
    "client_stalled": _client_stalled,
    "build_first_line": _build_first_line,
}
assert set(BRANCHES) | set(CONTACT_RULES) == set(KINDS), "every kind has its SQL"
