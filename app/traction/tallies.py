"""Adding up the figures rows into each client's counts by segment, and a period's headline."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from app.traction import sql


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time that is one week of the window (or the whole previous window)."""

    starts_at: datetime
    ends_at: datetime
    days: int
    week_start: date | None  # None: the previous window, or the whole window


class Headline(NamedTuple):
    """What every report shows of one window (counted per segment, then summed). A
    tuple: a caseload makes hundreds."""

    outreach_sent: int = 0
    responses: int = 0
    informational_scheduled: int = 0
    informational_held: int = 0
    job_interviews_held: int = 0
    offers: int = 0
    referrals: int = 0
    new_contacts: int = 0
    # Held interviews whose 48 h have run out (or that were thanked), and the ones
    # thanked within them.
    thank_you_due: int = 0
    thank_you_on_time: int = 0

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.responses, self.outreach_sent)

    @property
    def referrals_per_informational(self) -> float | None:
        return _ratio(self.referrals, self.informational_held)

    @property
    def thank_you_rate(self) -> float | None:
        return _ratio(self.thank_you_on_time, self.thank_you_due)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# A segment's counts are a list in `Headline`'s field order: a caseload makes thousands.
_COUNTED = Headline._fields
WIDTH = len(_COUNTED)
_POSITION = {name: index for index, name in enumerate(_COUNTED)}
_SENT = _POSITION["outreach_sent"]
_RESPONSES = _POSITION["responses"]
_SCHEDULED = _POSITION["informational_scheduled"]
_INFORMATIONAL_HELD = _POSITION["informational_held"]
_JOB_HELD = _POSITION["job_interviews_held"]
_OFFERS = _POSITION["offers"]
_REFERRALS = _POSITION["referrals"]
_NEW_CONTACTS = _POSITION["new_contacts"]
_THANK_YOU_DUE = _POSITION["thank_you_due"]
_THANK_YOU_ON_TIME = _POSITION["thank_you_on_time"]


@dataclass
class Tallies:
    """Everything the figures query returned, by client."""

    segments: dict[uuid.UUID, list[list[int]]]
    # Contacts added before the previous window: (how many, deepest depth).
    before: dict[uuid.UUID, tuple[int, int]] = field(default_factory=dict)
    deepest: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    # (client, period) → value; period 0 is the previous window, 1 the current one.
    median_hours: dict[tuple[uuid.UUID, int], float] = field(default_factory=dict)
    companies: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)
    gone_cold: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)

    def add(self, rows: Sequence[Any]) -> None:
        """Adds up the rows of `repository.figures`."""
        for client_id, source, segment_no, a, b, c, d, hours in rows:
            counted = self.segments.get(client_id)
            if counted is None:  # not among the clients read (a client added meanwhile)
                continue
            if source == sql.OUTREACH:
                counts = counted[segment_no]
                counts[_SENT] += a
                counts[_RESPONSES] += b
            elif source == sql.HELD:
                counts = counted[segment_no]
                counts[_INFORMATIONAL_HELD] += a
                counts[_JOB_HELD] += b
                counts[_THANK_YOU_DUE] += c
                counts[_THANK_YOU_ON_TIME] += d
            elif source == sql.MOVES:
                counts = counted[segment_no]
                counts[_SCHEDULED] += a
                counts[_OFFERS] += b
            elif source == sql.CONTACTS:
                if segment_no < 0:
                    self.before[client_id] = (int(a), int(c or 0))
                    continue
                counts = counted[segment_no]
                counts[_NEW_CONTACTS] += a
                counts[_REFERRALS] += b
                depths = self.deepest.setdefault(client_id, [0] * len(counted))
                depths[segment_no] = int(c or 0)
            elif source == sql.MEDIAN:
                self.median_hours[(client_id, int(segment_no))] = round(float(hours), 2)
            elif source == sql.COMPANIES:
                self.companies[(client_id, 0)] = int(a)
                self.companies[(client_id, 1)] = int(b)
            elif source == sql.GONE_COLD:
                self.gone_cold[(client_id, int(segment_no))] = int(a)

    def headline(self, client_id: uuid.UUID, period: int) -> Headline:
        segments = self.segments[client_id]
        if period == 0:
            return Headline(*segments[0])
        if len(segments) == 2:
            return Headline(*segments[1])
        return Headline(*map(sum, zip(*segments[1:], strict=True)))

    def network(self, client_id: uuid.UUID, period: int) -> tuple[int, int]:
        """(network size, deepest chain) at the end of the period."""
        size, deepest = self.before.get(client_id, (0, 0))
        segments = self.segments[client_id] if period == 1 else self.segments[client_id][:1]
        depths = self.deepest.get(client_id, [])
        size += sum(segment[_NEW_CONTACTS] for segment in segments)
        return size, max([deepest, *depths[: len(segments)]])
