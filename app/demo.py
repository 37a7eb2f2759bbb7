"""`coach-api seed-demo`: an organization with a coach, three clients and their
contact trees, so a newcomer sees something real at `/docs`.

The data is fixed (no randomness) and dated relative to now, so warmth varies:
some contacts are warm, some cooling, some cold, some never contacted.
"""

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.cadence import refresh_next_touch_due
from app.contacts.normalise import normalise_email, normalise_linkedin
from app.core.config import Settings
from app.core.security import hash_password
from app.core.time import utc_now
from app.db.session import create_engine, create_sessionmaker
from app.db.tenancy import bind_organization
from app.models import Client, ClientCoach, Contact, Interaction, Membership, Organization, User
from app.models.enums import (
    ContactSource,
    InteractionDirection,
    InteractionKind,
    Relationship,
    Role,
    RoleAtCompany,
)

DEMO_ORGANIZATION = "Demo Coaching"
# Printed on purpose: demo data for a local database, never a real account.
DEMO_PASSWORD = "demo-coaching-2026"  # noqa: S105
DEMO_DOMAIN = "demo-coaching.example.com"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: Role
    full_name: str
    email: str


OWNER = DemoLogin(Role.owner, "Olivia Owner", f"olivia.owner@{DEMO_DOMAIN}")
COACH = DemoLogin(Role.coach, "Cameron Coach", f"cameron.coach@{DEMO_DOMAIN}")


@dataclass(frozen=True, slots=True)
class Person:
    """A demo contact and the people they introduced the client to."""

    name: str
    company: str | None
    title: str | None
    relationship: Relationship = Relationship.work
    source: ContactSource = ContactSource.referral
    role: RoleAtCompany | None = None
    # Days ago of each interaction; empty means never contacted.
    touches: tuple[int, ...] = ()
    keep_in_touch_days: int | None = None
    referrals: tuple["Person", ...] = ()


@dataclass(frozen=True, slots=True)
class DemoClient:
    login: DemoLogin
    headline: str
    target_roles: list[str]
    target_industries: list[str]
    locations: list[str]
    network: tuple[Person, ...] = field(default_factory=tuple)


_R, _S, _A = Relationship, ContactSource, RoleAtCompany

MAYA = DemoClient(
    DemoLogin(Role.client, "Maya Patel", f"maya.patel@{DEMO_DOMAIN}"),
    headline="Product manager moving into fintech",
    target_roles=["Senior Product Manager"],
    target_industries=["Fintech", "Payments"],
    locations=["Berlin", "Remote"],
    network=(
        Person(
            "Priya Raman",
            "Northwind Bank",
            "VP Product",
            _R.work,
            _S.personal_network,
            _A.executive,
            touches=(40, 12, 2),
            keep_in_touch_days=21,
            referrals=(
                Person(
                    "Tom Walsh",
                    "Northwind Bank",
                    "Senior Product Manager",
                    role=_A.peer,
                    touches=(18, 5),
                    referrals=(
                        Person(
                            "Lena Vogel",
                            "Contoso Pay",
                            "Head of Payments Product",
                            _R.professional_association,
                            role=_A.hiring_manager,
                            touches=(8,),
                            referrals=(
                                Person(
                                    "Marco Rossi",
                                    "Fabrikam Finance",
                                    "Director of Product",
                                    role=_A.hiring_manager,
                                    touches=(3,),
                                    referrals=(
                                        Person(
                                            "Sofia Lindqvist",
                                            "Fabrikam Finance",
                                            "Engineering Manager",
                                            role=_A.peer,
                                        ),
                                    ),
                                ),
                            ),
                        ),
                        Person(
                            "Hannah Schulz",
                            "Northwind Bank",
                            "Talent Partner",
                            role=_A.recruiter,
                            touches=(25,),
                        ),
                    ),
                ),
            ),
        ),
        Person(
            "Daniel Kim",
            "Tailspin Capital",
            "Product Lead",
            _R.alumni,
            _S.personal_network,
            _A.peer,
            touches=(50, 33),
            referrals=(
                Person(
                    "Aisha Bello",
                    "Tailspin Capital",
                    "HR Business Partner",
                    role=_A.hr,
                    touches=(45,),
                ),
            ),
        ),
        Person(
            "Greta Müller",
            None,
            "Product coach",
            _R.social,
            _S.personal_network,
            touches=(1,),
            referrals=(Person("Felix Braun", "Litware", "CPO", role=_A.executive, touches=(20,)),),
        ),
        Person("Omar Haddad", "Woodgrove Bank", "Principal PM", _R.other, _S.linkedin, _A.peer),
        Person(
            "Nina Petrova",
            "Fintech Weekly",
            "Editor",
            _R.other,
            _S.industry_publication,
            touches=(58,),
        ),
    ),
)

JONAS = DemoClient(
    DemoLogin(Role.client, "Jonas Berg", f"jonas.berg@{DEMO_DOMAIN}"),
    headline="Data engineer looking for climate tech",
    target_roles=["Data Engineer", "Analytics Engineer"],
    target_industries=["Climate tech", "Energy"],
    locations=["Copenhagen", "Hamburg"],
    network=(
        Person(
            "Ingrid Larsen",
            "Contoso Energy",
            "Data Platform Lead",
            _R.work,
            _S.personal_network,
            _A.hiring_manager,
            touches=(16, 4),
            keep_in_touch_days=14,
            referrals=(
                Person(
                    "Ravi Shah",
                    "Contoso Energy",
                    "Staff Data Engineer",
                    role=_A.peer,
                    touches=(6,),
                    referrals=(
                        Person(
                            "Emma Clarke",
                            "GreenGrid",
                            "Analytics Manager",
                            role=_A.hiring_manager,
                            touches=(11,),
                            referrals=(
                                Person(
                                    "Lucas Moreau",
                                    "GreenGrid",
                                    "VP Engineering",
                                    role=_A.executive,
                                    touches=(14,),
                                    referrals=(
                                        Person(
                                            "Yuki Tanaka",
                                            "Solarix",
                                            "Data Engineering Manager",
                                            role=_A.hiring_manager,
                                            touches=(2,),
                                        ),
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
                Person(
                    "Peter Novak",
                    "Contoso Energy",
                    "Recruiter",
                    role=_A.recruiter,
                    touches=(35,),
                ),
            ),
        ),
        Person(
            "Sara Lind",
            "WindWorks",
            "ML Engineer",
            _R.alumni,
            _S.event,
            _A.peer,
            touches=(22,),
            referrals=(
                Person(
                    "Mateo García",
                    "WindWorks",
                    "Head of Data",
                    role=_A.hiring_manager,
                    touches=(27,),
                    referrals=(Person("Chloé Martin", "Adatum Climate", "CTO", role=_A.executive),),
                ),
            ),
        ),
        Person(
            "Kofi Mensah",
            "Fabrikam Logistics",
            "Operations Director",
            _R.family,
            _S.personal_network,
            touches=(48,),
        ),
        Person(
            "Julia Weber",
            "Northwind Utilities",
            "Talent Acquisition",
            _R.other,
            _S.company_call,
            _A.hr,
            touches=(9,),
        ),
    ),
)

LUCIA = DemoClient(
    DemoLogin(Role.client, "Lucía Fernández", f"lucia.fernandez@{DEMO_DOMAIN}"),
    headline="UX researcher focused on health tech",
    target_roles=["Senior UX Researcher"],
    target_industries=["Health tech"],
    locations=["Madrid", "Remote"],
    network=(
        Person(
            "Carmen Ortiz",
            "Contoso Health",
            "Design Director",
            _R.work,
            _S.personal_network,
            _A.executive,
            touches=(29, 13, 3),
            keep_in_touch_days=30,
            referrals=(
                Person(
                    "Ben Harris",
                    "Contoso Health",
                    "UX Research Lead",
                    role=_A.hiring_manager,
                    touches=(7,),
                    referrals=(
                        Person(
                            "Mei Wong",
                            "Litware Medical",
                            "Principal Researcher",
                            role=_A.peer,
                            touches=(17,),
                            referrals=(
                                Person(
                                    "Ahmed Karim",
                                    "Litware Medical",
                                    "Head of Design",
                                    role=_A.hiring_manager,
                                    touches=(24,),
                                    referrals=(
                                        Person(
                                            "Olga Ivanova",
                                            "Adventure Works Health",
                                            "VP Product Design",
                                            role=_A.executive,
                                            touches=(10,),
                                        ),
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
                Person(
                    "Diego Silva",
                    "Contoso Health",
                    "Recruiter",
                    _R.work,
                    _S.internal_contact,
                    _A.recruiter,
                    touches=(19,),
                ),
            ),
        ),
        Person(
            "Patrick O'Brien",
            "Research Ops Guild",
            "Organiser",
            _R.professional_association,
            _S.event,
            touches=(40,),
            referrals=(
                Person(
                    "Fatima Zahra",
                    "Fabrikam Clinics",
                    "Research Ops Manager",
                    role=_A.peer,
                    touches=(44,),
                ),
            ),
        ),
        Person(
            "Elena Costa",
            "Proseware Health",
            "Senior UX Researcher",
            _R.alumni,
            _S.linkedin,
            _A.peer,
            touches=(55,),
        ),
        Person("Grace Liu", None, None, _R.social, _S.personal_network),
    ),
)

DEMO_CLIENTS = (MAYA, JONAS, LUCIA)
LOGINS = (OWNER, COACH, *(c.login for c in DEMO_CLIENTS))

# Oldest touch first: a first email, then calls and meetings, then thanks.
_KIND_SEQUENCE = (
    InteractionKind.email,
    InteractionKind.call,
    InteractionKind.thank_you,
    InteractionKind.meeting,
)
_SUMMARIES = {
    InteractionKind.email: "Emailed {first} asking for 20 minutes about {where}.",
    InteractionKind.call: "Call with {first}: how {where} hires, and who else to talk to.",
    InteractionKind.thank_you: "Thank-you note to {first}, with the article we discussed.",
    InteractionKind.meeting: "Coffee with {first}; they offered an introduction.",
}


async def seed_demo(session: AsyncSession, *, now: datetime | None = None) -> bool:
    """Create the demo organization unless its owner exists already; the caller commits.

    Returns whether anything was created.
    """
    existing = await session.execute(select(User.id).where(User.email == OWNER.email))
    if existing.first() is not None:
        return False
    now = now or utc_now()
    organization = Organization(id=uuid.uuid4(), name=DEMO_ORGANIZATION)
    await bind_organization(session, organization.id)
    password_hash = hash_password(DEMO_PASSWORD)
    users = {
        login.email: User(
            id=uuid.uuid4(),
            email=login.email,
            full_name=login.full_name,
            password_hash=password_hash,
        )
        for login in LOGINS
    }
    session.add(organization)
    session.add_all(users.values())
    await session.flush()

    coach = users[COACH.email]
    clients = {
        demo.login.email: Client(
            id=uuid.uuid4(),
            organization_id=organization.id,
            full_name=demo.login.full_name,
            email=demo.login.email,
            headline=demo.headline,
            target_roles=demo.target_roles,
            target_industries=demo.target_industries,
            locations=demo.locations,
            weekly_outreach_goal=10,
            weekly_informational_goal=2,
            created_at=now - timedelta(days=70),
        )
        for demo in DEMO_CLIENTS
    }
    session.add_all(clients.values())
    await session.flush()
    session.add_all(
        Membership(organization_id=organization.id, user_id=users[login.email].id, role=login.role)
        for login in (OWNER, COACH)
    )
    for demo in DEMO_CLIENTS:
        client = clients[demo.login.email]
        session.add(
            ClientCoach(organization_id=organization.id, client_id=client.id, coach_id=coach.id)
        )
        session.add(
            Membership(
                organization_id=organization.id,
                user_id=users[demo.login.email].id,
                role=Role.client,
                client_id=client.id,
            )
        )
    contacts: list[Contact] = []
    interactions: list[Interaction] = []
    for demo in DEMO_CLIENTS:
        for person in demo.network:
            _add_branch(
                contacts,
                interactions,
                clients[demo.login.email],
                users[demo.login.email],
                person,
                parent=None,
                now=now,
            )
    # Parents come before their children in `contacts`, and rows of one table are
    # inserted in the order they were added.
    session.add_all(contacts)
    await session.flush()
    session.add_all(interactions)
    await session.flush()
    return True


def _add_branch(
    contacts: list[Contact],
    interactions: list[Interaction],
    client: Client,
    seeker: User,
    person: Person,
    *,
    parent: Contact | None,
    now: datetime,
) -> None:
    """Add a contact, its interactions and, after it, everyone it referred (parents
    are inserted before their children)."""
    touched = [now - timedelta(days=days, hours=3) for days in sorted(person.touches, reverse=True)]
    created_at = now - timedelta(days=max(person.touches, default=0) + 6)
    email, profile = _contact_details(person)
    contact = Contact(
        id=uuid.uuid4(),
        organization_id=client.organization_id,
        client_id=client.id,
        referred_by_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        full_name=person.name,
        email=email,
        email_normalized=normalise_email(email),
        linkedin_url=profile,
        linkedin_normalized=normalise_linkedin(profile),
        company_name=person.company,
        title=person.title,
        relationship=person.relationship,
        source=person.source,
        role_at_company=person.role,
        strength=min(5, 2 + len(person.touches)),
        tags=[person.company.split()[0].lower()] if person.company else [],
        keep_in_touch_days=person.keep_in_touch_days,
        last_contacted_at=touched[-1] if touched else None,
        created_at=created_at,
        updated_at=touched[-1] if touched else created_at,
    )
    refresh_next_touch_due(contact, {}, now=now)
    contacts.append(contact)
    first_name = person.name.split()[0]
    for index, occurred_at in enumerate(touched):
        kind = _KIND_SEQUENCE[index % len(_KIND_SEQUENCE)]
        interactions.append(
            Interaction(
                organization_id=client.organization_id,
                client_id=client.id,
                contact_id=contact.id,
                kind=kind,
                direction=(
                    InteractionDirection.inbound
                    if kind is InteractionKind.call and index % 2
                    else InteractionDirection.outbound
                ),
                occurred_at=occurred_at,
                summary=_SUMMARIES[kind].format(
                    first=first_name, where=person.company or "their work"
                ),
                created_by_id=seeker.id,
                created_at=occurred_at,
                updated_at=occurred_at,
            )
        )
    for referral in person.referrals:
        _add_branch(contacts, interactions, client, seeker, referral, parent=contact, now=now)


def _contact_details(person: Person) -> tuple[str | None, str]:
    ascii_name = (
        unicodedata.normalize("NFKD", person.name).encode("ascii", "ignore").decode().lower()
    )
    slug = "-".join(ascii_name.replace("'", "").split())
    email = None
    if person.company:
        domain = person.company.split()[0].lower()
        email = f"{slug.replace('-', '.')}@{domain}.example.com"
    return email, f"https://www.linkedin.com/in/{slug}"


async def seed_demo_database(settings: Settings, url: str | None = None) -> bool:
    """Seed the configured database (or `url`) in one committed transaction."""
    engine = create_engine(settings, url)
    try:
        async with create_sessionmaker(engine)() as session:
            created = await seed_demo(session)
            await session.commit()
            return created
    finally:
        await engine.dispose()


def describe_logins(*, created: bool) -> str:
    status = "created" if created else "already exists"
    width = max(len(login.email) for login in LOGINS)
    lines = [
        f'Demo organization "{DEMO_ORGANIZATION}" {status}.',
        f"Password for every demo login: {DEMO_PASSWORD}",
        "",
        *(f"  {login.role.value:<7} {login.email:<{width}}  {login.full_name}" for login in LOGINS),
        "",
        "Sign in with POST /api/v1/auth/token (username = email), or use Authorize at /docs.",
    ]
    return "\n".join(lines) + "\n"
