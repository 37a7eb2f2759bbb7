import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Response, status

from app.agenda import service
from app.agenda.kinds import AgendaKindName
from app.agenda.schemas import AgendaItemStateRead, AgendaItemStateUpdate, AgendaPage
from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.clients import service as clients_service
from app.core.errors import problem_responses
from app.core.instants import UtcInstant
from app.core.pagination import PageParamsDep
from app.core.routing import api_router
from app.core.time import utc_now
from app.db.session import SessionDep
from app.models.enums import Scope
from app.organizations.service import get_organization

router = api_router(tags=["agenda"], responses=problem_responses(401, 403, 422))

AgendaReader = Annotated[Principal, Depends(Authorize(Scope.contacts_read))]
# Answers are a member's own: API keys may read the agenda but not answer it.
AgendaMember = Annotated[Principal, Depends(Authorize(scope=None))]
ItemId = Annotated[
    str,
    Path(
        max_length=100,
        description="An agenda item's `id`: `<kind>.<subject id>`.",
        examples=["follow_up_due.6f1e2d1c-3b0a-4c35-9d1a-2a8f4b9e7c10"],
    ),
]


@router.get(
    "/agenda",
    operation_id="agenda_list",
    summary="Every action across your clients, ranked",
    description="One ranked list of what to do across the clients you may see (a coach: "
    "the assigned clients; owners, admins and API keys: the organization, `coach_id` to "
    "narrow; a client login: its own, without the items about them that are for their "
    "coaches). Without `client_id`, only active clients. Kinds: `send_thank_you` (a held "
    "meeting, due 24 h after it), `prepare_for_meeting` (within 7 days, with its "
    "questions), `record_meeting_outcome` (still scheduled after its time), "
    "`follow_up_outreach` (no answer 7 days after the last touch), `contact_new_referral` "
    "(introduced, never contacted), `ask_for_referral` (a held informational interview "
    "that yielded no name), `follow_up_due` (a planned follow-up or the keep-in-touch "
    "cadence), `contact_turning_cold`, `revive_cold_contact` (cold but a strong tie or a "
    "referrer), `ask_root_for_people` (a warm first-line contact who knows the client "
    "well — strength 4 or more, or a two-way history — and introduced no one), "
    "`find_person_at_company` (a target with no one linked), `client_stalled` (staff "
    "only) and `build_first_line` (no first-line contacts).\n\n"
    "**Ranking**: each item's `priority` (the kind's weight, plus a point per day overdue "
    "up to 15, plus a little for a top target or a strong tie); within a client, each "
    "item loses 10 points per item of that client ranked before it, so an idle client's "
    "one item is not buried under a busy client's many; then by `due_at` and `id`.\n\n"
    "An item answered `done` leaves your list until its condition arises again (a new "
    "`basis_at`), `snoozed` until `snoozed_until`, `dismissed` for good; doing the work "
    "(logging the touch, the thank-you, the meeting) clears it by itself. API keys need "
    "`contacts:read` and see no one's answers.",
    responses=problem_responses(404),
)
async def list_agenda(
    session: SessionDep,
    principal: AgendaReader,
    page: PageParamsDep,
    client_id: Annotated[
        uuid.UUID | None, Query(description="Only this client's items (404 if not yours).")
    ] = None,
    coach_id: Annotated[
        uuid.UUID | None, Query(description="Only the clients assigned to this coach.")
    ] = None,
    kind: Annotated[
        list[AgendaKindName] | None, Query(description="Only these kinds (repeat to list more).")
    ] = None,
    due_after: Annotated[
        UtcInstant | None, Query(description="Only items due at or after this instant.")
    ] = None,
    due_before: Annotated[
        UtcInstant | None, Query(description="Only items due before this instant.")
    ] = None,
) -> AgendaPage:
    if client_id is not None:
        await clients_service.get(session, principal, client_id)  # 404 when not readable
    now = utc_now()
    settings = await get_organization(session, principal)
    ranked = await service.ranked_candidates(
        session,
        principal,
        settings,
        service.AgendaFilters(
            client_id=client_id,
            coach_id=coach_id,
            kinds=tuple(kind or ()),
            due_after=due_after,
            due_before=due_before,
        ),
        now=now,
    )
    chosen, next_cursor = service.page(ranked, page)
    items = await service.items(session, settings, chosen, now=now)
    return AgendaPage(data=items, next_cursor=next_cursor, generated_at=now)


@router.put(
    "/agenda/items/{item_id}/state",
    operation_id="agenda_item_state_set",
    summary="Mark an agenda item done, snooze it, or dismiss it",
    description="Your answer to an item on your agenda (one per item; a new one replaces "
    "it). `done` hides it until its condition arises again, `snoozed` until "
    "`snoozed_until`, `dismissed` for good. Audited. An item that is not on your agenda "
    "now answers 404. Members only (403 for API keys).",
    responses=problem_responses(404),
)
async def set_item_state(
    item_id: ItemId,
    body: AgendaItemStateUpdate,
    session: SessionDep,
    principal: AgendaMember,
) -> AgendaItemStateRead:
    state = await service.set_state(
        session,
        principal,
        await get_organization(session, principal),
        item_id,
        status=body.status,
        snoozed_until=body.snoozed_until,
    )
    return service.state_read(state)


@router.delete(
    "/agenda/items/{item_id}/state",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="agenda_item_state_clear",
    summary="Take back your answer to an agenda item",
    description="The item shows again if its condition still holds. 404 when you have "
    "not answered it. Members only (403 for API keys).",
    responses=problem_responses(404),
)
async def clear_item_state(
    item_id: ItemId, session: SessionDep, principal: AgendaMember
) -> Response:
    await service.clear_state(session, principal, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
