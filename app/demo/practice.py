"""The demo organization itself: its settings, members, clients and webhook endpoint."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import hash_password
from app.db.tenancy import bind_organization, bind_rls_lookup
from app.demo.build import ClientStory
from app.demo.cast import (
    COACHES,
    DEMO_ORGANIZATION,
    DEMO_PASSWORD,
    DEMO_TIMEZONE,
    KEEP_IN_TOUCH_DEFAULTS,
    OWNER,
    WEBHOOK_EVENT_TYPES,
    WEBHOOK_URL,
    client_email,
)
from app.demo.rows import Rows
from app.demo.story import DemoClient, DemoLogin
from app.events.catalog import is_known
from app.models import Client, ClientCoach, Membership, Organization, User, WebhookEndpoint
from app.models.enums import Role
from app.webhooks.signing import new_webhook_secret

# The practice opened this long before its longest-standing client joined.
FOUNDED_BEFORE_FIRST_CLIENT = timedelta(days=30)


def logins(clients: Sequence[DemoClient]) -> tuple[DemoLogin, ...]:
    """The owner, the coaches, then the clients who have a login."""
    seekers = [
        DemoLogin(Role.client, demo.full_name, client_email(demo.full_name))
        for demo in clients
        if demo.has_login
    ]
    return (OWNER, *COACHES, *seekers)


async def write_practice(
    session: AsyncSession, clients: Sequence[DemoClient], *, now: datetime
) -> None:
    """Add the organization and everything in it to `session` (flushed, not committed)."""
    founded = now - timedelta(days=max(demo.joined for demo in clients))
    founded -= FOUNDED_BEFORE_FIRST_CLIENT
    organization = Organization(
        id=uuid.uuid4(),
        name=DEMO_ORGANIZATION,
        timezone=DEMO_TIMEZONE,
        keep_in_touch_defaults=dict(KEEP_IN_TOUCH_DEFAULTS),
        created_at=founded,
        updated_at=founded,
    )
    await bind_organization(session, organization.id)
    password_hash = hash_password(DEMO_PASSWORD)
    users = {
        login.email: User(
            id=uuid.uuid4(),
            email=login.email,
            full_name=login.full_name,
            password_hash=password_hash,
            created_at=founded,
            updated_at=founded,
        )
        for login in logins(clients)
    }
    session.add(organization)
    await session.flush()
    for user in users.values():
        # RLS lets a session write only the login it acts for: one at a time.
        await bind_rls_lookup(session, "app.user_id", user.id)
        session.add(user)
        await session.flush()
    session.add_all(
        Membership(
            organization_id=organization.id,
            user_id=users[login.email].id,
            role=login.role,
            created_at=founded,
        )
        for login in (OWNER, *COACHES)
    )

    rows = Rows()
    assignments: list[ClientCoach | Membership] = []
    for demo in clients:
        joined_at = now - timedelta(days=demo.joined)
        email = client_email(demo.full_name)
        client = Client(
            id=uuid.uuid4(),
            organization_id=organization.id,
            full_name=demo.full_name,
            email=email,
            headline=demo.headline,
            target_roles=demo.target_roles,
            target_industries=demo.target_industries,
            locations=demo.locations,
            weekly_outreach_goal=demo.weekly_outreach_goal,
            weekly_informational_goal=demo.weekly_informational_goal,
            notes=demo.notes,
            created_at=joined_at,
            updated_at=joined_at,
        )
        session.add(client)
        coach = users[demo.coach.email]
        assignments.append(
            ClientCoach(
                organization_id=organization.id,
                client_id=client.id,
                coach_id=coach.id,
                created_at=joined_at,
            )
        )
        login = users.get(email) if demo.has_login else None
        if login is not None:
            assignments.append(
                Membership(
                    organization_id=organization.id,
                    user_id=login.id,
                    role=Role.client,
                    client_id=client.id,
                    created_at=joined_at,
                )
            )
        ClientStory(
            rows,
            demo,
            client_id=client.id,
            organization_id=organization.id,
            joined_at=joined_at,
            # Whoever recorded it: the client's own login, or their coach.
            actor_id=(login or coach).id,
            keep_in_touch_defaults=organization.keep_in_touch_defaults,
            now=now,
        ).write()
    await session.flush()
    session.add_all(assignments)
    await rows.insert(session)

    unknown = [name for name in WEBHOOK_EVENT_TYPES if not is_known(name)]
    if unknown:
        raise ValueError(f"demo webhook endpoint: event types not in the catalog: {unknown}")
    session.add(
        WebhookEndpoint(
            organization_id=organization.id,
            url=WEBHOOK_URL,
            description="Demo receiver on loopback, disabled: nothing is ever sent. "
            "Point it at a receiver of your own and enable it to try webhooks.",
            event_types=list(WEBHOOK_EVENT_TYPES),
            enabled=False,
            secret=new_webhook_secret(),
            created_at=founded,
            updated_at=founded,
        )
    )
    await session.flush()
