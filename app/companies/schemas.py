import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.contacts.schemas import ChainLink
from app.core.schemas import InputModel, WebUrl, not_nullable, refuse_cleared
from app.models.enums import RoleAtCompany, Warmth
from app.models.pipeline import CompanyStatus

Priority = Annotated[int, Field(ge=1, le=5, description="1 (top target) to 5.")]
LongText = Annotated[str, Field(max_length=20_000)]


class CompanyCreate(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["Acme GmbH"])
    website: WebUrl = Field(default=None, examples=["https://acme.example"])
    domain: str | None = Field(default=None, max_length=253, examples=["acme.example"])
    industry: str | None = Field(default=None, max_length=200, examples=["Fintech"])
    location: str | None = Field(default=None, max_length=200, examples=["Berlin"])
    size: str | None = Field(default=None, max_length=50, examples=["201-500"])
    priority: Priority = 3
    status: CompanyStatus = CompanyStatus.researching
    why_interested: LongText | None = Field(
        default=None, description="Why the client wants to work there."
    )
    research_notes: LongText | None = Field(
        default=None, description="What the client learnt, and where the information came from."
    )
    has_openings: bool | None = Field(
        default=None,
        description="Optional: the method says not to wait for openings; null means unknown.",
    )


_NOT_NULLABLE = ("name", "priority", "status")


class CompanyUpdate(InputModel):
    """Partial update: only the fields sent change."""

    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE))

    name: str | None = Field(default=None, min_length=1, max_length=200)
    website: WebUrl = None
    domain: str | None = Field(default=None, max_length=253)
    industry: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    size: str | None = Field(default=None, max_length=50)
    priority: Priority | None = None
    status: CompanyStatus | None = None
    why_interested: LongText | None = None
    research_notes: LongText | None = None
    has_openings: bool | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> "CompanyUpdate":
        refuse_cleared(self, _NOT_NULLABLE)
        return self


class CompanyPerson(BaseModel):
    """A contact linked to the company: is the client talking to the right person yet?"""

    contact_id: uuid.UUID
    full_name: str
    title: str | None
    role_at_company: RoleAtCompany | None
    warmth: Warmth
    last_contacted_at: datetime | None


class CompanyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    name: str
    website: str | None
    domain: str | None
    industry: str | None
    location: str | None
    size: str | None
    priority: int
    status: CompanyStatus = Field(
        description="Moves to `engaged` by itself when a meeting with one of its people is "
        "held (never backwards by itself); otherwise set by the user."
    )
    why_interested: str | None
    research_notes: str | None
    has_openings: bool | None
    people: list[CompanyPerson] = Field(description="Contacts linked to this company, by name.")
    created_at: datetime
    updated_at: datetime


MatchedBy = Literal["linked", "name"]


class WarmChainLink(ChainLink):
    """One introduction on the way to a person at the company, with how warm it is."""

    warmth: Warmth


class WarmPath(BaseModel):
    """A contact of the client who works at the company, and the trail that reaches them."""

    contact_id: uuid.UUID
    full_name: str
    title: str | None
    role_at_company: RoleAtCompany | None
    matched_by: MatchedBy = Field(
        description="`linked`: the contact's `company_id` is this company; `name`: not "
        "linked, but its `company_name` is this company's name once case, accents, "
        "punctuation and legal suffixes (Inc, Ltd, GmbH, …) are set aside."
    )
    warmth: Warmth
    last_contacted_at: datetime | None
    hops: int = Field(description="Introductions from the root to this person (0: a root).")
    chain: list[WarmChainLink] = Field(
        description="Root first, this person last: who to ask to introduce whom."
    )


class WarmPathRoot(BaseModel):
    """A first-line contact whose branch reaches the company."""

    contact_id: uuid.UUID
    full_name: str
    title: str | None
    warmth: Warmth
    last_contacted_at: datetime | None
    people_at_company: int = Field(
        description="People at the company in this root's branch, the root included."
    )
    shortest_hops: int = Field(
        description="Introductions from this root to the nearest of them (0: the root works there)."
    )


class WarmPaths(BaseModel):
    """Who the client could talk to at the company, and through whom."""

    company_id: uuid.UUID
    client_id: uuid.UUID
    people: list[WarmPath] = Field(
        description="Warm before cooling before cold before never contacted (the person's "
        "warmth), then the shortest chain, then name."
    )
    roots: list[WarmPathRoot] = Field(
        description="The root's warmth in the same order, then the shortest hops, then the "
        "most people, then name."
    )
