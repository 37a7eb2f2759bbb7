"""When a client last *moved*: the one definition behind `client.stalled` and traction.

A **moving event** is any of
- a touch with a contact: an interaction of any kind but `note`, at its `occurred_at`
  (this covers outreach sent and answered, interviews held and thank-yous, which
  all log one);
- an interview stage change (scheduled, held, offer, ...), at its `occurred_at`;
- a contact added, referrals included, at its `created_at` (which may be backdated to
  when the client really met them), except contacts a file import created: loading a
  network from LinkedIn is not the client doing anything.

A client is **stalled** when it is `active` and nothing moved for the organization's
`stalled_after_days`, counted from its creation when nothing ever moved.

The SQL helpers are correlated to the enclosing statement's `Client` row, so one
statement answers for any number of clients (the sweep, caseload reports).
"""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, func, select, union_all
from sqlalchemy.orm import aliased

from app.models import Client, Contact, Interaction, Interview, InterviewStageChange
from app.models.enums import ClientStatus, InteractionKind


def last_moved_at() -> ScalarSelect[datetime]:
    """The latest moving event of the enclosing statement's `Client` (NULL: none)."""
    interview = aliased(Interview, name="moved_interview")
    latest = union_all(
        select(func.max(Interaction.occurred_at).label("at"))
        .where(
            Interaction.organization_id == Client.organization_id,
            Interaction.client_id == Client.id,
            # A note is not a touch with the person (warmth ignores it too).
            Interaction.kind != InteractionKind.note,
        )
        .correlate(Client),
        select(func.max(InterviewStageChange.occurred_at))
        .join(interview, interview.id == InterviewStageChange.interview_id)
        .where(
            InterviewStageChange.organization_id == Client.organization_id,
            interview.organization_id == Client.organization_id,
            interview.client_id == Client.id,
        )
        .correlate(Client),
        select(func.max(Contact.created_at))
        .where(
            Contact.organization_id == Client.organization_id,
            Contact.client_id == Client.id,
            # Written as `ix_contacts_added_by_hand`'s condition, so it serves this.
            ~Contact.imported,
        )
        .correlate(Client),
    ).subquery("latest_moves")
    return select(func.max(latest.c.at)).scalar_subquery()


def quiet_since() -> ColumnElement[datetime]:
    """Since when the enclosing `Client` has been still: its last move, else its creation."""
    return func.coalesce(last_moved_at(), Client.created_at)


def stalled_since(now: datetime, stalled_after_days: int) -> datetime:
    """Clients quiet since before this instant (and active) are stalled."""
    return now - timedelta(days=stalled_after_days)


def is_stalled(
    status: ClientStatus,
    last_moved: datetime | None,
    created_at: datetime,
    *,
    stalled_after_days: int,
    now: datetime,
) -> bool:
    """The stall rule for one client already loaded (see the module docstring)."""
    quiet = last_moved if last_moved is not None else created_at
    return status == ClientStatus.active and quiet < stalled_since(now, stalled_after_days)
