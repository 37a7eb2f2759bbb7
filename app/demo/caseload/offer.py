"""The client with a job offer: a job interview that reached `offer`, another rejected."""

from app.demo.cast import CAMERON, JOB_QUESTIONS
from app.demo.story import INFORMATIONAL, JOB, Ask, DemoClient, Meeting, Person, Target, path
from app.models.enums import ContactSource, Relationship, RoleAtCompany
from app.models.pipeline import CompanyStatus, OutreachPurpose

_R, _S, _A = Relationship, ContactSource, RoleAtCompany
_C, _P = CompanyStatus, OutreachPurpose

_BEN = Person(
    "Ben Harris",
    "Contoso Health",
    "UX Research Lead",
    role=_A.hiring_manager,
    asks=(Ask(50, 49, purpose=_P.application, subject="Senior UX Researcher, Patient Apps"),),
    meetings=(
        Meeting(
            JOB,
            path(scheduled=30, held=16, offer=3),
            questions=JOB_QUESTIONS,
            notes="Final round: presented a research plan for the patient app.",
            rating=5,
            thanked=15.6,
        ),
    ),
)
_AHMED = Person(
    "Ahmed Karim",
    "Litware Medical",
    "Head of Design",
    role=_A.hiring_manager,
    asks=(Ask(33, 32, purpose=_P.application),),
    meetings=(
        Meeting(
            JOB,
            path(scheduled=27, held=20, rejected=12),
            notes="They chose someone with more quantitative research.",
            coach_notes="Work on survey design before the next round anywhere.",
        ),
    ),
)

LUCIA = DemoClient(
    "Lucía Fernández",
    "a job offer: Contoso Health, three days ago",
    CAMERON,
    joined=90,
    headline="UX researcher focused on health tech",
    target_roles=["Senior UX Researcher"],
    target_industries=["Health tech"],
    locations=["Madrid", "Remote"],
    weekly_outreach_goal=4,
    weekly_informational_goal=1,
    notes="Offer in hand: help her compare it before she answers.",
    companies=(
        Target("Contoso Health", "Health tech", _C.offer, 1, True, "Patient apps, remote-first."),
        Target("Litware Medical", "Medical devices", _C.closed, 2, research="Rejected, final."),
        Target("Proseware Health", "Health tech", _C.engaged, 3),
        Target("Adventure Works Health", "Insurance", _C.researching, 4),
    ),
    network=(
        Person(
            "Carmen Ortiz",
            "Contoso Health",
            "Design Director",
            _R.work,
            _S.personal_network,
            _A.executive,
            touches=(80, 62),
            asks=(Ask(58, 57),),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=57, scheduled=56, held=54, followed_up=53.5),
                    referrals=(_BEN,),
                ),
            ),
            referrals=(
                Person(
                    "Diego Silva",
                    "Contoso Health",
                    "Recruiter",
                    source=_S.internal_contact,
                    role=_A.recruiter,
                    touches=(18, 2.5),
                    follow_up=2,
                ),
            ),
            keep_in_touch_days=30,
        ),
        Person(
            "Mei Wong",
            "Litware Medical",
            "Principal Researcher",
            _R.alumni,
            _S.linkedin,
            _A.peer,
            asks=(Ask(40, 38.5),),
            meetings=(
                Meeting(
                    INFORMATIONAL,
                    path(requested=38.5, scheduled=38, held=35, followed_up=34),
                    referrals=(_AHMED,),
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
            asks=(Ask(14, 12),),
            meetings=(
                Meeting(INFORMATIONAL, path(requested=12, scheduled=11, held=9, followed_up=8.5)),
            ),
        ),
        Person(
            "Patrick O'Brien",
            "Research Ops Guild",
            "Organiser",
            _R.professional_association,
            _S.event,
            touches=(40, 20),
            asks=(Ask(6, 5, purpose=_P.referral_request, subject="Anyone at Adventure Works?"),),
            referrals=(
                Person("Fatima Zahra", "Fabrikam Clinics", "Research Ops Lead", touches=(15,)),
            ),
        ),
        Person("Grace Liu", None, None, _R.social, _S.personal_network),
    ),
)
