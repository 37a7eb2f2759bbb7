"""A thank-you logged by hand credits the meetings it follows (see `credit_thank_you`)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.time import utc_now
from app.interviews import repository
from app.interviews.service import take_step
from app.models import Interaction, Interview
from app.models.enums import InteractionDirection, InteractionKind
from app.models.pipeline import InterviewKind, InterviewStage

S = InterviewStage


async def meetings_to_thank(
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    *,
    kind: InteractionKind,
    direction: InteractionDirection,
) -> list[Interview]:
    """The contact's held interviews without a thank-you, locked, if `kind` and
    `direction` make an interaction an outbound thank-you (none otherwise). To be called
    before the contact's row is locked: a transition locks its interview, then the
    contact, and taking them in the same order makes the two queue instead of
    deadlocking."""
    if kind != InteractionKind.thank_you or direction != InteractionDirection.outbound:
        return []
    statement = (
        repository.readable_interviews(principal)
        .where(
            Interview.contact_id == contact_id,
            Interview.held_at.is_not(None),
            Interview.thank_you_sent_at.is_(None),
        )
        .order_by(Interview.held_at, Interview.id)
        .with_for_update(of=Interview)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(statement)).scalars())


async def credit_thank_you(
    session: AsyncSession,
    principal: Principal,
    interaction: Interaction,
    meetings: list[Interview],
) -> list[Interview]:
    """An outbound `thank_you` logged with a contact is the thank-you for the
    `meetings_to_thank` held at or before it (a meeting held later is not what it thanks
    for): `thank_you_sent_at` is set to when it was sent, and an informational interview
    still `held` is followed up as the transition would, without logging the thank-you
    a second time. Returns the interviews credited."""
    credited = [
        interview
        for interview in meetings
        if interview.held_at is not None and interview.held_at <= interaction.occurred_at
    ]
    for interview in credited:
        # Stored stages read back as plain strings: compare by value.
        if interview.kind == InterviewKind.informational and interview.stage == S.held:
            await take_step(
                session,
                principal,
                interview,
                to_stage=S.followed_up,
                when=interaction.occurred_at,
                note=None,
                recorded_at=utc_now(),
                log_thank_you=False,
            )
        else:
            interview.thank_you_sent_at = interaction.occurred_at
    await session.flush()
    return credited
