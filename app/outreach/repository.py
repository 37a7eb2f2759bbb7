"""The door to outreach."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.models import Outreach


def readable_outreach(principal: Principal) -> Select[Outreach]:
    """Outreach under the clients the caller may see."""
    return select(Outreach).where(Outreach.client_id.in_(readable_client_ids(principal)))


async def get_readable(
    session: AsyncSession,
    principal: Principal,
    outreach_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Outreach | None:
    """`for_update` locks the row, so that concurrent moves run one after the other and
    the later one sees the earlier one's result (a 409, not a lost update)."""
    statement = readable_outreach(principal).where(Outreach.id == outreach_id)
    if for_update:
        statement = statement.with_for_update(of=Outreach).execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()
