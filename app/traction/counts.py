"""The traction counts: one grouped query per source of the figures, and their `UNION ALL`."""

from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from app.models import Contact, Interaction, Interview, InterviewStageChange, Outreach
from app.models.pipeline import InterviewKind, InterviewStage
from app.traction.sql import (
    COMPANIES,
    CONTACTS,
    GONE_COLD,
    HELD,
    MEDIAN,
    MOVES,
    OUTREACH,
    SECONDS_PER_HOUR,
    THANK_YOU_SECONDS,
    Instants,
    Readable,
    answered_in_window,
    integer,
    member,
    row,
    seconds_between,
    segment_of,
    touch,
    within,
)


def _outreach(scope: Readable, at: Instants) -> Select[Any]:
    """Outreach by the segment it was sent in, and how many were answered before the end
    of their window."""
    bounds = at.bounds
    answered = answered_in_window(at.current_start, bounds[-1])
    segment = segment_of(Outreach.sent_at, bounds)
    return (
        select(
            *row(
                Outreach.client_id,
                OUTREACH,
                segment,
                func.count(),
                func.sum(case((answered, integer(1)), else_=integer(0))),
            )
        )
        .where(
            scope.of(Outreach.organization_id, Outreach.client_id),
            within(Outreach.sent_at, bounds),
        )
        .group_by(Outreach.client_id, "segment_no")
    )


def _median_hours_to_response(scope: Readable, at: Instants, dialect: str) -> Select[Any]:
    """The median hours to response per period.

    A median in portable SQL: number the answers per client and period, keep the middle
    one (odd count) or two (even), average them."""
    bounds = at.bounds
    period = case((Outreach.sent_at < at.current_start, integer(0)), else_=integer(1))
    answered = answered_in_window(at.current_start, bounds[-1])
    hours = seconds_between(dialect, Outreach.sent_at, Outreach.responded_at) / SECONDS_PER_HOUR
    partition = (Outreach.client_id, period)
    numbered = (
        select(
            Outreach.client_id.label("client_id"),
            period.label("period"),
            hours.label("hours"),
            func.row_number().over(partition_by=partition, order_by=hours).label("position"),
            func.count().over(partition_by=partition).label("answers"),
        )
        .where(
            scope.of(Outreach.organization_id, Outreach.client_id),
            within(Outreach.sent_at, bounds),
            answered,
        )
        .subquery("numbered")
    )
    return (
        select(
            *row(
                numbered.c.client_id,
                MEDIAN,
                numbered.c.period,
                hours=func.avg(numbered.c.hours),
            )
        )
        .where(
            or_(
                numbered.c.position == (numbered.c.answers + integer(1)) // integer(2),
                numbered.c.position == (numbered.c.answers + integer(2)) // integer(2),
            )
        )
        .group_by(numbered.c.client_id, numbered.c.period)
    )


def _interviews_held(scope: Readable, at: Instants, dialect: str) -> Select[Any]:
    """Interviews by the segment they were held in: informational, job, thank-you due
    (thanked, or their 48 h have run out) and thanked within 48 h."""
    bounds = at.bounds
    thanked = Interview.thank_you_sent_at.is_not(None)
    due = or_(thanked, Interview.held_at <= at.thank_you_late_at)
    on_time = and_(
        thanked,
        seconds_between(dialect, Interview.held_at, Interview.thank_you_sent_at)
        <= THANK_YOU_SECONDS,
    )
    informational = Interview.kind == member(Interview.kind, InterviewKind.informational)
    job = Interview.kind == member(Interview.kind, InterviewKind.job)
    segment = segment_of(Interview.held_at, bounds)
    return (
        select(
            *row(
                Interview.client_id,
                HELD,
                segment,
                func.count().filter(informational),
                func.count().filter(job),
                func.sum(case((due, integer(1)), else_=integer(0))),
                func.sum(case((on_time, integer(1)), else_=integer(0))),
            )
        )
        .where(
            scope.of(Interview.organization_id, Interview.client_id),
            within(Interview.held_at, bounds),
        )
        .group_by(Interview.client_id, "segment_no")
    )


def _stage_moves(scope: Readable, at: Instants) -> Select[Any]:
    """The moves that count, by segment: informational interviews scheduled and job
    interviews turned into offers (an interview once per segment)."""
    bounds = at.bounds
    change = InterviewStageChange
    scheduled = and_(
        Interview.kind == member(Interview.kind, InterviewKind.informational),
        change.to_stage == member(change.to_stage, InterviewStage.scheduled),
    )
    offered = and_(
        Interview.kind == member(Interview.kind, InterviewKind.job),
        change.to_stage == member(change.to_stage, InterviewStage.offer),
    )
    segment = segment_of(change.occurred_at, bounds)
    return (
        select(
            *row(
                Interview.client_id,
                MOVES,
                segment,
                func.count(distinct(change.interview_id)).filter(scheduled),
                func.count(distinct(change.interview_id)).filter(offered),
            )
        )
        .join(Interview, Interview.id == change.interview_id)
        .where(
            scope.of(Interview.organization_id, Interview.client_id),
            change.organization_id == scope.organization_id,
            within(change.occurred_at, bounds),
            or_(scheduled, offered),
        )
        .group_by(Interview.client_id, "segment_no")
    )


_met = aliased(Interview, name="met")


@cache
def is_referral() -> ColumnElement[bool]:
    """A contact obtained as a referral: added through an interview's referrals, or with a
    parent who is a contact met in a held interview. (Built once: it has no parameters.)"""
    parent_met = exists(
        select(_met.id).where(
            _met.client_id == Contact.client_id,
            _met.contact_id == Contact.referred_by_id,
            _met.held_at.is_not(None),
        )
    )
    return or_(
        Contact.referred_in_interview_id.is_not(None),
        and_(Contact.referred_by_id.is_not(None), parent_met),
    )


def _contacts(scope: Readable, at: Instants, *, since_ever: bool) -> Select[Any]:
    """Contacts added, referrals and the deepest depth by the segment the contacts were
    added in; with `since_ever`, the contacts added before the first segment too, as
    segment -1 (for network sizes)."""
    bounds = at.bounds
    before = Contact.created_at < bounds[0]
    segment = case(
        (before, integer(-1)),
        *[(Contact.created_at < bound, integer(index)) for index, bound in enumerate(bounds[1:-1])],
        else_=integer(len(bounds) - 2),
    )
    return (
        select(
            *row(
                Contact.client_id,
                CONTACTS,
                segment,
                func.count(),
                # CASE evaluates in order: the referral test runs only for recent contacts.
                func.sum(case((before, integer(0)), (is_referral(), integer(1)), else_=integer(0))),
                func.max(Contact.depth),
            )
        )
        .where(
            scope.of(Contact.organization_id, Contact.client_id),
            Contact.created_at < bounds[-1],
            *([] if since_ever else [Contact.created_at >= bounds[0]]),
        )
        .group_by(Contact.client_id, "segment_no")
    )


def _companies_engaged(scope: Readable, at: Instants) -> Select[Any]:
    """The distinct companies of the contacts touched in each window. From the contacts
    linked to a company, each probing the interactions index once per window."""
    previous_start, current_start, end = at.bounds[0], at.current_start, at.bounds[-1]

    def touched(start: Any, until: Any) -> ColumnElement[bool]:
        return exists(
            select(Interaction.id).where(
                Interaction.organization_id == scope.organization_id,
                Interaction.contact_id == Contact.id,
                Interaction.occurred_at >= start,
                Interaction.occurred_at < until,
                touch(),
            )
        )

    return (
        select(
            *row(
                Contact.client_id,
                COMPANIES,
                integer(0),
                func.count(
                    distinct(case((touched(previous_start, current_start), Contact.company_id)))
                ),
                func.count(distinct(case((touched(current_start, end), Contact.company_id)))),
            )
        )
        .where(
            scope.of(Contact.organization_id, Contact.client_id),
            Contact.company_id.is_not(None),
        )
        .group_by(Contact.client_id)
    )


def _contacts_gone_cold(scope: Readable, at: Instants, dialect: str) -> Select[Any]:
    """The contacts that crossed into cold in each period.

    A contact crosses at `touch + cold_after` when no other touch follows within
    `cold_after`; each touch is paired with the next one (`lead`). Touches after the
    window's end cannot matter: the crossing would come first. The window function sorts
    only (contact, time)."""
    touches = (
        select(
            Interaction.client_id.label("client_id"),
            Interaction.contact_id.label("contact_id"),
            Interaction.occurred_at.label("touched_at"),
            func.lead(Interaction.occurred_at)
            .over(partition_by=Interaction.contact_id, order_by=Interaction.occurred_at)
            .label("next_touch_at"),
        )
        .where(
            scope.of(Interaction.organization_id, Interaction.client_id),
            Interaction.occurred_at >= at.touches_from,
            Interaction.occurred_at < at.bounds[-1],
            touch(),
        )
        .subquery("touches")
    )
    gap = seconds_between(dialect, touches.c.touched_at, touches.c.next_touch_at)
    period = case((touches.c.touched_at < at.cold_before_current, integer(0)), else_=integer(1))
    return (
        select(
            *row(touches.c.client_id, GONE_COLD, period, func.count(distinct(touches.c.contact_id)))
        )
        .where(
            touches.c.touched_at < at.cold_before_end,
            or_(touches.c.next_touch_at.is_(None), gap > at.cold_after_seconds),
        )
        .group_by(touches.c.client_id, "segment_no")
    )


def figures(scope: Readable, at: Instants, dialect: str, *, detail: bool) -> Select[Any]:
    """Every count of the clients in `scope`, by segment (without `detail`, reports: only
    outreach, held interviews, stage moves and the contacts added within the bounds)."""
    parts = [
        _outreach(scope, at),
        _interviews_held(scope, at, dialect),
        _stage_moves(scope, at),
        _contacts(scope, at, since_ever=detail),
    ]
    if detail:
        parts += [
            _median_hours_to_response(scope, at, dialect),
            _companies_engaged(scope, at),
            _contacts_gone_cold(scope, at, dialect),
        ]
    return select(union_all(*parts).subquery("figures"))
