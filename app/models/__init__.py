"""Every ORM model, imported here so Alembic and the mappers see one metadata."""

from app.db.base import Base
from app.models.client import Client, ClientCoach
from app.models.contact import Contact, Interaction
from app.models.enums import ClientStatus, Role, Scope
from app.models.idempotency import IdempotencyRecord
from app.models.organization import ApiKey, Invitation, Membership, Organization, RefreshToken, User

__all__ = [
    "ApiKey",
    "Base",
    "Client",
    "ClientCoach",
    "ClientStatus",
    "Contact",
    "IdempotencyRecord",
    "Interaction",
    "Invitation",
    "Membership",
    "Organization",
    "RefreshToken",
    "Role",
    "Scope",
    "User",
]
