"""The organization's question bank, with a default set seeded on first use."""

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import require_role
from app.auth.principal import Principal
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import utc_now
from app.models import QuestionTemplate
from app.models.enums import STAFF_ROLES
from app.models.pipeline import QuestionCategory
from app.questions.schemas import QuestionTemplateCreate, QuestionTemplateUpdate

C = QuestionCategory

# (seed key, category, text): what the method suggests asking in a 20-minute meeting.
DEFAULT_QUESTIONS: tuple[tuple[str, QuestionCategory, str], ...] = (
    ("company-direction", C.company, "Where is the company heading over the next two years?"),
    ("company-challenges", C.company, "What are the biggest challenges your team faces now?"),
    ("company-edge", C.company, "What does the company do better than its competitors?"),
    ("culture-describe", C.culture, "How would you describe the culture here?"),
    ("culture-thrive", C.culture, "What kind of people do well here, and who struggles?"),
    ("culture-decisions", C.culture, "How are decisions made on your team?"),
    ("role-week", C.role, "What does a typical week look like in your role?"),
    ("role-skills", C.role, "Which skills matter most for someone starting in this field?"),
    (
        "contacts-who-else",
        C.contacts,
        "Who else should I talk to, and may I mention that you suggested them?",
    ),
    ("contacts-other-teams", C.contacts, "Is there someone in another team I should meet?"),
    ("advice-in-my-place", C.advice, "What would you do in my position?"),
    ("advice-path", C.advice, "How did you get to where you are now?"),
    (
        "advice-background",
        C.advice,
        "Is there anything in my background I should present differently?",
    ),
)


async def seed_defaults(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Insert the default set once; concurrent first reads insert each question once."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    now = utc_now()
    rows = [
        {
            "id": uuid.uuid4(),
            "organization_id": organization_id,
            "category": category,
            "text": text,
            "seed_key": key,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for key, category, text in DEFAULT_QUESTIONS
    ]
    await session.execute(
        insert(QuestionTemplate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["organization_id", "seed_key"])
    )


async def list_templates(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    category: QuestionCategory | None,
) -> tuple[list[QuestionTemplate], str | None]:
    """The organization's questions by category; an organization that never had the
    default set gets it first (deleted ones are retired, so it is never seeded twice)."""
    seeded = select(QuestionTemplate.id).where(QuestionTemplate.seed_key.is_not(None)).limit(1)
    if (await session.execute(seeded)).first() is None:
        await seed_defaults(session, principal.organization_id)
    statement = select(QuestionTemplate).where(QuestionTemplate.retired_at.is_(None))
    if category is not None:
        statement = statement.where(QuestionTemplate.category == category)
    key = SortKey((QuestionTemplate.category, QuestionTemplate.created_at, QuestionTemplate.id))
    return await paginate(session, statement, sort=key, params=params)


async def get(session: AsyncSession, template_id: uuid.UUID) -> QuestionTemplate:
    """A live template of the caller's organization; otherwise 404."""
    template = (
        await session.execute(
            select(QuestionTemplate).where(
                QuestionTemplate.id == template_id, QuestionTemplate.retired_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    if template is None:
        raise NotFound("No question template with this id.")
    return template


async def texts_of(session: AsyncSession, template_ids: list[uuid.UUID]) -> list[str]:
    """The texts of these live templates of the organization, in the order given; 422 if
    one is not."""
    if not template_ids:
        return []
    rows = await session.execute(
        select(QuestionTemplate.id, QuestionTemplate.text).where(
            QuestionTemplate.id.in_(template_ids), QuestionTemplate.retired_at.is_(None)
        )
    )
    texts: dict[uuid.UUID, str] = {row.id: row.text for row in rows}
    missing = [str(i) for i in template_ids if i not in texts]
    if missing:
        raise Unprocessable(
            "Unknown question templates: " + ", ".join(missing) + ".",
            errors=[
                {"loc": ["body", "question_template_ids"], "msg": "unknown", "type": "template"}
            ],
        )
    return [texts[i] for i in template_ids]


async def create(
    session: AsyncSession, principal: Principal, body: QuestionTemplateCreate
) -> QuestionTemplate:
    require_role(principal, STAFF_ROLES, "change the question bank")
    template = QuestionTemplate(organization_id=principal.organization_id, **body.model_dump())
    session.add(template)
    await session.flush()
    return template


async def update(
    session: AsyncSession,
    principal: Principal,
    template: QuestionTemplate,
    body: QuestionTemplateUpdate,
) -> QuestionTemplate:
    """Apply a partial update: only the fields set in `body` change."""
    require_role(principal, STAFF_ROLES, "change the question bank")
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(template, name, value)
    await session.flush()
    return template


async def retire(session: AsyncSession, principal: Principal, template: QuestionTemplate) -> None:
    """Remove a template from the bank (kept as retired, so the defaults are not re-seeded)."""
    require_role(principal, STAFF_ROLES, "change the question bank")
    template.retired_at = utc_now()
    await session.flush()
