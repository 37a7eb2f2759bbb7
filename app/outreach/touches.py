"""Pipeline steps that are also touches with a contact (a sent email, a held meeting).

They go through the interactions service's `log_interaction`, so warmth,
`last_contacted_at`, `next_touch_due_at` and the `interaction.created` event
follow exactly the rules of a hand-logged interaction, in the caller's transaction.
"""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.errors import Unprocessable
from app.core.time import MAX_CLOCK_SKEW, utc_now
from app.interactions import service as interactions
from app.models import Interaction
from app.models.enums import InteractionDirection, InteractionKind


def happened_at(at: datetime | None, *, field: str) -> datetime:
    """`at` (default now), refused with a 422 naming `field` if it is in the future."""
    now = utc_now()
    if at is None:
        return now
    if at > now + MAX_CLOCK_SKEW:
        raise Unprocessable(
            f"`{field}` is in the future; record a step once it has happened.",
            errors=[{"loc": ["body", field], "msg": "in the future", "type": "future"}],
        )
    return at


async def record_touch(
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    *,
    kind: InteractionKind,
    direction: InteractionDirection,
    occurred_at: datetime,
    summary: str | None,
) -> Interaction:
    """Log the interaction a pipeline step amounts to; the contact row is locked first so
    concurrent touches update it one after the other."""
    contact = await interactions.get_contact(session, principal, contact_id, for_update=True)
    return await interactions.log_interaction(
        session,
        principal,
        contact,
        kind=kind,
        direction=direction,
        occurred_at=occurred_at,
        summary=summary,
    )
