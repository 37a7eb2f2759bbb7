"""The client who just started: joined three days ago, two names and a draft so far."""

from app.demo.cast import ROBIN
from app.demo.story import Ask, DemoClient, Person, Target
from app.models.enums import ContactSource, Relationship
from app.models.pipeline import CompanyStatus, OutreachStatus

HIROSHI = DemoClient(
    "Hiroshi Sato",
    "just starting: joined three days ago, two names, one draft",
    ROBIN,
    joined=3,
    headline="Game producer exploring product roles",
    target_roles=["Product Manager"],
    target_industries=["Games", "Ed-tech"],
    locations=["Munich"],
    weekly_outreach_goal=5,
    weekly_informational_goal=1,
    notes="First session done: list twenty people who know his work.",
    companies=(
        Target("Fabrikam Studios", "Games", CompanyStatus.researching, 1),
        Target("Adatum Interactive", "Ed-tech", CompanyStatus.researching, 2),
    ),
    network=(
        Person(
            "Keiko Mori",
            "Tailspin Games",
            "Studio Head",
            Relationship.work,
            ContactSource.personal_network,
            added=2,
            asks=(Ask(1, status=OutreachStatus.draft, subject="Catching up, and a favour"),),
            follow_up=1,
        ),
        Person("Leo Fischer", None, "Product designer", Relationship.social, added=2),
    ),
)
