"""The tree's cycle guards: a corrupt `referred_by_id` loop (the API never writes one, but
a bad import or a hand edit could) ends the walk instead of looping or overflowing."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from app.contacts.tree import build_forest, chain_to

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _row(contact_id: uuid.UUID, parent: uuid.UUID | None, name: str, depth: int) -> tuple[Any, ...]:
    # (id, referred_by_id, full_name, company_name, title, depth, last_contacted_at, met)
    return (contact_id, parent, name, None, None, depth, None, False)


def _forest(rows: list[tuple[Any, ...]], root_id: uuid.UUID | None = None) -> Any:
    return build_forest(rows, root_id=root_id, max_depth=None, cold_after_days=30, now=NOW)


def test_contacts_in_a_loop_are_left_out_of_the_forest() -> None:
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    # a is a true root with child d; b and c refer to each other and reach no root.
    rows = [_row(a, None, "A", 0), _row(d, a, "D", 1), _row(b, c, "B", 1), _row(c, b, "C", 2)]
    forest = _forest(rows)
    assert [root["full_name"] for root in forest.roots] == ["A"]
    assert [kid["full_name"] for kid in forest.roots[0]["children"]] == ["D"]
    assert forest.branch_yields[0]["descendants"] == 1


def test_a_subtree_that_loops_back_to_its_start_ends_there() -> None:
    b, c = uuid.uuid4(), uuid.uuid4()
    rows = [_row(b, c, "B", 1), _row(c, b, "C", 2)]
    forest = _forest(rows, root_id=b)
    [root] = forest.roots
    assert root["full_name"] == "B"
    [kid] = root["children"]
    assert kid["full_name"] == "C"
    assert kid["children"] == []  # B again is not listed under C
    assert root["descendant_count"] == 1


def test_a_contact_that_refers_to_itself_is_shown_once() -> None:
    a = uuid.uuid4()
    forest = _forest([_row(a, a, "A", 0)], root_id=a)
    [root] = forest.roots
    assert root["children"] == []
    assert root["descendant_count"] == 0


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    ids = [uuid.uuid4() for _ in range(5000)]
    rows = [_row(ids[0], None, "0", 0)] + [
        _row(ids[i], ids[i - 1], str(i), i) for i in range(1, len(ids))
    ]
    forest = _forest(rows)
    assert forest.branch_yields[0]["descendants"] == len(ids) - 1
    assert forest.branch_yields[0]["deepest_depth"] == len(ids) - 1


def _link(contact_id: uuid.UUID, parent: uuid.UUID | None, name: str) -> SimpleNamespace:
    return SimpleNamespace(
        id=contact_id, referred_by_id=parent, full_name=name, company_name=None, title=None, depth=0
    )


def test_the_chain_stops_at_a_loop() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = [_link(a, c, "A"), _link(b, a, "B"), _link(c, b, "C")]
    chain = chain_to(rows, c)
    assert [link.full_name for link in chain] == ["A", "B", "C"]


def test_the_chain_of_an_unknown_contact_is_empty() -> None:
    assert chain_to([_link(uuid.uuid4(), None, "A")], uuid.uuid4()) == []
