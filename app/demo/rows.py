"""The demo's rows, and the order they go into the database in."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Company, Contact, Interaction, Interview, InterviewStageChange, Outreach


@dataclass
class Rows:
    """Everything to insert: contacts, outreach and interviews by the depth of their
    contact, since a contact may name the interview it was suggested in (its parent's)."""

    companies: list[Company] = field(default_factory=list)
    contacts: dict[int, list[Contact]] = field(default_factory=lambda: defaultdict(list))
    outreach: dict[int, list[Outreach]] = field(default_factory=lambda: defaultdict(list))
    interviews: dict[int, list[Interview]] = field(default_factory=lambda: defaultdict(list))
    stage_changes: list[InterviewStageChange] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)

    async def insert(self, session: AsyncSession) -> None:
        """Flush in the order the foreign keys need: companies, then per depth the
        contacts, their outreach and their interviews, then what hangs off them."""
        session.add_all(self.companies)
        await session.flush()
        for depth in sorted(self.contacts):
            for rows in (self.contacts[depth], self.outreach[depth], self.interviews[depth]):
                session.add_all(rows)
                await session.flush()
        session.add_all(self.stage_changes)
        session.add_all(self.interactions)
        await session.flush()
