"""The thriving client: outreach answered, meetings held, referrals three deep.

Chains are written from their far end back to the first-line contact, so each person is
defined before the one who introduced them.
"""

from app.demo.cast import CAMERON, JOB_QUESTIONS, PREPARED
from app.demo.story import INFORMATIONAL, JOB, Ask, DemoClient, Meeting, Person, Target, path
from app.models.enums import ContactSource, Relationship, RoleAtCompany
from app.models.pipeline import CompanyStatus, OutreachChannel, OutreachPurpose, OutreachStatus

_R, _S, _A = Relationship, ContactSource, RoleAtCompany
_C, _CH, _P, _O = CompanyStatus, OutreachChannel, OutreachPurpose, OutreachStatus

# Maya: Priya → Tom → Lena → Marco, each met in an informational interview with the one
# before (Marco's is booked for the day after tomorrow), and Sofia, whom Marco named.
_SOFIA = Person("Sofia Lindqvist", "Fabrikam Finance", "Engineering Manager", role=_A.peer, added=5)
_MARCO = Person(
    "Marco Rossi",
    "Fabrikam Finance",
    "Director of Product",
    role=_A.hiring_manager,
    asks=(Ask(8, 7, subject="Lena Vogel suggested I write"),),
    meetings=(Meeting(INFORMATIONAL, path(requested=7, scheduled=6), on=-2, questions=PREPARED),),
    referrals=(_SOFIA,),
)
_LENA = Person(
    "Lena Vogel",
    "Contoso Pay",
    "Head of Payments Product",
    _R.professional_association,
    role=_A.hiring_manager,
    asks=(Ask(14, 12.5, subject="An introduction from Tom Walsh"),),
    meetings=(
        Meeting(
            INFORMATIONAL,
            path(requested=12.5, scheduled=12, held=9, followed_up=8.8),
            rating=5,
            advice="Fabrikam is hiring for lending: Marco runs product there.",
            coach_notes="Third introduction in a row from a meeting: the method working.",
            referrals=(_MARCO,),
        ),
    ),
)
_HANNAH = Person(
    "Hannah Schulz", "Northwind Bank", "Talent Partner", role=_A.recruiter, touches=(12,)
)
_TOM = Person(
    "Tom Walsh",
    "Northwind Bank",
    "Senior Product Manager",
    role=_A.peer,
    asks=(Ask(20, 19, channel=_CH.linkedin, subject="Priya suggested we talk"),),
    meetings=(
        Meeting(
            INFORMATIONAL,
            path(requested=19, scheduled=18.8, held=15, followed_up=14.7),
            rating=4,
            advice="Contoso Pay is rebuilding its payments product: meet Lena.",
            referrals=(_LENA,),
        ),
    ),
    referrals=(_HANNAH,),
)
_IVAN = Person(
    "Ivan Horvat",
    "Northwind Bank",
    "Group Product Manager",
    source=_S.internal_contact,
    role=_A.hiring_manager,
    asks=(Ask(12, 11, purpose=_P.application, subject="Senior PM, Payments"),),
    meetings=(
        Meeting(
            JOB,
            path(scheduled=10, held=5),
            questions=JOB_QUESTIONS,
            notes="Case study on merchant churn; a panel of three.",
            rating=4,
            thanked=4.6,
        ),
    ),
)
_PRIYA = Person(
    "Priya Raman",
    "Northwind Bank",
    "VP Product",
    _R.work,
    _S.personal_network,
    _A.executive,
    touches=(62, 41),
    asks=(Ask(24, 23.6, subject="20 minutes on Northwind's payments roadmap?"),),
    meetings=(
        Meeting(
            INFORMATIONAL,
            path(requested=23.6, scheduled=23.5, held=21, followed_up=20.6),
            questions=PREPARED,
            advice="Lead with the merchant onboarding story; talk to Tom.",
            rating=5,
            referrals=(_TOM,),
        ),
    ),
    referrals=(_IVAN,),
    follow_up=5,
    keep_in_touch_days=21,
)
_AISHA = Person(
    "Aisha Bello", "Tailspin Capital", "HR Business Partner", role=_A.hr, asks=(Ask(16, 15),)
)
_DANIEL = Person(
    "Daniel Kim",
    "Tailspin Capital",
    "Product Lead",
    _R.alumni,
    _S.personal_network,
    _A.peer,
    touches=(50,),
    asks=(Ask(35, 33), Ask(19, 18.5, channel=_CH.phone)),
    meetings=(
        Meeting(
            INFORMATIONAL,
            path(requested=18.5, scheduled=18, held=17, followed_up=16.5),
            referrals=(_AISHA,),
        ),
    ),
)

MAYA = DemoClient(
    "Maya Patel",
    "thriving: outreach answered, meetings held, referrals three deep",
    CAMERON,
    joined=80,
    headline="Product manager moving into fintech",
    target_roles=["Senior Product Manager"],
    target_industries=["Fintech", "Payments"],
    locations=["Berlin", "Remote"],
    weekly_outreach_goal=5,
    weekly_informational_goal=1,
    has_login=True,
    notes="Strong storyteller; rehearse the salary conversation before any final round.",
    companies=(
        Target("Northwind Bank", "Banking", _C.interviewing, 1, True, "A new payments line."),
        Target("Contoso Pay", "Payments", _C.engaged, 1, why="Merchant tools: her niche."),
        Target("Fabrikam Finance", "Lending", _C.applied, 2, True),
        Target("Tailspin Capital", "Wealth tech", _C.engaged, 3),
        Target("Woodgrove Bank", "Banking", _C.targeted, 3),
        Target("Litware Payments", "Payments", _C.researching, 4, research="Series B, Berlin."),
        Target("Adatum Money", "Consumer finance", _C.closed, 5, False, research="Hiring freeze."),
    ),
    network=(
        _PRIYA,
        _DANIEL,
        Person(
            "Greta Müller",
            None,
            "Product coach",
            _R.social,
            _S.personal_network,
            touches=(26, 9),
            referrals=(
                Person("Felix Braun", "Proseware", "CPO", role=_A.executive, touches=(20,)),
            ),
        ),
        Person(
            "Omar Haddad",
            "Woodgrove Bank",
            "Principal PM",
            _R.other,
            _S.linkedin,
            _A.peer,
            asks=(Ask(22, None, _O.no_response, _CH.linkedin), Ask(10, 9, purpose=_P.follow_up)),
            meetings=(
                Meeting(INFORMATIONAL, path(requested=9, scheduled=8.5), on=-1, questions=PREPARED),
            ),
        ),
        Person(
            "Nina Petrova",
            "Fintech Weekly",
            "Editor",
            _R.other,
            _S.industry_publication,
            touches=(58,),
            asks=(Ask(17, 15, subject="Your piece on open banking"),),
        ),
        Person(
            "Jamal Wright",
            "Contoso Pay",
            "Product Operations Lead",
            _R.other,
            _S.linkedin,
            _A.peer,
            asks=(Ask(13, 11.5), Ask(3, purpose=_P.referral_request)),
        ),
        Person(
            "Clara Jensen",
            "Fabrikam Finance",
            "Recruiter",
            _R.other,
            _S.company_call,
            _A.recruiter,
            asks=(
                Ask(11, 10, None, _CH.phone, _P.application, "Senior PM, Lending"),
                Ask(5, 4.5, purpose=_P.follow_up),
            ),
            meetings=(Meeting(JOB, path(scheduled=4), on=-5, questions=JOB_QUESTIONS),),
        ),
        Person(
            "Sina Karimi",
            "Contoso Pay",
            "Senior Product Manager",
            _R.other,
            _S.linkedin,
            _A.peer,
            asks=(Ask(25, 24), Ask(6, purpose=_P.referral_request)),
        ),
        Person(
            "Elin Berg",
            "Woodgrove Bank",
            "Head of Design",
            _R.other,
            _S.linkedin,
            _A.other,
            asks=(Ask(21, 20, _O.declined),),
        ),
        Person(
            "Paolo Conti",
            "Tailspin Capital",
            "Engineering Director",
            _R.alumni,
            _S.event,
            _A.executive,
            asks=(Ask(9, 8.5),),
        ),
    ),
)
