import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.traction.score import ScorePartName


class TractionWindow(BaseModel):
    from_date: date = Field(
        serialization_alias="from", description="First day of the window (local to `tz`)."
    )
    to_date: date = Field(
        serialization_alias="to", description="The day after the last one: `[from, to)`."
    )
    tz: str = Field(description="IANA time zone the days and weeks are counted in.")
    days: int
    starts_at: datetime = Field(description="`from` at 00:00 in `tz`, in UTC.")
    ends_at: datetime = Field(description="`to` at 00:00 in `tz`, in UTC (exclusive).")


class TractionFigures(BaseModel):
    """The figures of one window; "Traction" in docs/product.md defines each."""

    outreach_sent: int = Field(description="Outreach whose `sent_at` falls in the window.")
    responses: int = Field(
        description="Of that outreach, the ones answered (responded or declined) before the "
        "window ended."
    )
    response_rate: float | None = Field(description="responses ÷ outreach_sent; null if none.")
    median_hours_to_response: float | None = Field(
        description="Median of `responded_at - sent_at` over those responses, in hours."
    )
    informational_scheduled: int = Field(
        description="Informational interviews that moved to `scheduled` in the window."
    )
    informational_held: int = Field(description="Informational interviews held in the window.")
    job_interviews_held: int = Field(description="Job interviews held in the window.")
    offers: int = Field(description="Job interviews that moved to `offer` in the window.")
    referrals: int = Field(
        description="Contacts added in the window with a parent met in a held interview, or "
        "added through an interview's referrals."
    )
    referrals_per_informational: float | None = Field(
        description="referrals ÷ informational_held; null if none was held."
    )
    thank_you_rate: float | None = Field(
        description="Of the interviews held in the window, the share followed up within 48 h. "
        "Interviews held less than 48 h ago without a thank-you yet are left out until their "
        "48 h run out; null if none is left."
    )
    new_contacts: int = Field(description="Contacts added in the window.")
    network_size: int = Field(description="Contacts at the end of the window.")
    deepest_chain: int = Field(
        description="The largest `depth` among them: introductions in the longest A → B → … "
        "trail (roots are 0)."
    )
    companies_engaged: int = Field(
        description="Companies with at least one interaction (other than a note) in the "
        "window with a contact linked to them."
    )
    contacts_gone_cold: int = Field(
        description="Contacts that crossed into cold in the window: no touch for the "
        "organization's `cold_after_days`."
    )


class GoalTrack(BaseModel):
    weekly_goal: int
    target: float = Field(description="The weekly goal * weeks in the window (days ÷ 7).")
    actual: int
    progress: float = Field(description="actual ÷ target (may exceed 1).")


class GoalProgress(BaseModel):
    outreach: GoalTrack | None = Field(
        description="Outreach sent against `weekly_outreach_goal`; null without a goal."
    )
    informational: GoalTrack | None = Field(
        description="Informational interviews held against `weekly_informational_goal`; null "
        "without a goal."
    )


class ScorePartRead(BaseModel):
    name: ScorePartName
    weight: int = Field(description="The most points this part can give.")
    value: float = Field(description="How much of its target was reached, 0 to 1.")
    points: float = Field(description="weight * value.")
    basis: str = Field(description="What the value was computed from, in words.")


class TractionScore(BaseModel):
    score: int = Field(ge=0, le=100)
    parts: list[ScorePartRead]


class TractionPeriod(BaseModel):
    window: TractionWindow
    figures: TractionFigures
    goals: GoalProgress
    score: TractionScore


class TractionWeek(BaseModel):
    week_start: date = Field(description="The Monday the week starts on (in `tz`).")
    starts_at: datetime = Field(description="Start of the part of the week in the window (UTC).")
    ends_at: datetime = Field(description="Its end (UTC, exclusive).")
    days_in_window: int = Field(description="7, or fewer for a week the window cuts.")
    outreach_sent: int
    responses: int
    informational_scheduled: int
    informational_held: int
    job_interviews_held: int
    interviews_held: int = Field(description="Informational and job interviews held.")
    offers: int
    referrals: int
    new_contacts: int
    outreach_goal_met: bool | None = Field(
        description="Outreach sent ≥ the weekly goal (pro rata for a cut week); null without "
        "a goal."
    )
    informational_goal_met: bool | None = Field(
        description="Informational interviews held ≥ the weekly goal (pro rata); null without "
        "a goal."
    )


class ClientTraction(BaseModel):
    client_id: uuid.UUID
    generated_at: datetime
    current: TractionPeriod
    previous: TractionPeriod = Field(
        description="The same figures for the window of equal length just before."
    )
    score_change: int = Field(description="current score - previous score.")
    weeks: list[TractionWeek] = Field(description="The current window, week by week.")
    stalled: bool = Field(
        description="An active client with no moving event for the organization's "
        "`stalled_after_days` (counted from the client's creation if nothing ever moved)."
    )
    last_moving_event_at: datetime | None = Field(
        description="The latest touch with a contact (not a note), interview stage change or "
        "contact added; null if none."
    )
    stalled_after_days: int
