import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.clients.schemas import ClientRead
from app.companies.schemas import CompanyRead
from app.contacts.schemas import ContactRead
from app.core.schemas import InputModel
from app.events.schemas import EventRead
from app.interactions.schemas import InteractionRead
from app.interviews.schemas import InterviewRead
from app.organizations.schemas import MemberRead
from app.outreach.schemas import OutreachRead


class ExportFormat(StrEnum):
    json = "json"
    zip = "zip"


class ClientExport(BaseModel):
    """Everything stored about one client, each object as the API returns it."""

    exported_at: datetime
    client: ClientRead
    logins: list[MemberRead] = Field(
        description="The client's own sign-ins: members with the client role linked to it."
    )
    contacts: list[ContactRead] = Field(
        description="The client's network, oldest first. Referrals are contacts with "
        "`referred_by_id` (who introduced them) and `referred_in_interview_id` (the "
        "interview in which they were suggested)."
    )
    interactions: list[InteractionRead] = Field(description="Oldest first.")
    companies: list[CompanyRead]
    outreach: list[OutreachRead]
    interviews: list[InterviewRead] = Field(description="Each with its stage history.")
    events: list[EventRead] | None = Field(
        description="Events concerning the client, oldest first. Null for the client role: "
        "event data carries coach-only notes."
    )


class ErasureCreate(InputModel):
    confirm_name: str = Field(
        min_length=1,
        max_length=200,
        description="The client's full name, exactly as stored: the confirmation.",
        examples=["Grace Jobseeker"],
    )


class ErasureRead(BaseModel):
    """What an erasure anonymised (rows are kept, so the organization's counts stay)."""

    client_id: uuid.UUID
    erased_at: datetime
    contacts: int
    interactions: int
    companies: int
    outreach: int
    interviews: int
    events: int = Field(description='Events whose data was replaced by `{"erased": true}`.')
    webhook_deliveries_cancelled: int = Field(
        description="Deliveries of those events not yet sent, withdrawn."
    )
    logins_removed: int = Field(description="Client-role memberships linked to the client.")
    invitations_deleted: int
