import uuid

from fastapi import Response, status

from app.companies.dependencies import PipelineReader, PipelineWriter
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models.pipeline import QuestionCategory
from app.questions import service as questions
from app.questions.schemas import (
    QuestionTemplateCreate,
    QuestionTemplateRead,
    QuestionTemplateUpdate,
)

router = api_router(tags=["question-templates"], responses=problem_responses(401, 403, 422))


@router.get(
    "/question-templates",
    operation_id="question_templates_list",
    summary="The organization's question bank, by category",
    description="Every member may read it; a new organization starts with a default set. "
    "API keys need `contacts:read`.",
)
async def list_question_templates(
    session: SessionDep,
    principal: PipelineReader,
    page: PageParamsDep,
    category: QuestionCategory | None = None,
) -> Page[QuestionTemplateRead]:
    templates, next_cursor = await questions.list_templates(
        session, principal, params=page, category=category
    )
    return Page(
        data=[QuestionTemplateRead.model_validate(t) for t in templates], next_cursor=next_cursor
    )


@router.post(
    "/question-templates",
    status_code=status.HTTP_201_CREATED,
    operation_id="question_templates_create",
    summary="Add a question to the bank (staff)",
    description="API keys need `contacts:write`.",
)
async def create_question_template(
    body: QuestionTemplateCreate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> QuestionTemplateRead:
    template = await questions.create(session, principal, body)
    return with_etag(response, template.version, QuestionTemplateRead.model_validate(template))


@router.patch(
    "/question-templates/{template_id}",
    operation_id="question_templates_update",
    summary="Change a question (staff)",
    responses=problem_responses(404, 412),
)
async def update_question_template(
    template_id: uuid.UUID,
    body: QuestionTemplateUpdate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> QuestionTemplateRead:
    """Changes the question's category or text; neither may be sent as null. With `If-Match`,
    refused with 412 when it changed since it was read. Staff only; API keys need
    `contacts:write`.
    """
    template = await questions.get(session, template_id)
    check_if_match(if_match, template.version)
    template = await questions.update(session, principal, template, body)
    return with_etag(response, template.version, QuestionTemplateRead.model_validate(template))


@router.delete(
    "/question-templates/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="question_templates_delete",
    summary="Remove a question from the bank (staff)",
    responses=problem_responses(404),
)
async def delete_question_template(
    template_id: uuid.UUID, session: SessionDep, principal: PipelineWriter
) -> Response:
    """Retires the question from the organization's bank: it is no longer listed or
    offered, and is kept as retired so the default questions are not seeded again. Staff
    only; API keys need `contacts:write`.
    """
    template = await questions.get(session, template_id)
    await questions.retire(session, principal, template)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
