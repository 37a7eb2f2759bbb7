import inspect
import uuid

from fastapi import Response

from app.clients import service as clients_service
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.organizations.service import get_organization
from app.traction import chart, service
from app.traction.dependencies import TractionReader, WindowQueryDep
from app.traction.schemas import ClientTraction
from app.traction.score import traction_score

router = api_router(tags=["traction"], responses=problem_responses(401, 403, 404, 422))

SVG_MEDIA_TYPE = "image/svg+xml"

TRACTION_DESCRIPTION = (
    'Every figure of "Traction" in docs/product.md for the window `[from, to)` (calendar days in '
    "`tz`) and for the window of equal length before it, the window week by week (weeks "
    "start on Monday in `tz`), progress against the client's weekly goals, the traction "
    "score with its parts, and `stalled`. API keys need `reports:read`.\n\n"
    + inspect.cleandoc(traction_score.__doc__ or "")
)


class SVGResponse(Response):
    media_type = SVG_MEDIA_TYPE


@router.get(
    "/clients/{client_id}/traction",
    operation_id="traction_get",
    summary="A client's traction: figures, weekly series, goals, score and stalled",
    description=TRACTION_DESCRIPTION,
)
async def get_traction(
    client_id: uuid.UUID, session: SessionDep, principal: TractionReader, query: WindowQueryDep
) -> ClientTraction:
    client = await clients_service.get(session, principal, client_id)
    settings = await get_organization(session, principal)
    window = await service.window_for(
        session, principal, start=query.start, end=query.end, tz=query.tz, settings=settings
    )
    return await service.client_traction(session, principal, client.id, window, settings=settings)


@router.get(
    "/clients/{client_id}/traction/chart.svg",
    operation_id="traction_chart",
    summary="The weekly series as a small SVG chart",
    description="Outreach sent, interviews held and referrals, one point per week of the "
    "window (same parameters as `traction_get`). Self-contained: no scripts, no external "
    "fonts or images, so it can go into an email or a report. API keys need `reports:read`.",
    response_class=SVGResponse,
    responses={
        200: {
            "description": "An SVG image.",
            "content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def get_traction_chart(
    client_id: uuid.UUID, session: SessionDep, principal: TractionReader, query: WindowQueryDep
) -> SVGResponse:
    client = await clients_service.get(session, principal, client_id)
    settings = await get_organization(session, principal)
    window = await service.window_for(
        session, principal, start=query.start, end=query.end, tz=query.tz, settings=settings
    )
    traction = await service.client_traction(
        session, principal, client.id, window, settings=settings
    )
    return SVGResponse(content=chart.render(traction))
