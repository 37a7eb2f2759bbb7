"""Whose agenda, and the instants its conditions compare with.

The agenda's statement is built once per shape (`Scope`) with every value of a request
a named parameter (`Asked.parameters`, `Cutoffs.parameters`): building it cost more than
running it."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, String, Uuid, bindparam, select

from app.agenda.kinds import AgendaKindName
from app.auth.principal import Principal
from app.clients.repository import readable_client_ids_by_parameter
from app.contacts.warmth import warmth_bounds
from app.db.base import UTCDateTime
from app.models import Client, ClientCoach, Organization
from app.models.enums import ClientStatus

# Defaults until the organization's settings carry them.
THANK_YOU_AFTER = timedelta(hours=24)
OUTREACH_FOLLOW_UP_AFTER = timedelta(days=7)
MEETING_HORIZON = timedelta(days=7)  # meetings this close ask to be prepared for
STRONG_TIE = 4  # `strength` from which a contact knows the client well


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """The instants the conditions compare with, for one `now` and one organization:
    values (`at`), or in the cached statement their placeholders (`placeholders`)."""

    now: Any
    warm_since: Any
    cooling_since: Any
    sent_before: Any  # a last touch at or before this leaves outreach unanswered
    meetings_until: Any
    stalled_since: Any

    @classmethod
    def at(cls, now: datetime, organization: Organization) -> "Cutoffs":
        warm_since, cooling_since = warmth_bounds(organization.cold_after_days, now)
        return cls(
            now=now,
            warm_since=warm_since,
            cooling_since=cooling_since,
            sent_before=now - OUTREACH_FOLLOW_UP_AFTER,
            meetings_until=now + MEETING_HORIZON,
            stalled_since=now - timedelta(days=organization.stalled_after_days),
        )

    @classmethod
    def placeholders(cls) -> "Cutoffs":
        return cls(**{f.name: bindparam(f.name, type_=UTCDateTime()) for f in fields(cls)})

    def parameters(self) -> dict[str, datetime]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose items, as the cached statement's shape: which clients (a statement whose
    values are all placeholders), which kinds, and whether a member's answers apply."""

    clients: Select[uuid.UUID]
    kinds: tuple[AgendaKindName, ...]
    with_answers: bool


ORGANIZATION = bindparam("organization_id", type_=Uuid())
USER = bindparam("user_id", type_=Uuid())


@dataclass(frozen=True, slots=True)
class Asked:
    """The clients asked about (within what the caller may see: one client, one coach's,
    those of one status), and the kinds."""

    principal: Principal
    kinds: tuple[AgendaKindName, ...]
    client_id: uuid.UUID | None = None
    coach_id: uuid.UUID | None = None
    status: ClientStatus | None = None

    def scope(self) -> Scope:
        readable, _ = readable_client_ids_by_parameter(self.principal)
        return _scope(
            readable,
            self.kinds,
            self.client_id is not None,
            self.coach_id is not None,
            self.status is not None,
            self.principal.user_id is not None,
        )

    def parameters(self) -> dict[str, Any]:
        _, reader = readable_client_ids_by_parameter(self.principal)
        values: dict[str, Any] = {**reader, "organization_id": self.principal.organization_id}
        if self.principal.user_id is not None:
            values["user_id"] = self.principal.user_id
        if self.client_id is not None:
            values["asked_client_id"] = self.client_id
        if self.coach_id is not None:
            values["asked_coach_id"] = self.coach_id
        if self.status is not None:
            values["asked_status"] = self.status
        return values


@lru_cache(maxsize=256)  # shapes: the kind of caller, the filters given, the kinds asked
def _scope(
    readable: Select[uuid.UUID],
    kinds: tuple[AgendaKindName, ...],
    one_client: bool,
    one_coach: bool,
    one_status: bool,
    with_answers: bool,
) -> Scope:
    statement = select(Client.id).where(
        Client.organization_id == ORGANIZATION, Client.id.in_(readable)
    )
    if one_client:
        statement = statement.where(Client.id == bindparam("asked_client_id", type_=Uuid()))
    if one_coach:
        coached = select(ClientCoach.client_id).where(
            ClientCoach.coach_id == bindparam("asked_coach_id", type_=Uuid())
        )
        statement = statement.where(Client.id.in_(coached))
    if one_status:
        statement = statement.where(Client.status == bindparam("asked_status", type_=String()))
    return Scope(statement, kinds, with_answers)
