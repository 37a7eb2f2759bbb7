"""The stalled client: nothing has moved for longer than the organization's
`stalled_after_days` (14).
"""

from app.demo.cast import CAMERON
from app.demo.story import INFORMATIONAL, Ask, DemoClient, Meeting, Person, Target, path
from app.models.enums import ContactSource, Relationship, RoleAtCompany
from app.models.pipeline import CompanyStatus, OutreachPurpose, OutreachStatus

_R, _S, _A = Relationship, ContactSource, RoleAtCompany
_C, _P, _O = CompanyStatus, OutreachPurpose, OutreachStatus

_RAVI = Person(
    "Ravi Shah",
    "Contoso Energy",
    "Staff Data Engineer",
    role=_A.peer,
    asks=(Ask(26, None, _O.no_response),),
)

JONAS = DemoClient(
    "Jonas Berg",
    "stalled: nothing has moved for nearly three weeks",
    CAMERON,
    joined=75,
    headline="Data engineer looking for climate tech",
    target_roles=["Data Engineer", "Analytics Engineer"],
    target_industries=["Climate tech", "Energy"],
    locations=["Copenhagen", "Hamburg"],
    weekly_outreach_goal=5,
    weekly_informational_goal=1,
    notes="Went quiet after GreenGrid cancelled; call him this week.",
    companies=(
        Target("Contoso Energy", "Energy", _C.engaged, 1, True),
        Target("GreenGrid", "Climate tech", _C.targeted, 2),
        Target("WindWorks", "Wind power", _C.researching, 3),
        Target("Solarix", "Solar", _C.closed, 4, research="Took an internal candidate."),
    ),
    network=(
        Person(
            "Ingrid Larsen",
            "Contoso Energy",
            "Data Platform Lead",
            _R.work,
            _S.personal_network,
            _A.hiring_manager,
            touches=(60,),
            asks=(Ask(42, 40),),
            # Held, never thanked: the thank-you is long overdue.
            meetings=(
                Meeting(
                    INFORMATIONAL, path(requested=40, scheduled=39, held=36), referrals=(_RAVI,)
                ),
            ),
            keep_in_touch_days=14,
        ),
        Person(
            "Emma Clarke",
            "GreenGrid",
            "Analytics Manager",
            _R.alumni,
            _S.linkedin,
            _A.hiring_manager,
            asks=(Ask(30, 27),),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=27, scheduled=25, cancelled=19.5),
                    on=18,
                    notes="Cancelled at quarter end; she offered to rebook later.",
                ),
            ),
        ),
        Person(
            "Peter Novak",
            "Contoso Energy",
            "Recruiter",
            _R.other,
            _S.company_call,
            _A.recruiter,
            asks=(Ask(22, purpose=_P.application, subject="Data Engineer opening"),),
        ),
        Person("Sara Lind", "Adatum Climate", "ML Engineer", _R.alumni, _S.event, touches=(45, 28)),
        Person(
            "Julia Weber",
            "Northwind Utilities",
            "Talent Acquisition",
            _R.other,
            _S.company_call,
            _A.hr,
            touches=(24,),
            follow_up=-6,
        ),
    ),
)
