import uuid
from typing import Annotated

from fastapi import Query, Request, Response, status

from app.auth.principal import Principal
from app.clients import service as clients_service
from app.companies.dependencies import PipelineReader, PipelineWriter
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, set_etag, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.responses import set_location
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.interviews import attribution, board, referrals, service
from app.interviews.schemas import (
    ContactTreeYield,
    InterviewCreate,
    InterviewDetail,
    InterviewRead,
    InterviewUpdate,
    NextActions,
    PipelineBoard,
    ReferralsCreate,
    ReferralsRead,
    TransitionCreate,
)
from app.models.pipeline import InterviewKind, InterviewStage

router = api_router(tags=["interviews"], responses=problem_responses(401, 403, 422))


def _read(view: service.InterviewView, principal: Principal) -> InterviewRead:
    return service.interview_read(view, for_client=principal.is_client)


@router.get(
    "/clients/{client_id}/interviews",
    operation_id="interviews_list",
    summary="List a client's interviews, newest first",
    description="API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def list_interviews(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: PipelineReader,
    page: PageParamsDep,
    kind: InterviewKind | None = None,
    stage: InterviewStage | None = None,
    contact_id: uuid.UUID | None = None,
    company_id: uuid.UUID | None = None,
) -> Page[InterviewRead]:
    client = await clients_service.get(session, principal, client_id)
    views, next_cursor = await service.list_interviews(
        session,
        principal,
        client,
        params=page,
        kind=kind,
        stage=stage,
        contact_id=contact_id,
        company_id=company_id,
    )
    return Page(data=[_read(v, principal) for v in views], next_cursor=next_cursor)


@router.post(
    "/clients/{client_id}/interviews",
    status_code=status.HTTP_201_CREATED,
    operation_id="interviews_create",
    summary="Add an informational or job interview",
    description="A meeting that already happened is created at its stage (`held`, "
    "`followed_up`, `offer`, …) with `held_at`: the stage history and what each step "
    "does (interactions, companies engaged, events) are written as the transitions "
    "would. API keys need `contacts:write`. `coach_notes` is for staff only (403).",
    responses=problem_responses(404),
)
async def create_interview(
    client_id: uuid.UUID,
    body: InterviewCreate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    request: Request,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> InterviewRead:
    client = await clients_service.get(session, principal, client_id)
    interview = await service.create(session, principal, client, body)
    set_etag(response, interview.version)
    set_location(response, request, "interviews_get", interview_id=interview.id)
    return _read(await service.view(session, interview), principal)


@router.get(
    "/interviews/{interview_id}",
    operation_id="interviews_get",
    name="interviews_get",
    summary="Get an interview with its stage history and its origin",
    description="`origin` traces the interview back through its contact: the root "
    "contact, the chain of introductions from it, and the informational interviews held "
    "along the way. Only this read carries it (lists and writes do not, to stay cheap).",
    responses=problem_responses(404),
)
async def get_interview(
    interview_id: uuid.UUID, session: SessionDep, principal: PipelineReader, response: Response
) -> InterviewDetail:
    interview = await service.get(session, principal, interview_id)
    set_etag(response, interview.version)
    read = _read(await service.view(session, interview), principal)
    origin = await attribution.origin(session, principal, interview)
    return InterviewDetail(**dict(read), origin=origin)


@router.patch(
    "/interviews/{interview_id}",
    operation_id="interviews_update",
    summary="Update an interview (partial; the stage moves through transitions)",
    responses=problem_responses(404, 412),
)
async def update_interview(
    interview_id: uuid.UUID,
    body: InterviewUpdate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> InterviewRead:
    """Changes only the fields sent (when, where, format, questions, notes); the stage moves
    through `POST /interviews/{interview_id}/transitions`. `questions` may be left out but
    not nulled (send [] to clear). With `If-Match`, refused with 412 when the interview
    changed since it was read. API keys need `contacts:write`.
    """
    interview = await service.get(session, principal, interview_id)
    check_if_match(if_match, interview.version)
    interview = await service.update(session, principal, interview, body)
    return with_etag(
        response, interview.version, _read(await service.view(session, interview), principal)
    )


@router.delete(
    "/interviews/{interview_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="interviews_delete",
    summary="Delete an interview (its interactions and referrals stay)",
    responses=problem_responses(404),
)
async def delete_interview(
    interview_id: uuid.UUID, session: SessionDep, principal: PipelineWriter
) -> Response:
    """Deletes the interview; the interactions and the referrals it produced stay. API keys
    need `contacts:write`.
    """
    interview = await service.get(session, principal, interview_id)
    await service.delete(session, interview)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/interviews/{interview_id}/transitions",
    operation_id="interviews_transition",
    summary="Move an interview to its next stage",
    description="Informational: requested → scheduled → held → followed_up, with "
    "cancelled and no_show from requested or scheduled. Job: scheduled → held → offer | "
    "rejected | withdrawn. An illegal move answers 409 with `allowed`. Holding logs a "
    "`meeting` interaction (and engages the company); following up logs a `thank_you`.",
    responses=problem_responses(404, 409, 412),
)
async def transition_interview(
    interview_id: uuid.UUID,
    body: TransitionCreate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> InterviewRead:
    interview = await service.get(session, principal, interview_id, for_update=True)
    check_if_match(if_match, interview.version)
    interview = await service.transition(
        session, principal, interview, to_stage=body.to_stage, at=body.at, note=body.note
    )
    return with_etag(
        response, interview.version, _read(await service.view(session, interview), principal)
    )


@router.post(
    "/interviews/{interview_id}/referrals",
    operation_id="interviews_add_referrals",
    summary="Add the people the interviewee suggested",
    description="New people (or existing contacts of the client) become children of the "
    "interviewee in the contact tree, with `source = referral` and this interview "
    "remembered. New people matching an existing contact by email or LinkedIn reuse it. "
    "Moving an existing contact under the interviewee is refused (409) if the interviewee "
    "was introduced through it.",
    responses=problem_responses(404, 409),
)
async def add_referrals(
    interview_id: uuid.UUID,
    body: ReferralsCreate,
    session: SessionDep,
    principal: PipelineWriter,
) -> ReferralsRead:
    interview = await service.get(session, principal, interview_id, for_update=True)
    referrer_id, outcomes = await referrals.add_referrals(
        session,
        principal,
        interview,
        new_contacts=body.contacts,
        existing_contact_ids=list(dict.fromkeys(body.existing_contact_ids)),
    )
    return ReferralsRead(interview_id=interview.id, referred_by_id=referrer_id, referrals=outcomes)


@router.get(
    "/clients/{client_id}/pipeline",
    operation_id="pipeline_get",
    summary="The interview board: by kind and stage, with counts and ages",
    description="API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def get_pipeline(
    client_id: uuid.UUID, session: SessionDep, principal: PipelineReader
) -> PipelineBoard:
    client = await clients_service.get(session, principal, client_id)
    return await board.pipeline(session, client)


@router.get(
    "/clients/{client_id}/contact-tree/yield",
    operation_id="contact_tree_yield",
    summary="What each root contact's branch has produced",
    description="Per root (first-line) contact: the contacts reached through it, and the "
    "informational interviews held, job interviews and offers that trace back to it "
    "(through the interview's contact, anywhere in the branch, the root included). Every "
    "root is listed, most productive first. API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def get_contact_tree_yield(
    client_id: uuid.UUID, session: SessionDep, principal: PipelineReader
) -> ContactTreeYield:
    client = await clients_service.get(session, principal, client_id)
    roots = await attribution.root_yields(session, principal, client)
    return ContactTreeYield(client_id=client.id, roots=roots)


@router.get(
    "/clients/{client_id}/next-actions",
    operation_id="next_actions_list",
    summary="What to do now, ranked, each with its reason",
    description="Thank-you notes due (24 h after a held meeting), planned follow-ups due, "
    "outreach unanswered for 7 days, held informational interviews without a referral, "
    "contacts turning cold, warm roots who introduced no one, and target companies "
    "without a contact. API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def list_next_actions(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: PipelineReader,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many actions.")] = 50,
) -> NextActions:
    client = await clients_service.get(session, principal, client_id)
    return await board.next_actions(session, principal, client, limit=limit)
