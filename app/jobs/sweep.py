"""The periodic sweep: the time-based events nothing else would write.

* `contact.went_cold`: a contact's last touch is older than its organization's
  `cold_after_days` (the warmth rule of `app.contacts.warmth`).
* `client.stalled`: an active client has not moved for `stalled_after_days` (the rule
  and what counts as moving: `app.clients.momentum`).

Once per crossing, not once per sweep: the row remembers which state it was announced
for (`Contact.cold_notified_for` = the `last_contacted_at` it went cold from,
`Client.stalled_notified_for` = the time it last moved). A newer touch or move makes
the stored value stale, which re-arms the row without any other code resetting it.

Set-based and cross-tenant: the worker's privileged role runs one claiming `UPDATE …
RETURNING` per distinct threshold for all organizations at once; the claim flips the
state and the events are written in the same transaction, so a crash loses nothing and
a crossing is announced exactly once. On PostgreSQL a transaction-level advisory lock
lets one worker sweep at a time (the others skip the turn); SQLite has one writer.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clients import repository as clients_repository
from app.clients.momentum import last_moved_at, quiet_since, stalled_since
from app.clients.schemas import ClientRead
from app.clients.service import ClientView, client_read
from app.contacts.service import ContactView, contact_read
from app.contacts.warmth import warmth_bounds
from app.core.time import utc_now
from app.db.tenancy import bind_organization, unscoped
from app.events.service import NewEvent, record_events
from app.models import Client, Contact, Organization
from app.models.enums import ClientStatus, Warmth

# Crossings claimed per transaction; a backlog (a first sweep, a lowered threshold)
# is worked through in several.
BATCH_SIZE = 500
# Any fixed 64-bit number works; this one spells "sweep" in ASCII.
_ADVISORY_LOCK_KEY = 0x7377656570


@dataclass(frozen=True, slots=True)
class _Crossing:
    id: uuid.UUID
    organization_id: uuid.UUID
    threshold_days: int


class ClientStalledData(BaseModel):
    """The `data` of `client.stalled`."""

    client: ClientRead
    last_moved_at: datetime | None = Field(
        description="The client's latest moving event; null if nothing ever moved."
    )
    stalled_after_days: int


@dataclass(frozen=True, slots=True)
class SweepResult:
    went_cold: int = 0
    stalled: int = 0


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    organization_ids: Collection[uuid.UUID] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SweepResult:
    """Announce every crossing due now; returns how many of each were announced.

    `organization_ids` narrows the sweep (tests, or a worker dedicated to some tenants).
    """
    went_cold = stalled = 0
    while True:
        async with sessionmaker() as session:
            if not await _take_turn(session):
                break
            now = utc_now()
            cold = await _claim_cold(session, now, organization_ids, batch_size)
            await _announce_cold(session, cold)
            stalls = await _claim_stalled(session, now, organization_ids, batch_size)
            await _announce_stalled(session, stalls)
            await session.commit()
        went_cold += len(cold)
        stalled += len(stalls)
        if len(cold) < batch_size and len(stalls) < batch_size:
            break
    return SweepResult(went_cold=went_cold, stalled=stalled)


async def _take_turn(session: AsyncSession) -> bool:
    """On PostgreSQL, one sweeper at a time (released at commit); SQLite serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
    )
    return bool(taken)


async def _thresholds(
    session: AsyncSession, column: Any, organization_ids: Collection[uuid.UUID] | None
) -> Sequence[int]:
    """The distinct values of an organization setting: one claim statement per value."""
    statement = select(column).distinct()
    if organization_ids is not None:
        statement = statement.where(Organization.id.in_(list(organization_ids)))
    return (await session.execute(statement)).scalars().all()


def _organizations_with(
    column: Any, days: int, organization_ids: Collection[uuid.UUID] | None
) -> Select[uuid.UUID]:
    statement = select(Organization.id).where(column == days)
    if organization_ids is not None:
        statement = statement.where(Organization.id.in_(list(organization_ids)))
    return statement


def _lock_skipping(session: AsyncSession, statement: Select[Any]) -> Select[Any]:
    # Rows a request holds right now are left for the next sweep rather than waited on.
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


async def _claim_cold(
    session: AsyncSession,
    now: datetime,
    organization_ids: Collection[uuid.UUID] | None,
    limit: int,
) -> list[_Crossing]:
    """Flip contacts that went cold since their last announcement; return them."""
    claimed: list[_Crossing] = []
    for days in await _thresholds(session, Organization.cold_after_days, organization_ids):
        if len(claimed) >= limit:
            break
        _, cooling_since = warmth_bounds(days, now)
        unannounced: ColumnElement[bool] = or_(
            Contact.cold_notified_for.is_(None),
            Contact.last_contacted_at > Contact.cold_notified_for,
        )
        due = select(Contact.id).where(
            Contact.organization_id.in_(
                _organizations_with(Organization.cold_after_days, days, organization_ids)
            ),
            Contact.last_contacted_at < cooling_since,
            unannounced,
        )
        due = _lock_skipping(session, due.limit(limit - len(claimed)))
        claim = (
            update(Contact)
            .where(Contact.id.in_(due.scalar_subquery()), unannounced)
            # The resource did not change: keep `updated_at` (and the ETag's version).
            .values(cold_notified_for=Contact.last_contacted_at, updated_at=Contact.updated_at)
            .returning(Contact.id, Contact.organization_id)
            .execution_options(synchronize_session=False, **unscoped())
        )
        rows = (await session.execute(claim)).all()
        claimed += [_Crossing(row[0], row[1], days) for row in rows]
    return claimed


async def _claim_stalled(
    session: AsyncSession,
    now: datetime,
    organization_ids: Collection[uuid.UUID] | None,
    limit: int,
) -> list[_Crossing]:
    """Flip active clients that stalled since their last announcement; return them."""
    claimed: list[_Crossing] = []
    for days in await _thresholds(session, Organization.stalled_after_days, organization_ids):
        if len(claimed) >= limit:
            break
        quiet = quiet_since()
        unannounced: ColumnElement[bool] = or_(
            Client.stalled_notified_for.is_(None), quiet > Client.stalled_notified_for
        )
        due = select(Client.id).where(
            Client.organization_id.in_(
                _organizations_with(Organization.stalled_after_days, days, organization_ids)
            ),
            Client.status == ClientStatus.active,
            quiet < stalled_since(now, days),
            unannounced,
        )
        due = _lock_skipping(session, due.limit(limit - len(claimed)))
        claim = (
            update(Client)
            .where(Client.id.in_(due.scalar_subquery()), unannounced)
            .values(stalled_notified_for=quiet, updated_at=Client.updated_at)
            .returning(Client.id, Client.organization_id)
            .execution_options(synchronize_session=False, **unscoped())
        )
        rows = (await session.execute(claim)).all()
        claimed += [_Crossing(row[0], row[1], days) for row in rows]
    return claimed


def _by_organization(crossings: list[_Crossing]) -> dict[uuid.UUID, list[_Crossing]]:
    grouped: dict[uuid.UUID, list[_Crossing]] = defaultdict(list)
    for crossing in crossings:
        grouped[crossing.organization_id].append(crossing)
    return grouped


async def _announce_cold(session: AsyncSession, crossings: list[_Crossing]) -> None:
    for organization_id, group in _by_organization(crossings).items():
        # From here on the session is scoped like a request of that organization.
        await bind_organization(session, organization_id)
        contacts = (
            await session.execute(select(Contact).where(Contact.id.in_([c.id for c in group])))
        ).scalars()
        await record_events(
            session,
            organization_id=organization_id,
            events=[
                NewEvent(
                    "contact.went_cold",
                    contact.client_id,
                    contact_read(ContactView(contact, Warmth.cold)),
                )
                for contact in contacts
            ],
        )


async def _announce_stalled(session: AsyncSession, crossings: list[_Crossing]) -> None:
    for organization_id, group in _by_organization(crossings).items():
        await bind_organization(session, organization_id)
        days = {c.id: c.threshold_days for c in group}
        rows = (
            await session.execute(
                select(Client, last_moved_at().label("last_moved_at")).where(
                    Client.id.in_(list(days))
                )
            )
        ).all()
        coaches = await clients_repository.coach_ids_by_client(session, list(days))
        await record_events(
            session,
            organization_id=organization_id,
            events=[
                NewEvent(
                    "client.stalled",
                    client.id,
                    ClientStalledData(
                        client=client_read(ClientView(client, coaches[client.id])),
                        last_moved_at=moved,
                        stalled_after_days=days[client.id],
                    ),
                )
                for client, moved in rows
            ],
        )
