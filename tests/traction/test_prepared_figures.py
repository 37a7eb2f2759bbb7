"""The per-client figures statement is built once per shape and shared by every caller of
that shape: it holds none of a caller's values, and each caller still gets its own numbers."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import Select, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, add_member, signup
from tests.factories.traction import Clock, frozen_clock, get_traction
from tests.interviews.pipeline_factories import create_outreach

WINDOW = {"from": "2026-10-05", "to": "2026-10-19"}  # previous window from 09-21


@contextmanager
def figures_statements(app: Any) -> Iterator[list[Select[Any]]]:
    """The figures statements the app runs (`SELECT ... FROM (... UNION ALL ...) figures`),
    as the very objects handed to the database connection."""
    statements: list[Select[Any]] = []

    def seen(_connection: Any, statement: Any, *_rest: Any) -> None:
        if isinstance(statement, Select) and any(
            getattr(source, "name", None) == "figures" for source in statement.get_final_froms()
        ):
            statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_execute", seen)


def values_held(statement: Select[Any]) -> set[Any]:
    """Every value written into `statement`: its bind parameters' and `.params()`'s."""
    held: set[Any] = set()
    for element in visitors.iterate(statement):
        if isinstance(element, BindParameter) and element.value is not None:
            held.add(element.value)
        held.update((getattr(element, "_params", None) or {}).values())
    return held


async def _seeker(
    http: httpx.AsyncClient, key: Actor, clock: Clock, days: list[str]
) -> dict[str, Any]:
    """A client with one outreach sent on each of `days` (at 10:00 UTC)."""
    clock.set("2026-09-01T09:00:00+00:00")
    seeker = await create_client(http, key)
    contact = await create_contact(http, key, seeker["id"])
    for day in days:
        clock.set(f"{day}T10:00:00+00:00")
        await create_outreach(http, key, seeker["id"], contact["id"], status="sent")
    return seeker


def _outreach(traction: dict[str, Any]) -> tuple[int, list[int]]:
    """(previous window, the window's weeks)."""
    weeks = [week["outreach_sent"] for week in traction["weeks"]]
    return traction["previous"]["figures"]["outreach_sent"], weeks


async def test_callers_in_turn_share_one_statement_holding_none_of_their_values(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    north, south = await signup(client), await signup(client, organization_name="Southwind")
    north_key = await add_api_key(db, north.organization_id, [s.value for s in Scope])
    south_key = await add_api_key(db, south.organization_id, [s.value for s in Scope])
    with frozen_clock("2026-09-01T09:00:00+00:00") as clock:
        nora = await _seeker(client, north_key, clock, ["2026-10-06", "2026-10-13", "2026-10-14"])
        sam = await _seeker(client, south_key, clock, ["2026-09-22", "2026-10-07"])
        sue = await _seeker(client, south_key, clock, ["2026-10-15"])
    # Two coaches of one organization, each assigned to one client only.
    sams_coach = await add_member(client, db, south.organization_id, Role.coach)
    sues_coach = await add_member(client, db, south.organization_id, Role.coach)
    await assign_coach(client, south_key, sam["id"], sams_coach)
    await assign_coach(client, south_key, sue["id"], sues_coach)

    with figures_statements(app) as statements:
        # Each asks in turn, with the same window: one shape per kind of caller.
        answers = [
            await get_traction(client, north, nora["id"], **WINDOW),
            await get_traction(client, south, sam["id"], **WINDOW),
            await get_traction(client, sams_coach, sam["id"], **WINDOW),
            await get_traction(client, sues_coach, sue["id"], **WINDOW),
            await get_traction(client, north, nora["id"], **WINDOW),
        ]

    # Each caller's own numbers, whoever asked just before.
    assert [_outreach(answer) for answer in answers] == [
        (0, [1, 2]),  # Nora
        (1, [1, 0]),  # Sam, by the owner of another organization than the one before
        (1, [1, 0]),  # Sam, by his coach
        (0, [0, 1]),  # Sue, by her coach, not within what Sam's coach may read
        (0, [1, 2]),  # Nora again
    ]
    assert [answer["client_id"] for answer in answers] == [
        nora["id"],
        sam["id"],
        sam["id"],
        sue["id"],
        nora["id"],
    ]

    # None of the callers' values is written into a statement run for them: they are
    # all parameters of the run, so a statement built once cannot carry one to the next.
    callers = {
        value
        for actor in (north, south, sams_coach, sues_coach)
        for value in (actor.organization_id, actor.user_id)
    } | {uuid.UUID(seeker["id"]) for seeker in (nora, sam, sue)}
    assert len(statements) == len(answers)
    for statement in statements:
        assert not values_held(statement) & callers
    # And so one statement serves every caller of a shape: both owners (whole
    # organizations), both coaches (their assigned clients).
    owners, coaches = statements[:2] + statements[4:], statements[2:4]
    assert all(statement is owners[0] for statement in owners)
    assert coaches[0] is coaches[1]
