"""Closed vocabularies shared by models and schemas."""

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    coach = "coach"
    client = "client"


STAFF_ROLES = frozenset({Role.owner, Role.admin, Role.coach})
ADMIN_ROLES = frozenset({Role.owner, Role.admin})


class ClientStatus(StrEnum):
    active = "active"
    paused = "paused"
    placed = "placed"
    archived = "archived"


class Scope(StrEnum):
    """What an API key may do; keys never carry a user role."""

    organization_read = "organization:read"
    clients_read = "clients:read"
    clients_write = "clients:write"
    contacts_read = "contacts:read"
    contacts_write = "contacts:write"
    reports_read = "reports:read"
    events_read = "events:read"
    webhooks_read = "webhooks:read"
    webhooks_write = "webhooks:write"
    audit_read = "audit:read"


class Relationship(StrEnum):
    work = "work"
    social = "social"
    family = "family"
    alumni = "alumni"
    professional_association = "professional_association"
    other = "other"


class ContactSource(StrEnum):
    personal_network = "personal_network"
    referral = "referral"
    linkedin = "linkedin"
    industry_publication = "industry_publication"
    internal_contact = "internal_contact"
    company_call = "company_call"
    event = "event"
    other = "other"


class RoleAtCompany(StrEnum):
    hiring_manager = "hiring_manager"
    peer = "peer"
    hr = "hr"
    recruiter = "recruiter"
    executive = "executive"
    other = "other"


class InteractionKind(StrEnum):
    email = "email"
    call = "call"
    meeting = "meeting"
    linkedin_message = "linkedin_message"
    thank_you = "thank_you"
    note = "note"
    intro_request = "intro_request"


class InteractionDirection(StrEnum):
    outbound = "outbound"
    inbound = "inbound"


class Warmth(StrEnum):
    never = "never"
    warm = "warm"
    cooling = "cooling"
    cold = "cold"
