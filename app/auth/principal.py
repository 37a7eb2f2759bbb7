"""Who is calling: a member acting through a JWT, or an organization's API key."""

import uuid
from dataclasses import dataclass, field

from app.models.enums import ADMIN_ROLES, STAFF_ROLES, Role, Scope


@dataclass(frozen=True, slots=True)
class Principal:
    organization_id: uuid.UUID
    user_id: uuid.UUID | None = None
    role: Role | None = None
    # For role=client: the client record this login is.
    client_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    # A member's sign-in (its refresh-token family), from the access token.
    session_id: uuid.UUID | None = None

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def is_admin(self) -> bool:
        """Sees the whole organization: owners, admins and API keys (within scopes)."""
        return self.is_api_key or self.role in ADMIN_ROLES

    @property
    def is_staff(self) -> bool:
        return self.is_api_key or self.role in STAFF_ROLES

    @property
    def is_coach(self) -> bool:
        return self.role is Role.coach

    @property
    def is_client(self) -> bool:
        return self.role is Role.client

    @property
    def actor_id(self) -> uuid.UUID:
        """The user or API key to record as having done something."""
        actor = self.user_id or self.api_key_id
        assert actor is not None
        return actor
