"""The agenda's order, on hand-made items: priority first, but no client buried."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from app.agenda.kinds import priority
from app.agenda.service import Candidate, rank

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def candidate(client: uuid.UUID, points: int, due_in_days: int = 0) -> Candidate:
    subject = uuid.uuid4()
    return Candidate(
        row=SimpleNamespace(client_id=client, subject_id=subject),
        id=f"follow_up_due.{subject}",
        due_at=NOW + timedelta(days=due_in_days),
        priority=points,
    )


def test_an_idle_clients_only_item_is_not_buried_under_a_busy_clients_many() -> None:
    busy, idle = uuid.uuid4(), uuid.uuid4()
    busy_items = [candidate(busy, 70) for _ in range(5)]
    lonely = candidate(idle, 45)

    ranked = rank([*busy_items, lonely])

    # Busy's items count 70, 60, 50, 40, 30 once shared: the idle client's 45 comes 4th.
    assert [c.share for c in ranked] == [70, 60, 50, 45, 40, 30]
    assert ranked[3] is lonely
    assert [c.rank for c in ranked] == [1, 2, 3, 4, 5, 6]


def test_ties_go_to_the_earlier_due_date_then_the_id() -> None:
    client = uuid.uuid4()
    later, sooner = candidate(client, 60, due_in_days=3), candidate(client, 60, due_in_days=1)
    other = uuid.uuid4()
    same_a, same_b = candidate(other, 50), candidate(other, 50)

    ranked = rank([later, sooner, same_a, same_b])

    assert ranked[0] is sooner
    first_of_other = min(same_a, same_b, key=lambda c: c.id)
    assert ranked[1] is first_of_other


def test_priority_adds_a_point_a_day_overdue_up_to_fifteen() -> None:
    on_time = priority("follow_up_due", NOW + timedelta(hours=1), NOW, None)
    one_day_late = priority("follow_up_due", NOW - timedelta(hours=2), NOW, None)
    a_month_late = priority("follow_up_due", NOW - timedelta(days=30), NOW, None)

    assert one_day_late == on_time + 1
    assert a_month_late == on_time + 15
    # Top-priority targets and strong ties weigh a little more; nothing passes 100.
    assert priority("find_person_at_company", NOW, NOW, 1) > priority(
        "find_person_at_company", NOW, NOW, 3
    )
    assert priority("contact_turning_cold", NOW, NOW, 5) > priority(
        "contact_turning_cold", NOW, NOW, None
    )
    assert priority("send_thank_you", NOW - timedelta(days=60), NOW, None) == 100
