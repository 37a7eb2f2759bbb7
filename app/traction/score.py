"""The traction score: the one place its formula lives.

The API's description of the score (OpenAPI) is `traction_score.__doc__`, so the text a
SPA developer reads is the code's own docstring.
"""

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

from app.core.wording import counted

# Targets for a client without weekly goals (or with a goal of 0).
DEFAULT_WEEKLY_OUTREACH = 5
DEFAULT_WEEKLY_MEETINGS = 1
# Half of the outreach answered is an excellent response rate: full marks.
FULL_RESPONSE_RATE = 0.5
# One new name per meeting keeps the contact train running: full marks.
FULL_REFERRALS_PER_MEETING = 1.0

ScorePartName = Literal["outreach", "meetings", "responses", "referrals", "follow_through"]


class ScoreInputs(NamedTuple):  # a tuple: reports build hundreds
    days: int
    outreach_sent: int
    responses: int
    informational_held: int
    job_interviews_held: int
    referrals: int
    thank_you_rate: float | None
    weekly_outreach_goal: int | None
    weekly_informational_goal: int | None


@dataclass(frozen=True, slots=True)
class ScorePart:
    name: ScorePartName
    weight: int
    value: float
    points: float
    basis: str


@dataclass(frozen=True, slots=True)
class Score:
    score: int
    parts: list[ScorePart]


def _fraction(achieved: float, target: float) -> float:
    return 0.0 if target <= 0 else min(1.0, achieved / target)


def _target(weekly_goal: int | None, default: int, weeks: float) -> float:
    return (weekly_goal if weekly_goal else default) * weeks


# The parts in order, with their weights.
PARTS: tuple[tuple[ScorePartName, int], ...] = (
    ("outreach", 30),
    ("meetings", 30),
    ("responses", 15),
    ("referrals", 15),
    ("follow_through", 10),
)


class _Measured(NamedTuple):
    """The parts' values (in `PARTS` order) and what they were computed from."""

    values: tuple[float, float, float, float, float]
    outreach_target: float
    meeting_target: float
    meetings: int
    response_rate: float


def _measure(inputs: ScoreInputs) -> _Measured:
    weeks = inputs.days / 7
    outreach_target = _target(inputs.weekly_outreach_goal, DEFAULT_WEEKLY_OUTREACH, weeks)
    meeting_target = _target(inputs.weekly_informational_goal, DEFAULT_WEEKLY_MEETINGS, weeks)
    meetings = inputs.informational_held + inputs.job_interviews_held
    response_rate = inputs.responses / inputs.outreach_sent if inputs.outreach_sent else 0.0
    values = (
        _fraction(inputs.outreach_sent, outreach_target),
        _fraction(meetings, meeting_target),
        _fraction(response_rate, FULL_RESPONSE_RATE),
        _fraction(inputs.referrals, FULL_REFERRALS_PER_MEETING * max(1, inputs.informational_held)),
        inputs.thank_you_rate or 0.0,
    )
    return _Measured(values, outreach_target, meeting_target, meetings, response_rate)


def _points(weight: int, value: float) -> float:
    return round(weight * value, 2)


def _total(values: tuple[float, ...]) -> int:
    # Half up, not Python's half-to-even: 62.5 points is a 63.
    return math.floor(
        sum(_points(weight, value) for (_, weight), value in zip(PARTS, values, strict=True)) + 0.5
    )


def traction_score(inputs: ScoreInputs) -> Score:
    """**Traction score (0 to 100)**: five parts, each worth `weight` points times how
    much of its target the window reached (`value`, capped at 1):

    | part | weight | value |
    |---|---|---|
    | `outreach` | 30 | outreach sent ÷ (weekly outreach goal * weeks in the window) |
    | `meetings` | 30 | (informational + job interviews held) ÷ (informational goal * weeks) |
    | `responses` | 15 | response rate ÷ 0.5: half the outreach answered earns full marks |
    | `referrals` | 15 | referrals ÷ informational interviews held (at least 1): a name a meeting |
    | `follow_through` | 10 | thank-you rate: held interviews followed up within 48 h |

    Weeks in the window = days ÷ 7. Without a weekly goal (or with a goal of 0) the
    targets are 5 outreach and 1 meeting a week. A part with nothing to measure (no
    outreach sent, no meeting held) scores 0, so an empty window scores 0. The score is
    the sum of the parts' points, rounded half up to a whole number; every response
    lists the parts with their value and points.
    """
    measured = _measure(inputs)
    bases = (
        f"{inputs.outreach_sent} sent of a target of {measured.outreach_target:g}",
        f"{counted(measured.meetings, 'interview')} held of a target of "
        f"{measured.meeting_target:g}",
        f"response rate {measured.response_rate:.0%}; {FULL_RESPONSE_RATE:.0%} earns full marks",
        f"{counted(inputs.referrals, 'referral')} from "
        f"{counted(inputs.informational_held, 'informational interview')} held",
        "share of held interviews followed up within 48 h",
    )
    parts = [
        ScorePart(
            name=name,
            weight=weight,
            value=round(value, 4),
            points=_points(weight, value),
            basis=basis,
        )
        for (name, weight), value, basis in zip(PARTS, measured.values, bases, strict=True)
    ]
    return Score(score=_total(measured.values), parts=parts)


def score_value(inputs: ScoreInputs) -> int:
    """`traction_score(inputs).score` without the parts (reports score hundreds)."""
    return _total(_measure(inputs).values)
