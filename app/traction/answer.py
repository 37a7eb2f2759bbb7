"""The per-client answer's parts: each period's figures, goals and score, and each week."""

from typing import Any

from app.traction.schemas import (
    GoalProgress,
    GoalTrack,
    ScorePartRead,
    TractionFigures,
    TractionPeriod,
    TractionScore,
    TractionWeek,
    TractionWindow,
)
from app.traction.score import Score, ScoreInputs
from app.traction.tallies import Headline, Segment, Tallies


def score_inputs(headline: Headline, client: Any, days: int) -> ScoreInputs:
    return ScoreInputs(
        days=days,
        outreach_sent=headline.outreach_sent,
        responses=headline.responses,
        informational_held=headline.informational_held,
        job_interviews_held=headline.job_interviews_held,
        referrals=headline.referrals,
        thank_you_rate=headline.thank_you_rate,
        weekly_outreach_goal=client.weekly_outreach_goal,
        weekly_informational_goal=client.weekly_informational_goal,
    )


def period_of(
    client: Any,
    window: TractionWindow,
    tallies: Tallies,
    period: int,
    headline: Headline,
    score: Score,
) -> TractionPeriod:
    size, deepest = tallies.network(client.id, period)
    figures = TractionFigures(
        outreach_sent=headline.outreach_sent,
        responses=headline.responses,
        response_rate=headline.response_rate,
        median_hours_to_response=tallies.median_hours.get((client.id, period)),
        informational_scheduled=headline.informational_scheduled,
        informational_held=headline.informational_held,
        job_interviews_held=headline.job_interviews_held,
        offers=headline.offers,
        referrals=headline.referrals,
        referrals_per_informational=headline.referrals_per_informational,
        thank_you_rate=headline.thank_you_rate,
        new_contacts=headline.new_contacts,
        network_size=size,
        deepest_chain=deepest,
        companies_engaged=tallies.companies.get((client.id, period), 0),
        contacts_gone_cold=tallies.gone_cold.get((client.id, period), 0),
    )
    return TractionPeriod(
        window=window,
        figures=figures,
        goals=GoalProgress(
            outreach=_track(client.weekly_outreach_goal, figures.outreach_sent, window.days),
            informational=_track(
                client.weekly_informational_goal, figures.informational_held, window.days
            ),
        ),
        score=TractionScore(
            score=score.score,
            parts=[
                ScorePartRead(
                    name=p.name, weight=p.weight, value=p.value, points=p.points, basis=p.basis
                )
                for p in score.parts
            ],
        ),
    )


def _track(weekly_goal: int | None, actual: int, days: int) -> GoalTrack | None:
    # A goal of 0 sets nothing to reach.
    if not weekly_goal:
        return None
    target = weekly_goal * days / 7
    return GoalTrack(
        weekly_goal=weekly_goal,
        target=round(target, 2),
        actual=actual,
        progress=round(actual / target, 4),
    )


def _met(weekly_goal: int | None, actual: int, days: int) -> bool | None:
    return None if not weekly_goal else actual >= weekly_goal * days / 7


def week_of(segment: Segment, week: Headline, client: Any) -> TractionWeek:
    assert segment.week_start is not None
    return TractionWeek(
        week_start=segment.week_start,
        starts_at=segment.starts_at,
        ends_at=segment.ends_at,
        days_in_window=segment.days,
        outreach_sent=week.outreach_sent,
        responses=week.responses,
        informational_scheduled=week.informational_scheduled,
        informational_held=week.informational_held,
        job_interviews_held=week.job_interviews_held,
        interviews_held=week.informational_held + week.job_interviews_held,
        offers=week.offers,
        referrals=week.referrals,
        new_contacts=week.new_contacts,
        outreach_goal_met=_met(client.weekly_outreach_goal, week.outreach_sent, segment.days),
        informational_goal_met=_met(
            client.weekly_informational_goal, week.informational_held, segment.days
        ),
    )
