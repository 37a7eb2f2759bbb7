"""Three ordinary searches, with the everyday pipeline: meetings booked, thank-yous
due, outreach waiting for an answer, follow-ups planned.
"""

from app.demo.cast import CAMERON, JOB_QUESTIONS, PREPARED, ROBIN
from app.demo.story import INFORMATIONAL, JOB, Ask, DemoClient, Meeting, Person, Target, path
from app.models.enums import ContactSource, Relationship, RoleAtCompany
from app.models.pipeline import CompanyStatus, OutreachChannel, OutreachPurpose, OutreachStatus

_R, _S, _A = Relationship, ContactSource, RoleAtCompany
_C, _CH, _P, _O = CompanyStatus, OutreachChannel, OutreachPurpose, OutreachStatus

_OSKAR = Person(
    "Oskar Lund", "Tailwind Traders", "Senior Data Analyst", role=_A.peer, asks=(Ask(4),)
)

ELIF = DemoClient(
    "Elif Demir",
    "ordinary: a meeting booked, a thank-you due",
    CAMERON,
    joined=45,
    headline="Marketing analyst moving into e-commerce analytics",
    target_roles=["Analytics Lead", "Senior Marketing Analyst"],
    target_industries=["E-commerce", "Retail"],
    locations=["Hamburg"],
    weekly_outreach_goal=4,
    weekly_informational_goal=1,
    companies=(
        Target("Tailwind Traders", "E-commerce", _C.engaged, 1, True),
        Target("Wide World Importers", "Retail", _C.engaged, 2),
        Target("Northwind Traders", "E-commerce", _C.targeted, 2),
        Target("Relecloud", "Marketplaces", _C.researching, 3),
    ),
    network=(
        Person(
            "Marta Nowak",
            "Tailwind Traders",
            "Analytics Director",
            _R.work,
            _S.personal_network,
            _A.hiring_manager,
            touches=(30,),
            asks=(Ask(12, 11),),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=11, scheduled=10.5, held=6, followed_up=5.5),
                    advice="Show one attribution model end to end.",
                    referrals=(_OSKAR,),
                ),
            ),
        ),
        Person(
            "Rui Almeida",
            "Wide World Importers",
            "Marketing Manager",
            _R.alumni,
            _S.linkedin,
            _A.peer,
            asks=(Ask(9, 8),),
            # Held three days ago, no thank-you yet.
            meetings=(Meeting(INFORMATIONAL, path(requested=8, scheduled=7.5, held=3)),),
        ),
        Person(
            "Beatriz Souza",
            "Northwind Traders",
            "Head of CRM",
            _R.social,
            _S.event,
            _A.executive,
            touches=(20, 5),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=4.5, scheduled=4),
                    on=-3,
                    questions=PREPARED,
                ),
            ),
        ),
        Person(
            "Anja Petersen",
            "Tailwind Traders",
            "Recruiter",
            _R.other,
            _S.company_call,
            _A.recruiter,
            asks=(Ask(15, 13, purpose=_P.referral_request),),
        ),
        Person("Tom Becker", None, "Freelance consultant", _R.other, follow_up=3),
    ),
)

_DAVID = Person(
    "David Chen",
    "Humongous Insurance",
    "Operations Analyst",
    role=_A.peer,
    touches=(10,),
    asks=(Ask(9, 7, purpose=_P.referral_request),),
)

AMARA = DemoClient(
    "Amara Okafor",
    "ordinary: a job interview next week, a thank-you sent late",
    ROBIN,
    joined=60,
    headline="Operations manager moving into insurance operations",
    target_roles=["Operations Manager"],
    target_industries=["Insurance", "Travel"],
    locations=["Frankfurt"],
    weekly_outreach_goal=3,
    weekly_informational_goal=1,
    companies=(
        Target("Humongous Insurance", "Insurance", _C.interviewing, 1, True),
        Target("Margie's Travel", "Travel", _C.engaged, 2),
        Target("Coho Winery", "Food and drink", _C.closed, 3, research="No operations roles."),
        Target("Fourth Coffee", "Food and drink", _C.researching, 4),
    ),
    network=(
        Person(
            "Grace Mbeki",
            "Humongous Insurance",
            "VP Operations",
            _R.work,
            _S.personal_network,
            _A.hiring_manager,
            asks=(Ask(21, 19), Ask(8, 7.5, purpose=_P.application, subject="Operations Manager")),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=19, scheduled=18, held=14, followed_up=13.2),
                    referrals=(_DAVID,),
                ),
                Meeting(JOB, path(scheduled=3), on=-4, questions=JOB_QUESTIONS),
            ),
        ),
        Person(
            "Lukas Weber",
            "Margie's Travel",
            "Head of Operations",
            _R.alumni,
            _S.linkedin,
            _A.executive,
            asks=(Ask(16, 15),),
            # The thank-you went out three days after the meeting: past the 48 hours.
            meetings=(
                Meeting(INFORMATIONAL, path(requested=15, scheduled=14, held=10, followed_up=7)),
            ),
        ),
        Person(
            "Sara Ali",
            "Coho Winery",
            "COO",
            _R.other,
            _S.linkedin,
            _A.executive,
            asks=(Ask(35, 33, _O.declined),),
        ),
        Person("Chidi Eze", None, "Community organiser", _R.social, touches=(25, 8)),
        Person(
            "Ruth Alemu",
            "Humongous Insurance",
            "HR Partner",
            _R.other,
            _S.company_call,
            _A.hr,
            asks=(Ask(6, channel=_CH.phone),),
        ),
    ),
)

_ZOE = Person(
    "Zoe Martin",
    "Contoso Learning",
    "Senior Engineer",
    role=_A.peer,
    asks=(Ask(9, 7),),
    # Asked for, not yet booked.
    meetings=(Meeting(INFORMATIONAL, path(requested=7)),),
)

NADIA = DemoClient(
    "Nadia Rahman",
    "ordinary: a meeting requested, a no-show, follow-ups past due",
    ROBIN,
    joined=40,
    headline="Backend engineer aiming at ed-tech",
    target_roles=["Senior Backend Engineer"],
    target_industries=["Ed-tech", "Publishing"],
    locations=["Vienna", "Remote"],
    weekly_outreach_goal=6,
    weekly_informational_goal=2,
    companies=(
        Target("Contoso Learning", "Ed-tech", _C.engaged, 1, True),
        Target("Lucerne Publishing", "Publishing", _C.targeted, 2),
        Target("Trey Research", "Ed-tech", _C.researching, 3),
        Target("Wingtip Toys", "Toys", _C.researching, 4),
    ),
    network=(
        Person(
            "Owen Price",
            "Contoso Learning",
            "Engineering Manager",
            _R.work,
            _S.personal_network,
            _A.hiring_manager,
            asks=(Ask(17, 16),),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=16, scheduled=15, held=11, followed_up=10.2),
                    advice="Contribute to their open-source grading tool.",
                    referrals=(_ZOE,),
                ),
            ),
        ),
        Person(
            "Farah Siddiqui",
            "Lucerne Publishing",
            "CTO",
            _R.professional_association,
            _S.event,
            _A.executive,
            asks=(Ask(14, 13), Ask(5, purpose=_P.follow_up)),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=13, scheduled=12, no_show=6),
                    on=6,
                    notes="She did not join the call.",
                ),
            ),
        ),
        Person(
            "Tobias Klein",
            "Trey Research",
            "Staff Engineer",
            _R.other,
            _S.linkedin,
            _A.peer,
            added=20,
            follow_up=-3,
        ),
        Person(
            "Ines Duarte",
            None,
            "Bootcamp mentor",
            _R.alumni,
            _S.personal_network,
            touches=(33, 17),
            follow_up=-1,
        ),
    ),
)
