import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.core.errors import problem_responses
from app.core.instants import UtcInstant
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.events import service
from app.events.catalog import EVENT_TYPES
from app.events.schemas import EventRead, EventTypeRead
from app.models import Event
from app.models.enums import ADMIN_ROLES, Scope

router = api_router(tags=["events"], responses=problem_responses(401, 403, 422))

EventTypesReader = Annotated[Principal, Depends(Authorize(Scope.events_read))]
EventsReader = Annotated[Principal, Depends(Authorize(Scope.events_read, ADMIN_ROLES))]


def _read(event: Event) -> EventRead:
    return EventRead(
        id=event.id,
        type=event.type,
        client_id=event.client_id,
        occurred_at=event.occurred_at,
        data=event.payload,
    )


@router.get(
    "/event-types",
    operation_id="event_types_list",
    summary="List the event types webhooks can subscribe to",
)
async def list_event_types(_principal: EventTypesReader) -> Page[EventTypeRead]:
    """The catalogue of event types, each with what it means and an example of its `data`: the
    values `event_types` of a webhook endpoint accepts. One page, always complete. API keys
    need `events:read`.
    """
    return Page(
        data=[
            EventTypeRead(name=t.name, description=t.description, example=t.example)
            for t in EVENT_TYPES
        ],
        next_cursor=None,
    )


@router.get(
    "/events",
    operation_id="events_list",
    summary="The organization's event log, newest first",
)
async def list_events(
    session: SessionDep,
    _principal: EventsReader,
    page: PageParamsDep,
    type_filter: Annotated[
        str | None, Query(alias="type", max_length=64, examples=["client.created"])
    ] = None,
    client_id: uuid.UUID | None = None,
    since: Annotated[UtcInstant | None, Query(description="Occurred at or after.")] = None,
    until: Annotated[UtcInstant | None, Query(description="Occurred before.")] = None,
) -> Page[EventRead]:
    """Events recorded in the organization (what webhooks deliver), newest first, filtered by
    type, client and time, cursor-paginated. Owners and admins; API keys need `events:read`.
    """
    events, next_cursor = await service.list_events(
        session, params=page, type=type_filter, client_id=client_id, since=since, until=until
    )
    return Page(data=[_read(e) for e in events], next_cursor=next_cursor)
