"""The kinds of agenda items: what each is about, how urgent, and what to say.

Priority (0 to 100) is the kind's weight, plus a point for each day overdue (at most
15), plus a little for what the kind knows of its subject (a top-priority target
company, a strong tie, a meeting within two days). The weights put first what decides
traction: a thank-you after a meeting, a meeting to prepare or record, a reply awaited,
a fresh referral, a client who stopped moving.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from app.core.wording import counted

AgendaKindName = Literal[
    "send_thank_you",
    "prepare_for_meeting",
    "record_meeting_outcome",
    "follow_up_outreach",
    "contact_new_referral",
    "ask_for_referral",
    "follow_up_due",
    "contact_turning_cold",
    "revive_cold_contact",
    "ask_root_for_people",
    "find_person_at_company",
    "client_stalled",
    "build_first_line",
]
SubjectType = Literal["contact", "company", "interview", "outreach", "client"]

MAX_OVERDUE_POINTS = 15


@dataclass(frozen=True, slots=True)
class Wording:
    """What an item says, from its subject's and client's names and its timing."""

    subject: str
    client: str
    basis_at: datetime
    due_at: datetime
    now: datetime
    cold_after_days: int

    @property
    def days_since(self) -> int:
        return max(0, (self.now - self.basis_at).days)

    @property
    def when(self) -> str:
        return self.basis_at.strftime("%a %d %b")


def days(count: int) -> str:
    return counted(count, "day")


@dataclass(frozen=True, slots=True)
class AgendaKind:
    subject: SubjectType
    weight: int
    # Due this long after `basis_at` (the instant the item counts from).
    due_after: Callable[["Thresholds"], timedelta]
    reason: Callable[[Wording], str]
    step: Callable[[Wording], str]
    staff_only: bool = False  # about the client, for their coaches: never shown to them


@dataclass(frozen=True, slots=True)
class Thresholds:
    thank_you_after: timedelta
    outreach_follow_up_after: timedelta
    cold_after: timedelta
    stalled_after: timedelta


def _now(_: Thresholds) -> timedelta:
    return timedelta(0)


KINDS: dict[AgendaKindName, AgendaKind] = {
    "send_thank_you": AgendaKind(
        subject="interview",
        weight=85,
        due_after=lambda t: t.thank_you_after,
        reason=lambda w: f"Met {w.subject} on {w.when}; no thank-you sent yet.",
        step=lambda w: (
            "Send a short thank-you naming one piece of advice you will act on, "
            "then log it as a `thank_you` interaction."
        ),
    ),
    "prepare_for_meeting": AgendaKind(
        subject="interview",
        weight=75,
        due_after=_now,
        reason=lambda w: f"Meeting with {w.subject} on {w.when}.",
        step=lambda w: (
            "Go over the prepared questions, read up on the company, and plan "
            "to ask whom else to talk to."
        ),
    ),
    "record_meeting_outcome": AgendaKind(
        subject="interview",
        weight=70,
        due_after=_now,
        reason=lambda w: (
            f"The meeting with {w.subject} was planned for {w.when} and is still marked scheduled."
        ),
        step=lambda w: "Record it as held (or cancelled, or a no-show).",
    ),
    "follow_up_outreach": AgendaKind(
        subject="outreach",
        weight=70,
        due_after=lambda t: t.outreach_follow_up_after,
        reason=lambda w: f"{w.subject} has not answered in {days(w.days_since)}.",
        step=lambda w: "Follow up once, briefly, offering 15 minutes at their convenience.",
    ),
    "contact_new_referral": AgendaKind(
        subject="contact",
        weight=70,
        due_after=lambda t: timedelta(days=3),
        reason=lambda w: (
            f"{w.subject} was introduced {days(w.days_since)} ago and has not been contacted yet."
        ),
        step=lambda w: "Reach out while the introduction is fresh, saying who suggested you talk.",
    ),
    "ask_for_referral": AgendaKind(
        subject="interview",
        weight=65,
        due_after=lambda t: timedelta(days=2),
        reason=lambda w: f"The meeting with {w.subject} has not yielded a name yet.",
        step=lambda w: (
            "Ask whom else they suggest you talk to, and add them as referrals of the meeting."
        ),
    ),
    "follow_up_due": AgendaKind(
        subject="contact",
        weight=60,
        due_after=_now,
        reason=lambda w: f"A follow-up with {w.subject} is due.",
        step=lambda w: "Get in touch and log it; the next date follows from the cadence.",
    ),
    "contact_turning_cold": AgendaKind(
        subject="contact",
        weight=50,
        due_after=lambda t: t.cold_after,
        reason=lambda w: (
            f"{w.subject} is cooling: last in touch {days(w.days_since)} ago, "
            f"cold after {days(w.cold_after_days)}."
        ),
        step=lambda w: "Send a short update or something that interests them.",
    ),
    "revive_cold_contact": AgendaKind(
        subject="contact",
        weight=40,
        due_after=lambda t: t.cold_after,
        reason=lambda w: (
            f"{w.subject} went cold ({days(w.days_since)} since the last touch) "
            "but was worth knowing."
        ),
        step=lambda w: "Reconnect with news of the search and a question they can answer.",
    ),
    "ask_root_for_people": AgendaKind(
        subject="contact",
        weight=45,
        due_after=lambda t: t.cold_after / 2,
        reason=lambda w: f"{w.subject} knows {w.client} well and has introduced no one yet.",
        step=lambda w: "Ask for people they know at the target companies.",
    ),
    "find_person_at_company": AgendaKind(
        subject="company",
        weight=35,
        due_after=lambda t: timedelta(days=7),
        reason=lambda w: f"No one to approach at {w.subject} yet.",
        step=lambda w: (
            "Find a potential boss or a would-be colleague there and add them "
            "as a contact of the company."
        ),
    ),
    "client_stalled": AgendaKind(
        subject="client",
        weight=80,
        due_after=lambda t: t.stalled_after,
        reason=lambda w: f"{w.client} has not moved in {days(w.days_since)}.",
        step=lambda w: f"Check in with {w.client} and plan this week's outreach together.",
        staff_only=True,
    ),
    "build_first_line": AgendaKind(
        subject="client",
        weight=75,
        due_after=_now,
        reason=lambda w: f"{w.client} has no first-line contacts yet.",
        step=lambda w: (
            "List ten people who know them at work or socially and add them: "
            "every trail of introductions starts there."
        ),
    ),
}


def priority(kind: AgendaKindName, due_at: datetime, now: datetime, rank_hint: int | None) -> int:
    """0 to 100; see the module docstring. (Run for every open item of a caseload, so
    plain comparisons rather than min and max.)"""
    points = KINDS[kind].weight
    if due_at < now:
        overdue = (now - due_at).days + 1
        points += overdue if overdue < MAX_OVERDUE_POINTS else MAX_OVERDUE_POINTS
    if rank_hint is not None:
        if kind == "find_person_at_company" and rank_hint < 3:
            points += (3 - rank_hint) * 3  # company priority 1 is the top target
        elif kind in _STRONG_TIE_KINDS and rank_hint > 3:
            points += (rank_hint - 3) * 3  # a strong tie is worth more
    if kind == "prepare_for_meeting" and due_at - now <= timedelta(days=2):
        points += 10
    return 0 if points < 0 else 100 if points > 100 else points


_STRONG_TIE_KINDS = frozenset({"revive_cold_contact", "contact_turning_cold"})
