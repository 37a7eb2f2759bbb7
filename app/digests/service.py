"""A member's digest preferences (`/me/digest`) and the one-click unsubscribe.

Preferences belong to one membership: a person in two practices chooses per practice.
A member who never chose has the defaults: **weekly, on Monday at 8:00, in the
organization's time zone**, for staff and clients alike (a client's week of next steps
and wins is as useful on a Monday morning as a coach's caseload; daily would be noise
for most clients, and `never` would hide the feature from them). The zone stays the
organization's, following it when it changes, until the member picks one.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.digests import periods, repository, tokens
from app.digests.schemas import DigestPreferencesRead, DigestPreferencesUpdate
from app.models import DigestFrequency, DigestPreference, Membership, Organization


def schedule_of(
    preference: DigestPreference | None, organization_timezone: str
) -> periods.Schedule:
    if preference is None:
        return periods.Schedule(
            periods.DEFAULT_FREQUENCY,
            periods.DEFAULT_WEEKDAY,
            periods.DEFAULT_HOUR,
            organization_timezone,
        )
    return periods.Schedule(
        DigestFrequency(preference.frequency),
        preference.weekday,
        preference.hour,
        preference.timezone or organization_timezone,
    )


def preferences_read(
    preference: DigestPreference | None, organization: Organization
) -> DigestPreferencesRead:
    schedule = schedule_of(preference, organization.timezone)
    period = periods.current_period(schedule, utc_now())
    return DigestPreferencesRead(
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        weekday_name=periods.WEEKDAY_NAMES[schedule.weekday],
        hour=schedule.hour,
        timezone=schedule.timezone,
        timezone_is_organization_default=preference is None or preference.timezone is None,
        next_digest_at=period.next_start if period is not None else None,
        last_period_start=preference.last_period_start if preference is not None else None,
    )


async def _membership(session: AsyncSession, principal: Principal) -> Membership:
    assert principal.user_id is not None  # members only (`Authorize(scope=None)`)
    membership = await repository.own_membership(session, principal.user_id)
    if membership is None:  # authentication read it in this transaction
        raise NotFound("No membership.")
    return membership


async def get(session: AsyncSession, principal: Principal) -> DigestPreferencesRead:
    """The caller's preferences in its organization (the defaults if it never chose)."""
    membership = await _membership(session, principal)
    organization = await session.get_one(Organization, principal.organization_id)
    return preferences_read(await repository.preference_of(session, membership.id), organization)


def _new_row(membership: Membership) -> DigestPreference:
    return DigestPreference(
        id=uuid.uuid4(),
        organization_id=membership.organization_id,
        membership_id=membership.id,
        frequency=periods.DEFAULT_FREQUENCY,
        weekday=periods.DEFAULT_WEEKDAY,
        hour=periods.DEFAULT_HOUR,
        timezone=None,
    )


async def update(
    session: AsyncSession, principal: Principal, changes: DigestPreferencesUpdate
) -> DigestPreferencesRead:
    """Change the fields sent; the others keep their value (or default)."""
    membership = await _membership(session, principal)
    preference = await repository.preference_of(session, membership.id)
    if preference is None:
        preference = _new_row(membership)
        session.add(preference)
    if changes.frequency is not None:
        preference.frequency = changes.frequency
    weekday = changes.weekday_number()
    if weekday is not None:
        preference.weekday = weekday
    if changes.hour is not None:
        preference.hour = changes.hour
    if changes.timezone is not None:
        preference.timezone = changes.timezone
    await session.flush()
    organization = await session.get_one(Organization, principal.organization_id)
    return preferences_read(preference, organization)


async def _token_membership(session: AsyncSession, settings: Settings, token: str) -> Membership:
    """The membership an unsubscribe token names, the session bound to its organization;
    404 for a token this server did not sign, or a member since removed."""
    found = tokens.read_token(settings, token)
    if found is None:
        raise NotFound("No digest subscription with this token.")
    membership_id, organization_id = found
    await bind_organization(session, organization_id)
    membership = await session.get(Membership, membership_id)
    if membership is None or membership.organization_id != organization_id:
        raise NotFound("No digest subscription with this token.")
    return membership


async def check_unsubscribe(session: AsyncSession, settings: Settings, token: str) -> None:
    """404 unless the token is one this server signed for a current member."""
    await _token_membership(session, settings, token)


async def unsubscribe(session: AsyncSession, settings: Settings, token: str) -> None:
    """Switch the token's member's digest off (`never`); again is the same."""
    membership = await _token_membership(session, settings, token)
    preference = await repository.preference_of(session, membership.id)
    if preference is None:
        preference = _new_row(membership)
        session.add(preference)
    preference.frequency = DigestFrequency.never
    await session.flush()
