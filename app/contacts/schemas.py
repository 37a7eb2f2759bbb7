import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.core.schemas import InputModel, WebUrl, not_nullable, refuse_cleared
from app.core.time import utc_now
from app.models.enums import ContactSource, Relationship, RoleAtCompany, Warmth

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=50, examples=[["fintech", "ex-colleague"]])]
Strength = Annotated[int, Field(ge=1, le=5, description="How strong the tie is, 1 (weak) to 5.")]
KeepInTouchDays = Annotated[
    int,
    Field(
        ge=1,
        le=3650,
        description="Keep-in-touch cadence in days; without it the organization's default "
        "for the contact's relationship applies.",
    ),
]
ReferredById = Annotated[
    uuid.UUID | None,
    Field(
        description="The contact who introduced this one (same client); null makes it a root.",
    ),
]
CompanyId = Annotated[
    uuid.UUID | None,
    Field(
        description="The target company this person works at (a company of the same "
        "client); null unlinks it. It lists the person under `people`.",
    ),
]

# The furthest time zone is 14 hours ahead of UTC: its date is the latest "today" anywhere.
_LATEST_UTC_OFFSET = timedelta(hours=14)


def latest_today() -> date:
    """The latest date it is anywhere right now: a day after it is in the future."""
    return (utc_now() + _LATEST_UTC_OFFSET).date()


def _not_after_today(day: date) -> date:
    if day > latest_today():
        raise ValueError("the date is in the future")
    return day


def _in_utc(value: datetime) -> datetime:
    # 0001-01-01T00:00+01:00 is valid RFC 3339 that no datetime holds in UTC: a 422 here,
    # not an overflow when stored. (`app.core.instants` types refuse strict JSON bodies.)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is out of range once converted to UTC") from exc


ConnectedOn = Annotated[date, AfterValidator(_not_after_today)]
AddedAt = Annotated[AwareDatetime, AfterValidator(_in_utc)]
_CONNECTED_ON = 'When the client connected with them on LinkedIn (the export\'s "Connected On").'


def _unique_tags(tags: list[str] | None) -> list[str] | None:
    return None if tags is None else list(dict.fromkeys(tags))


class ContactCreate(InputModel):
    full_name: str = Field(min_length=1, max_length=200, examples=["Ada Referral"])
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50, examples=["+49 30 1234567"])
    linkedin_url: WebUrl = Field(
        default=None, examples=["https://www.linkedin.com/in/ada-referral"]
    )
    company_name: str | None = Field(default=None, max_length=200, examples=["Acme GmbH"])
    title: str | None = Field(default=None, max_length=200, examples=["Head of Data"])
    relationship: Relationship = Relationship.other
    source: ContactSource | None = Field(
        default=None,
        description="How the client found this contact; defaults to `referral` when "
        "`referred_by_id` is set, else `personal_network`.",
    )
    role_at_company: RoleAtCompany | None = None
    strength: Strength | None = None
    tags: Tags = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=20_000)
    next_follow_up_at: AwareDatetime | None = None
    keep_in_touch_days: KeepInTouchDays | None = None
    referred_by_id: ReferredById = None
    company_id: CompanyId = None
    connected_on: ConnectedOn | None = Field(
        default=None, description=f"{_CONNECTED_ON} Not in the future.", examples=["2024-03-12"]
    )
    created_at: AddedAt | None = Field(
        default=None,
        description="When the client added this person to their network, for loading "
        "history (RFC 3339 with offset); defaults to now, and more than 5 minutes in the "
        "future is refused. It counts as the client moving then, and the keep-in-touch "
        "cadence counts from it.",
    )

    _tags = field_validator("tags")(_unique_tags)


# Columns that cannot be cleared: sending null for them is a 422, not a 500.
_NOT_NULLABLE = ("full_name", "relationship", "source", "tags")


class ContactUpdate(InputModel):
    """Partial update: only the fields sent change. `referred_by_id` re-parents the
    contact (with its whole branch); null makes it a root."""

    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE))

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    linkedin_url: WebUrl = None
    company_name: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    relationship: Relationship | None = None
    source: ContactSource | None = None
    role_at_company: RoleAtCompany | None = None
    strength: Strength | None = None
    tags: Tags | None = None
    notes: str | None = Field(default=None, max_length=20_000)
    next_follow_up_at: AwareDatetime | None = None
    keep_in_touch_days: KeepInTouchDays | None = None
    referred_by_id: ReferredById = None
    company_id: CompanyId = None
    connected_on: ConnectedOn | None = Field(
        default=None, description=f"{_CONNECTED_ON} Not in the future; null clears it."
    )

    _tags = field_validator("tags")(_unique_tags)

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> "ContactUpdate":
        refuse_cleared(self, _NOT_NULLABLE)
        return self


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    referred_by_id: uuid.UUID | None = Field(description="Parent in the tree; null for roots.")
    full_name: str
    email: str | None
    phone: str | None
    linkedin_url: str | None
    company_name: str | None
    title: str | None
    relationship: Relationship
    source: ContactSource
    role_at_company: RoleAtCompany | None
    strength: int | None
    tags: list[str]
    notes: str | None
    next_follow_up_at: datetime | None
    keep_in_touch_days: int | None
    connected_on: date | None = Field(description=_CONNECTED_ON)
    imported: bool = Field(
        description="Created by a file import (`POST /clients/{client_id}/contacts/import`); "
        "read-only. Imported contacts do not count as the client moving."
    )
    company_id: uuid.UUID | None = Field(
        description="The target company this person works at; null when not linked."
    )
    referred_in_interview_id: uuid.UUID | None = Field(
        description="The interview in which the referrer suggested this contact (set by "
        "`POST /interviews/{interview_id}/referrals`); read-only."
    )
    depth: int = Field(description="Introductions between the client and this contact; 0: a root.")
    last_contacted_at: datetime | None = Field(
        description="The latest interaction that is not a note."
    )
    warmth: Warmth = Field(
        description="`never`, `warm` (within half the organization's `cold_after_days`), "
        "`cooling` (within it) or `cold`."
    )
    next_touch_due_at: datetime | None = Field(
        description="When the keep-in-touch cadence asks for the next touch; null without one."
    )
    created_at: datetime
    updated_at: datetime


class ContactDeleted(BaseModel):
    id: uuid.UUID
    moved_children: int = Field(
        description="Contacts this one had introduced; they now hang under its parent "
        "(or became roots)."
    )


class ContactTreeNode(BaseModel):
    id: uuid.UUID
    full_name: str
    company_name: str | None
    title: str | None
    depth: int = Field(description="Depth in the client's whole tree (0: a root).")
    warmth: Warmth
    last_contacted_at: datetime | None
    descendant_count: int = Field(
        description="All contacts below this one, including any cut off by `max_depth`."
    )
    children: list["ContactTreeNode"] = Field(
        description="Contacts this one introduced, by name; empty below `max_depth`."
    )


class BranchYield(BaseModel):
    """What one root's branch has produced."""

    root_id: uuid.UUID
    descendants: int = Field(description="Contacts reached through this root.")
    deepest_depth: int = Field(description="The largest `depth` in the branch.")
    met_in_interview: int = Field(
        description="How many of the `descendants` the client met in an interview: one "
        "that was held (stage `held` or any stage after it). The root itself is not "
        "counted, as it is not among `descendants`."
    )


class ContactTree(BaseModel):
    """The client's contact forest (or one subtree with `root_id`). Yields are computed
    over whole branches, whatever `max_depth` cuts from `roots`."""

    client_id: uuid.UUID
    roots: list[ContactTreeNode]
    branch_yields: list[BranchYield] = Field(description="One per entry of `roots`, same order.")


class ChainLink(BaseModel):
    id: uuid.UUID
    full_name: str
    company_name: str | None
    title: str | None
    depth: int


class ContactChain(BaseModel):
    contact_id: uuid.UUID
    contacts: list[ChainLink] = Field(
        description="Root first, this contact last: the A → B → C → D trail of introductions."
    )


def contact_columns(contact: Any) -> dict[str, Any]:
    """The stored fields ContactRead shows (everything but the derived `warmth`)."""
    return {name: getattr(contact, name) for name in ContactRead.model_fields if name != "warmth"}
