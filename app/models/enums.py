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
