"""The words the demo's cast is written in: people, their companies, outreach and meetings.

Data, checked as it is written (an answer before its question, a stage its kind cannot
reach, a step in the future raise `ValueError` on import): `app/demo/build.py` turns it
into rows the way the services would have written them. Every time is a number of days
before the seeding; only a meeting's date (`Meeting.on`) may be negative, in the future.
"""

import itertools
from dataclasses import dataclass, field

from app.interviews.stages import INITIAL_STAGES, TRANSITIONS
from app.models.enums import ContactSource, Relationship, Role, RoleAtCompany
from app.models.pipeline import (
    CompanyStatus,
    InterviewKind,
    InterviewStage,
    OutreachChannel,
    OutreachPurpose,
    OutreachStatus,
)
from app.outreach.service import RESPONSES

INFORMATIONAL = InterviewKind.informational
JOB = InterviewKind.job

# (stage entered, days ago), in the order the interview went through them.
Path = tuple[tuple[InterviewStage, float], ...]


def path(**days_ago: float) -> Path:
    """`path(requested=12, scheduled=11, held=8)`: each stage and when it was entered."""
    return tuple((InterviewStage(stage), days) for stage, days in days_ago.items())


def _past(what: str, *days: float | None) -> None:
    if any(day is not None and day < 0 for day in days):
        raise ValueError(f"demo cast: {what} is in the future")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: Role
    full_name: str
    email: str


@dataclass(frozen=True, slots=True)
class Target:
    """A company the client would like to work for. Holding a meeting with someone there
    moves it to `engaged` at least, as the interviews service does."""

    name: str
    industry: str
    status: CompanyStatus
    priority: int
    has_openings: bool | None = None
    why: str | None = None
    research: str | None = None


@dataclass(frozen=True, slots=True)
class Ask:
    """Outreach to the person it is listed under: sent `day` days ago (drafted then, for a
    draft), answered `answered` days ago. The status follows unless given: `responded`
    when answered, else `sent`; `declined`, `no_response` and `draft` are said."""

    day: float
    answered: float | None = None
    status: OutreachStatus | None = None
    channel: OutreachChannel = OutreachChannel.email
    purpose: OutreachPurpose = OutreachPurpose.informational_interview
    subject: str | None = None

    def __post_init__(self) -> None:
        _past(f"outreach {self}", self.day, self.answered)
        if (self.answered is not None) != (self.current_status in RESPONSES):
            raise ValueError(f"demo cast: outreach {self} is answered only if it is a response")
        if self.answered is not None and self.answered > self.day:
            raise ValueError(f"demo cast: outreach {self} is answered before it was sent")

    @property
    def current_status(self) -> OutreachStatus:
        if self.status is not None:
            return self.status
        return OutreachStatus.sent if self.answered is None else OutreachStatus.responded


@dataclass(frozen=True, slots=True)
class Meeting:
    """An interview with the person it is listed under, at their company."""

    kind: InterviewKind
    stages: Path
    # When it is (or was) to take place; by default when it was held.
    on: float | None = None
    questions: tuple[str, ...] = ()
    notes: str | None = None
    advice: str | None = None
    rating: int | None = None
    coach_notes: str | None = None
    # A job interview's thank-you (they have no `followed_up` stage): days ago.
    thanked: float | None = None
    # The people the interviewee suggested in this meeting: the A → B → C trail.
    referrals: tuple["Person", ...] = ()

    def __post_init__(self) -> None:
        """The stages follow the interviews service's state machine, in time order."""
        stages = [stage for stage, _ in self.stages]
        days = [day for _, day in self.stages]
        _past(f"a stage of {self.stages}", *days, self.thanked)
        if not stages or stages[0] not in INITIAL_STAGES[self.kind]:
            raise ValueError(f"demo cast: a {self.kind} interview cannot start as {stages[:1]}")
        for before, after in itertools.pairwise(stages):
            if after not in TRANSITIONS[self.kind][before]:
                raise ValueError(f"demo cast: {self.kind} cannot go from {before} to {after}")
        if any(later > earlier for earlier, later in itertools.pairwise(days)):
            raise ValueError(f"demo cast: the stages {self.stages} are out of order")
        held = self.day_of(InterviewStage.held)
        if (self.referrals or self.thanked is not None) and held is None:
            raise ValueError(f"demo cast: {self.stages} was not held, yet thanked or fruitful")
        if self.thanked is not None and held is not None and self.thanked > held:
            raise ValueError(f"demo cast: the thank-you precedes the meeting {self.stages}")

    def day_of(self, stage: InterviewStage) -> float | None:
        return dict(self.stages).get(stage)


@dataclass(frozen=True, slots=True)
class Person:
    """A contact, what happened with them, and the people they introduced."""

    name: str
    company: str | None
    title: str | None
    relationship: Relationship = Relationship.work
    # By default as the contacts service sets it: `referral` under a referrer, else
    # `personal_network`.
    source: ContactSource | None = None
    role: RoleAtCompany | None = None
    # Hand-logged interactions (calls, coffees, emails), days ago.
    touches: tuple[float, ...] = ()
    asks: tuple[Ask, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    # Introduced outside an interview.
    referrals: tuple["Person", ...] = ()
    # Days ago; by default shortly before the first thing that happened with them.
    added: float | None = None
    # The follow-up the client planned, in days from now (negative: past due).
    follow_up: float | None = None
    keep_in_touch_days: int | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        _past(f"something with {self.name}", *self.touches, self.added)

    @property
    def first_step(self) -> float | None:
        """Days ago of the first thing that happened with them, if anything did."""
        steps = [
            *self.touches,
            *(a.day for a in self.asks),
            *(m.stages[0][1] for m in self.meetings),
        ]
        return max(steps, default=None)


@dataclass(frozen=True, slots=True)
class DemoClient:
    full_name: str
    # What the demo shows with this client, in a few words (printed by `seed-demo`).
    state: str
    coach: DemoLogin
    joined: float  # days ago
    headline: str
    target_roles: list[str]
    target_industries: list[str]
    locations: list[str]
    weekly_outreach_goal: int
    weekly_informational_goal: int
    has_login: bool = False
    notes: str | None = None  # coach-only
    companies: tuple[Target, ...] = ()
    network: tuple[Person, ...] = field(default_factory=tuple)
