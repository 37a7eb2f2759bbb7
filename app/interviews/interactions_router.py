"""Logging an interaction with a contact.

The route lives with the interviews, not in `app/interactions/`, because an outbound
thank-you credits the contact's held interviews: that rule is the interviews', and the
interviews package already builds on the interactions service (a pipeline step is a
touch), so only from here can one request do both without a package import loop.
"""

import uuid

from fastapi import status

from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.interactions import service
from app.interactions.dependencies import InteractionWriter
from app.interactions.schemas import InteractionCreate, InteractionRead
from app.interviews import thank_you

router = api_router(tags=["interactions"], responses=problem_responses(401, 403, 404, 422))


@router.post(
    "/contacts/{contact_id}/interactions",
    status_code=status.HTTP_201_CREATED,
    operation_id="interactions_create",
    summary="Log an interaction with a contact",
    description="Updates the contact's `last_contacted_at` (unless it is a `note` or older "
    "than the latest contact) and pushes its `next_touch_due_at` forward. An outbound "
    "`thank_you` is the thank-you for the contact's held interviews that have none yet and "
    "were held at or before `occurred_at`: their `thank_you_sent_at` is set, and a held "
    "informational interview moves to `followed_up` (no second interaction is logged).",
)
async def create_interaction(
    contact_id: uuid.UUID,
    body: InteractionCreate,
    session: SessionDep,
    principal: InteractionWriter,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> InteractionRead:
    # A thank-you credits the contact's meetings (the rule lives in the interviews
    # package, which already depends on the interactions service, hence the call from
    # here). Their rows are locked before the contact's, in a transition's order.
    meetings = await thank_you.meetings_to_thank(
        session, principal, contact_id, kind=body.kind, direction=body.direction
    )
    contact = await service.get_contact(session, principal, contact_id, for_update=True)
    interaction = await service.log_interaction(
        session,
        principal,
        contact,
        kind=body.kind,
        direction=body.direction,
        occurred_at=body.occurred_at,
        summary=body.summary,
    )
    await thank_you.credit_thank_you(session, principal, interaction, meetings)
    return InteractionRead.model_validate(interaction)
