"""`coach-api seed-demo`: a demo practice that shows the whole product at `/docs`.

An owner, two coaches and eight clients, each showing something (`app/demo/caseload/`):
a search with traction, one stalled, a network gone cold, a job offer, one just begun and
three ordinary ones, with target companies, outreach, informational and job interviews,
referrals obtained in them, goals and follow-ups, and a disabled webhook endpoint.

The data is fixed (nothing random but the ids and the webhook secret) and dated back from
now, so the demo never ages: its scores, warmth and stalls come out the same whenever it
is seeded.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.time import utc_now
from app.db.session import create_engine, create_sessionmaker
from app.db.tenancy import bind_rls_lookup
from app.demo.caseload import CLIENTS
from app.demo.cast import COACHES, DEMO_ORGANIZATION, DEMO_PASSWORD, OWNER
from app.demo.practice import logins, write_practice
from app.models import User

__all__ = [
    "DEMO_ORGANIZATION",
    "DEMO_PASSWORD",
    "FIRST_CALLS",
    "LOGINS",
    "describe_logins",
    "seed_demo",
    "seed_demo_database",
]

LOGINS = logins(CLIENTS)


async def seed_demo(session: AsyncSession, *, now: datetime | None = None) -> bool:
    """Create the demo organization unless its owner exists already; the caller commits.

    Returns whether anything was created.
    """
    # Read through RLS as a sign-in reads a login: by its email.
    await bind_rls_lookup(session, "app.lookup_email", OWNER.email)
    existing = await session.execute(select(User.id).where(User.email == OWNER.email))
    if existing.first() is not None:
        return False
    await write_practice(session, CLIENTS, now=now or utc_now())
    return True


async def seed_demo_database(settings: Settings, url: str | None = None) -> bool:
    """Seed the configured database (or `url`) in one committed transaction. The schema
    must be there: `coach-api seed-demo` migrates first."""
    engine = create_engine(settings, url)
    try:
        async with create_sessionmaker(engine)() as session:
            created = await seed_demo(session)
            await session.commit()
            return created
    finally:
        await engine.dispose()


# The calls worth making first, and what each shows.
FIRST_CALLS = (
    ("GET /api/v1/reports/caseload", "every client's traction score, and who is stalled"),
    ("GET /api/v1/clients/{client_id}/traction", "one client's figures, weeks and score"),
    ("GET /api/v1/agenda", "the coach's week: every action across their clients, ranked"),
)


def describe_logins(*, created: bool) -> str:
    """What `seed-demo` prints: the logins and their password, who is who, where to start."""
    status = "created" if created else "already exists"
    width = max(len(login.email) for login in LOGINS)
    caseloads = {
        coach.email: ", ".join(c.full_name for c in CLIENTS if c.coach == coach)
        for coach in COACHES
    }
    name_width = max(len(c.full_name) for c in CLIENTS)
    call_width = max(len(call) for call, _ in FIRST_CALLS)
    lines = [
        f'Demo organization "{DEMO_ORGANIZATION}" {status}.',
        f"Password for every demo login: {DEMO_PASSWORD}",
        "",
        *(
            f"  {login.role.value:<7} {login.email:<{width}}  {login.full_name}"
            + (f" (coach of {caseloads[login.email]})" if login.email in caseloads else "")
            for login in LOGINS
        ),
        "",
        "The clients:",
        *(f"  {c.full_name:<{name_width}}  {c.state}" for c in CLIENTS),
        "",
        "Sign in with POST /api/v1/auth/token (username = email), or use Authorize at /docs.",
        "Then, as a coach:",
        *(f"  {call:<{call_width}}  {what}" for call, what in FIRST_CALLS),
    ]
    return "\n".join(lines) + "\n"
