"""The agenda's SQL: one `UNION ALL` of one branch per kind of item, for any number of
clients, with each user's done / snoozed / dismissed answers applied in the same statement.

Every branch (`app.agenda.branches`) selects the same columns: the kind, the client, the subject and
the objects it concerns, and `basis_at`, the instant the item is due from (a meeting's
`held_at`, a contact's last touch, ...). The item's due date follows from `basis_at` in
Python (`app.agenda.kinds`), and an answer of `done` holds while `basis_at` is unchanged.
The agenda reads the rows; the caseload counts them per client (`count_by_client`): the
same statement, so the two always agree.
"""

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda.branches import BRANCHES, CONTACT_RULES, contact_item
from app.agenda.scope import USER, Asked, Cutoffs, Scope
from app.auth.principal import Principal
from app.core.errors import register_constraint
from app.models import AgendaItemState, AgendaItemStatus, Client, Interview

register_constraint(
    "uq_agenda_item_states_organization_id_user_id_kind_subject_id",
    "Another of your requests answered this item at the same moment; read it again.",
)

Mode = Literal["open", "one", "count"]
_GENERIC_PLANS = text("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
SUBJECT = bindparam("subject_id", type_=Uuid())


def _hidden_by_answer(items: Any, now: Any) -> ColumnElement[bool]:
    """The caller answered this item: dismissed it, snoozed it until later, or marked it
    done while its `basis_at` is the one it had then."""
    state = AgendaItemState
    return (
        select(state.id)
        .where(
            state.user_id == USER,
            state.kind == items.c.kind,
            state.subject_id == items.c.subject_id,
            or_(
                state.status == AgendaItemStatus.dismissed,
                and_(state.status == AgendaItemStatus.snoozed, state.snoozed_until > now),
                and_(state.status == AgendaItemStatus.done, state.basis_at == items.c.basis_at),
            ),
        )
        .exists()
    )


def _build(scope: Scope, at: Cutoffs, mode: Mode) -> Select[Any]:
    """The union of the kinds of `scope`, less what the caller answered (`open`, `count`);
    with `one`, the one subject's items, answered or not."""
    # The clients once, as a CTE: repeated in every branch, their subquery cost more to
    # plan than the whole statement took to run.
    asked = scope.clients.cte("asked_clients")
    inner = Scope(select(asked.c.id), scope.kinds, scope.with_answers)
    branches = [
        contact_item(inner, at, kind) if kind in CONTACT_RULES else BRANCHES[kind](inner, at)
        for kind in scope.kinds
    ]
    if mode == "one":
        branches = [b.where(b.selected_columns.subject_id == SUBJECT) for b in branches]
    union: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    items = union.subquery("agenda_items")
    statement = select(items)
    if mode != "one" and scope.with_answers:
        statement = statement.where(~_hidden_by_answer(items, at.now))
    if mode == "one":
        return statement
    open_items = statement.subquery("open_items")
    if mode == "count":
        return select(open_items.c.client_id, func.count()).group_by(open_items.c.client_id)
    return select(open_items, Client.full_name.label("client_name")).join(
        Client, Client.id == open_items.c.client_id
    )


@lru_cache(maxsize=256)
def _prepared(scope: Scope, mode: Mode) -> Select[Any]:
    """`_build` for one shape, with placeholders for every value of a request."""
    return _build(scope, Cutoffs.placeholders(), mode)


async def _run(
    session: AsyncSession, asked: Asked, at: Cutoffs, mode: Mode, **extra: Any
) -> Sequence[Any]:
    statement = _prepared(asked.scope(), mode)
    parameters = {**asked.parameters(), **at.parameters(), **extra}
    if session.get_bind().dialect.name == "postgresql":
        # The statement's shape is fixed and its values are instants and ids: planning it
        # anew for each request's values took longer than running it (for the rest of
        # this transaction only).
        await session.execute(_GENERIC_PLANS)
    return list((await session.execute(statement, parameters)).all())


async def open_items(session: AsyncSession, asked: Asked, at: Cutoffs) -> Sequence[Any]:
    """Every open item asked for, with its client's name: one statement."""
    if not asked.kinds:
        return []
    return await _run(session, asked, at, "open")


async def one_item(
    session: AsyncSession, asked: Asked, at: Cutoffs, subject_id: uuid.UUID
) -> Any | None:
    """The item of `asked`'s one kind about `subject_id`, if it is on the caller's agenda
    now (answered or not)."""
    if not asked.kinds:
        return None
    rows = await _run(session, asked, at, "one", subject_id=subject_id)
    return rows[0] if rows else None


async def count_by_client(session: AsyncSession, asked: Asked, at: Cutoffs) -> dict[uuid.UUID, int]:
    """How many open items each client asked about has: the agenda's own statement,
    counted in the database."""
    if not asked.kinds:
        return {}
    rows = await _run(session, asked, at, "count")
    return {client_id: int(count) for client_id, count in rows}


async def meeting_questions(
    session: AsyncSession, interview_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The questions prepared for these interviews, in one query."""
    if not interview_ids:
        return {}
    rows = await session.execute(
        select(Interview.id, Interview.questions).where(Interview.id.in_(interview_ids))
    )
    return {interview_id: list(questions or []) for interview_id, questions in rows}


async def get_answer(
    session: AsyncSession, principal: Principal, kind: str, subject_id: uuid.UUID
) -> AgendaItemState | None:
    statement = select(AgendaItemState).where(
        AgendaItemState.user_id == principal.user_id,
        AgendaItemState.kind == kind,
        AgendaItemState.subject_id == subject_id,
    )
    return (await session.execute(statement)).scalar_one_or_none()
