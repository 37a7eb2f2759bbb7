"""The activity report's SQL: one statement per kind of activity, for one client and window.

Each statement selects only what the report may show about a third party: the contact's
name, `role_at_company` and company. Emails, phones, LinkedIn URLs, notes, summaries,
messages and coach notes are never read, so they cannot leak into a report.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.models import Company, Contact, Interaction, Interview, InterviewStageChange, Outreach
from app.models.enums import InteractionDirection, InteractionKind
from app.models.pipeline import InterviewStage

# The company of the person met, when the step itself names none.
_ContactCompany = aliased(Company, name="contact_company")
_StepCompany = aliased(Company, name="step_company")


def _company_name(step_company: type[Company] | None) -> ColumnElement[str | None]:
    """The step's company, else the contact's linked company, else the name typed on the
    contact."""
    names: list[Any] = [] if step_company is None else [step_company.name]
    return func.coalesce(*names, _ContactCompany.name, Contact.company_name)


def _in_window(column: Any, starts_at: datetime, ends_at: datetime) -> ColumnElement[bool]:
    return and_(column >= starts_at, column < ends_at)


async def outreach_rows(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
) -> Sequence[Any]:
    """Outreach sent or answered in the window (a row may be both), oldest send first."""
    statement = (
        select(
            Outreach.id,
            Outreach.channel,
            Outreach.purpose,
            Outreach.status,
            Outreach.sent_at,
            Outreach.responded_at,
            _company_name(_StepCompany).label("company"),
            Contact.full_name.label("contact_name"),
            Contact.role_at_company.label("contact_role"),
        )
        .join(Contact, Contact.id == Outreach.contact_id)
        .outerjoin(_StepCompany, _StepCompany.id == Outreach.company_id)
        .outerjoin(_ContactCompany, _ContactCompany.id == Contact.company_id)
        .where(
            Outreach.client_id.in_(readable_client_ids(principal)),
            Outreach.client_id == client_id,
            or_(
                _in_window(Outreach.sent_at, starts_at, ends_at),
                _in_window(Outreach.responded_at, starts_at, ends_at),
            ),
        )
        .order_by(Outreach.sent_at, Outreach.id)
    )
    return (await session.execute(statement)).all()


async def stage_change_rows(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
) -> Sequence[Any]:
    """Interview stage changes that happened in the window, in the order they happened
    (then were recorded)."""
    statement = (
        select(
            InterviewStageChange.occurred_at,
            InterviewStageChange.from_stage,
            InterviewStageChange.to_stage,
            Interview.kind,
            _company_name(_StepCompany).label("company"),
            Contact.full_name.label("contact_name"),
            Contact.role_at_company.label("contact_role"),
        )
        .join(Interview, Interview.id == InterviewStageChange.interview_id)
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .outerjoin(_StepCompany, _StepCompany.id == Interview.company_id)
        .outerjoin(_ContactCompany, _ContactCompany.id == Contact.company_id)
        .where(
            Interview.client_id.in_(readable_client_ids(principal)),
            Interview.client_id == client_id,
            _in_window(InterviewStageChange.occurred_at, starts_at, ends_at),
        )
        .order_by(
            InterviewStageChange.occurred_at,
            InterviewStageChange.changed_at,
            InterviewStageChange.id,
        )
    )
    return (await session.execute(statement)).all()


async def interaction_rows(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
) -> Sequence[Any]:
    """Hand-logged interactions in the window, oldest first.

    Sending or answering outreach and holding or following up an interview also log an
    interaction (at the very same instant, for the same contact); those steps are already
    in the report from their own tables, so their interactions are left out here.
    """
    statement = (
        select(
            Interaction.occurred_at,
            Interaction.kind,
            Interaction.direction,
            _company_name(None).label("company"),
            Contact.full_name.label("contact_name"),
            Contact.role_at_company.label("contact_role"),
        )
        .join(Contact, Contact.id == Interaction.contact_id)
        .outerjoin(_ContactCompany, _ContactCompany.id == Contact.company_id)
        .where(
            Interaction.client_id.in_(readable_client_ids(principal)),
            Interaction.client_id == client_id,
            Interaction.kind != InteractionKind.note,
            _in_window(Interaction.occurred_at, starts_at, ends_at),
            ~_logged_by_outreach(client_id),
            ~_logged_by_interview(client_id),
        )
        .order_by(Interaction.occurred_at, Interaction.id)
    )
    return (await session.execute(statement)).all()


def _logged_by_outreach(client_id: uuid.UUID) -> ColumnElement[bool]:
    step = aliased(Outreach, name="step_outreach")
    return (
        select(step.id)
        .where(
            step.client_id == client_id,
            step.contact_id == Interaction.contact_id,
            or_(
                and_(
                    Interaction.direction == InteractionDirection.outbound,
                    step.sent_at == Interaction.occurred_at,
                ),
                and_(
                    Interaction.direction == InteractionDirection.inbound,
                    step.responded_at == Interaction.occurred_at,
                ),
            ),
        )
        .exists()
    )


def _logged_by_interview(client_id: uuid.UUID) -> ColumnElement[bool]:
    change = aliased(InterviewStageChange, name="step_change")
    interview = aliased(Interview, name="step_interview")
    return and_(
        Interaction.kind.in_([InteractionKind.meeting, InteractionKind.thank_you]),
        select(change.id)
        .join(interview, interview.id == change.interview_id)
        .where(
            interview.client_id == client_id,
            interview.contact_id == Interaction.contact_id,
            change.to_stage.in_([InterviewStage.held, InterviewStage.followed_up]),
            change.occurred_at == Interaction.occurred_at,
        )
        .exists(),
    )
