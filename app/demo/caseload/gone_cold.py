"""The client whose network went cold: the people they knew best have not heard from them
in months. Not stalled, though: two new names this week, and one message out.
"""

from app.demo.cast import ROBIN
from app.demo.story import INFORMATIONAL, Ask, DemoClient, Meeting, Person, Target, path
from app.models.enums import ContactSource, Relationship, RoleAtCompany
from app.models.pipeline import CompanyStatus, OutreachChannel

_R, _S, _A = Relationship, ContactSource, RoleAtCompany
_C = CompanyStatus

# Last touched 45, 50 and 40 days ago: each crossed into cold (30 days) in the last four
# weeks, so the traction window counts them as gone cold.
_MIRA = Person("Mira Kowalski", "Fabrikam Logistics", "Planning Analyst", touches=(90, 45))

SVEN = DemoClient(
    "Sven Lindgren",
    "a network gone cold: nobody he knows well heard from him in months",
    ROBIN,
    joined=200,
    headline="Supply-chain analyst looking for logistics planning roles",
    target_roles=["Demand Planner", "Supply Chain Analyst"],
    target_industries=["Logistics"],
    locations=["Gothenburg", "Remote"],
    weekly_outreach_goal=5,
    weekly_informational_goal=1,
    notes="Applies online only; get him back to the people who know him.",
    companies=(
        Target("Northwind Freight", "Logistics", _C.targeted, 1, True),
        Target("Fabrikam Logistics", "Logistics", _C.engaged, 2),
        Target("Consolidated Messenger", "Courier", _C.researching, 3),
    ),
    network=(
        Person(
            "Kofi Mensah",
            "Fabrikam Logistics",
            "Operations Director",
            _R.family,
            _S.personal_network,
            _A.executive,
            touches=(150, 120),
            asks=(Ask(100, 99),),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=99, scheduled=98, held=95, followed_up=94),
                    referrals=(_MIRA,),
                ),
            ),
        ),
        Person(
            "Lars Eriksen",
            "Northwind Freight",
            "Head of Planning",
            _R.alumni,
            _S.linkedin,
            _A.hiring_manager,
            touches=(80, 50),
            follow_up=-10,
        ),
        Person(
            "Pieter de Vries",
            "Northwind Freight",
            "Recruiter",
            _R.other,
            _S.company_call,
            _A.recruiter,
            touches=(40,),
        ),
        Person("Henrik Dahl", "Contoso Shipping", "Logistics Manager", touches=(130, 110)),
        Person(
            "Aylin Kaya",
            "Litware Logistics",
            "Supply Chain Lead",
            _R.other,
            _S.linkedin,
            _A.peer,
            added=5,
            asks=(Ask(3, channel=OutreachChannel.linkedin),),
        ),
        Person(
            "Ben Okoro",
            "Northwind Freight",
            "Transport Planner",
            _R.other,
            _S.linkedin,
            _A.peer,
            added=4,
        ),
    ),
)
