"""Erasure of one client anonymises in place rather than deleting: every row under the
client stays, stripped of personal data and free text, so the organization's reports and
traction still count the outreach sent, interviews held, contacts and referrals.
Deleting rows and keeping a counts snapshot would freeze every report at the erasure and
break the weekly series and per-coach figures. What goes:

* the client: name (→ "Erased client"), email, headline, coach notes, targets and
  locations; its status becomes `archived`;
* contacts: name (→ "Erased contact"), email, phone, LinkedIn, employer, title, notes
  and tags (relationship, source and role at a company stay: they carry no identity);
* interactions' summaries; outreach subjects, messages and questions; interviews'
  location, agenda, questions, notes, advice and coach notes; stage-change notes;
  companies' reasons and research notes (a company itself is not personal data);
* events about the client: their data becomes `{"erased": true, "id": …}`, deliveries
  of them not yet sent are withdrawn, and the receivers' answers logged for the sent
  ones are cleared;
* stored `Idempotency-Key` responses of requests that wrote the client's data: blanked,
  so a retry answers 409 and never replays what was erased;
* the client's logins (client-role memberships) and invitations for it, and the emails
  about it (its logins' invitations), sent or not; a login's user account is deleted
  when it belongs to no other organization.

The audit log is kept: it names objects and fields, never values. One `erase` entry
records the erasure (its bulk statements are not recorded row by row). Erasing again is
harmless and needs no name (the name is gone): it re-applies the same anonymisation.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import recorder
from app.auth.permissions import require_role
from app.auth.principal import Principal
from app.core.errors import Unprocessable
from app.core.time import utc_now
from app.db.tenancy import bind_rls_lookup, unscoped
from app.idempotency import service as idempotency
from app.models import (
    AuditAction,
    AuditEntry,
    Client,
    Company,
    Contact,
    DeliveryStatus,
    EmailMessage,
    Event,
    Interaction,
    Interview,
    InterviewStageChange,
    Invitation,
    Membership,
    Outreach,
    RefreshToken,
    User,
    WebhookAttempt,
    WebhookDelivery,
)
from app.models.enums import ADMIN_ROLES, ClientStatus, Role
from app.privacy.concerning import about, concerning
from app.privacy.schemas import ErasureRead

ERASED_CLIENT_NAME = "Erased client"
ERASED_CONTACT_NAME = "Erased contact"


_CLIENT: dict[str, Any] = {
    "full_name": ERASED_CLIENT_NAME,
    "email": None,
    "headline": None,
    "notes": None,
    "target_roles": [],
    "target_industries": [],
    "locations": [],
    "status": ClientStatus.archived,
}
# Per model under the client: the columns replaced, and whether it carries a version.
_UNDER_CLIENT: tuple[tuple[type[Any], dict[str, Any], bool], ...] = (
    (
        Contact,
        {
            "full_name": ERASED_CONTACT_NAME,
            "email": None,
            "email_normalized": None,
            "phone": None,
            "linkedin_url": None,
            "linkedin_normalized": None,
            "company_name": None,
            "title": None,
            "notes": None,
            "tags": [],
        },
        True,
    ),
    (Interaction, {"summary": None}, False),
    (Company, {"why_interested": None, "research_notes": None}, True),
    (Outreach, {"subject": None, "message": None, "questions": []}, True),
    (
        Interview,
        {
            "location": None,
            "agenda": None,
            "questions": [],
            "notes": None,
            "advice": None,
            "coach_notes": None,
        },
        True,
    ),
)


async def erase(
    session: AsyncSession, principal: Principal, client: Client, *, confirm_name: str
) -> ErasureRead:
    """Anonymise `client` (already found readable) and everything under it.

    Owners and admins only (403 otherwise); `confirm_name` must be the client's name
    exactly (422), unless the client was erased already."""
    require_role(principal, ADMIN_ROLES, "erase clients")
    if confirm_name != client.full_name and not await _was_erased(session, client):
        raise Unprocessable(
            "`confirm_name` does not match the client's full name.",
            errors=[
                {
                    "loc": ["body", "confirm_name"],
                    "msg": "does not match the client's full name, exactly",
                    "type": "confirm_name",
                }
            ],
        )
    now = utc_now()
    quiet = {**recorder.recorded_elsewhere(), "synchronize_session": False}
    counts: dict[str, int] = {}
    for model, values, versioned in _UNDER_CLIENT:
        bookkeeping: dict[str, Any] = {"updated_at": now}
        if versioned:
            bookkeeping["version"] = model.version + 1
        result = await session.execute(
            update(model)
            .where(model.client_id == client.id)
            .values(**values, **bookkeeping)
            .execution_options(**quiet)
        )
        counts[model.__tablename__] = _rowcount(result)
    await session.execute(
        update(InterviewStageChange)
        .where(
            InterviewStageChange.interview_id.in_(
                select(Interview.id).where(Interview.client_id == client.id)
            )
        )
        .values(note=None)
        .execution_options(**quiet)
    )
    counts |= await _erase_events(session, client, quiet)
    await idempotency.forget_client(session, client.id)
    counts |= await _remove_logins(session, client, quiet)
    await session.execute(
        update(Client)
        .where(Client.id == client.id)
        .values(**_CLIENT, version=Client.version + 1, updated_at=now)
        .execution_options(**quiet)
    )
    recorder.record(
        session,
        organization_id=client.organization_id,
        action=AuditAction.erase,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        changes=_erased_fields(),
    )
    await session.flush()
    return ErasureRead(
        client_id=client.id,
        erased_at=now,
        contacts=counts["contacts"],
        interactions=counts["interactions"],
        companies=counts["companies"],
        outreach=counts["outreach"],
        interviews=counts["interviews"],
        events=counts["events"],
        webhook_deliveries_cancelled=counts["webhook_deliveries"],
        logins_removed=counts["memberships"],
        invitations_deleted=counts["invitations"],
    )


async def _was_erased(session: AsyncSession, client: Client) -> bool:
    if client.full_name != ERASED_CLIENT_NAME:
        return False
    entry = await session.execute(
        select(AuditEntry.id)
        .where(
            AuditEntry.action == AuditAction.erase,
            AuditEntry.object_type == "client",
            AuditEntry.object_id == client.id,
        )
        .limit(1)
    )
    return entry.first() is not None


async def _erase_events(
    session: AsyncSession, client: Client, quiet: dict[str, Any]
) -> dict[str, int]:
    """Replace the data of every event about the client; withdraw unsent deliveries."""
    rows = await session.execute(
        select(Event.id, Event.client_id, Event.payload).where(concerning(client))
    )
    erased = [
        {"id": row.id, "payload": {"erased": True, "id": _subject_id(row.payload)}}
        for row in rows
        if about(row, client)
    ]
    cancelled = 0
    if erased:
        # UPDATE by primary key, one executemany: each event keeps its own subject's id.
        await session.execute(update(Event).execution_options(**quiet), erased)
        erased_ids = [row["id"] for row in erased]
        await session.execute(
            update(WebhookAttempt)
            .where(
                WebhookAttempt.delivery_id.in_(
                    select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(erased_ids))
                )
            )
            .values(response_body=None, response_headers=None)
            .execution_options(**quiet)
        )
        result = await session.execute(
            delete(WebhookDelivery)
            .where(
                WebhookDelivery.event_id.in_(erased_ids),
                WebhookDelivery.status == DeliveryStatus.pending,
            )
            .execution_options(**quiet)
        )
        cancelled = _rowcount(result)
    return {"events": len(erased), "webhook_deliveries": cancelled}


def _subject_id(payload: dict[str, Any]) -> Any:
    """The id of what the event was about (a member is named by user id)."""
    return payload.get("id", payload.get("user_id"))


async def _remove_logins(
    session: AsyncSession, client: Client, quiet: dict[str, Any]
) -> dict[str, int]:
    """Remove the client's logins and invitations; delete a login's user account when it
    belongs to no other organization."""
    logins = await session.execute(
        select(Membership.user_id).where(
            Membership.client_id == client.id, Membership.role == Role.client
        )
    )
    user_ids: Sequence[uuid.UUID] = logins.scalars().all()
    if user_ids:
        await session.execute(
            delete(Membership)
            .where(Membership.user_id.in_(user_ids), Membership.client_id == client.id)
            .execution_options(**quiet)
        )
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id.in_(user_ids), RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utc_now())
            .execution_options(**quiet)
        )
    for user_id in user_ids:
        # A user's memberships in every organization are visible for this one lookup.
        await bind_rls_lookup(session, "app.user_id", user_id)
        elsewhere = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.user_id == user_id)
            .execution_options(**unscoped())
        )
        if not elsewhere:
            await session.execute(delete(User).where(User.id == user_id))
    invitations = await session.execute(
        delete(Invitation).where(Invitation.client_id == client.id).execution_options(**quiet)
    )
    await session.execute(
        delete(EmailMessage).where(
            EmailMessage.organization_id == client.organization_id,
            EmailMessage.client_id == client.id,
        )
    )
    return {"memberships": len(user_ids), "invitations": _rowcount(invitations)}


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _erased_fields() -> list[str]:
    """What an erasure clears, as `table.column` names (the audit entry's `changes`)."""
    fields = [f"clients.{name}" for name in _CLIENT]
    for model, values, _ in _UNDER_CLIENT:
        fields += [f"{model.__tablename__}.{name}" for name in values]
    return [
        *fields,
        "interview_stage_changes.note",
        "events.payload",
        "webhook_attempts.response_body",
        "idempotency_records.response_body",
        "memberships",
        "invitations",
    ]
