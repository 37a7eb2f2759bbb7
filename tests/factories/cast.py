"""The usual cast of a test: one organization's owner, coach, client and client login."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from tests.factories.clients import assign_coach, create_client
from tests.factories.identity import Actor, add_member, signup


@dataclass(frozen=True)
class Cast:
    """`seeker` is a client record assigned to `coach`, with `client_login` signed in as it;
    `other` is a client record no one is assigned to (records as the API returned them)."""

    owner: Actor
    coach: Actor
    seeker: dict[str, Any]
    client_login: Actor
    other: dict[str, Any]


async def build_cast(http: httpx.AsyncClient, db: AsyncSession) -> Cast:
    """The cast in a fresh organization, built with the factories a test would use by hand."""
    owner = await signup(http)
    seeker = await create_client(http, owner, full_name="Grace Seeker")
    other = await create_client(http, owner, full_name="Henry Other")
    coach = await add_member(http, db, owner.organization_id, Role.coach)
    await assign_coach(http, owner, seeker["id"], coach)
    client_login = await add_member(
        http, db, owner.organization_id, Role.client, client_id=seeker["id"]
    )
    return Cast(owner=owner, coach=coach, seeker=seeker, client_login=client_login, other=other)
