import uuid
from typing import Annotated

from fastapi import Query, Request, Response, status

from app.contacts import service
from app.contacts.dependencies import ContactReader, ContactWriter
from app.contacts.schemas import (
    ContactChain,
    ContactCreate,
    ContactDeleted,
    ContactRead,
    ContactTree,
    ContactUpdate,
)
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, set_etag, with_etag
from app.core.pagination import Page, PageParamsDep, PageWriter
from app.core.responses import set_location
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models.enums import ContactSource, Relationship, Warmth

router = api_router(tags=["contacts"], responses=problem_responses(401, 403, 422))

_CONTACT_PAGE = PageWriter(ContactRead)


@router.get(
    "/clients/{client_id}/contacts",
    operation_id="contacts_list",
    summary="List a client's contacts",
    response_model=Page[ContactRead],
    responses=problem_responses(404),
)
async def list_contacts(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: ContactReader,
    page: PageParamsDep,
    warmth: Warmth | None = None,
    relationship: Relationship | None = None,
    source: ContactSource | None = None,
    tag: Annotated[str | None, Query(max_length=50, description="Carries this tag.")] = None,
    company: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Company name contains (any case): the contact's `company_name` "
            "or the name of its linked company.",
        ),
    ] = None,
    company_id: Annotated[
        uuid.UUID | None, Query(description="Only contacts linked to this company.")
    ] = None,
    root: Annotated[
        bool | None, Query(description="true: only roots; false: only referred contacts.")
    ] = None,
    parent_id: Annotated[
        uuid.UUID | None, Query(description="Only contacts introduced by this one.")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Name, title or company name (as `company`) contains."),
    ] = None,
    due: Annotated[
        bool | None,
        Query(
            description="true: due now, i.e. the planned follow-up (`next_follow_up_at`) "
            "or the keep-in-touch date (`next_touch_due_at`) has come, most overdue first "
            "(by the earlier of the two) unless `sort` is given; false: neither has."
        ),
    ] = None,
    sort: service.ContactSort | None = None,
) -> Response:
    """A client's contacts, filtered by relationship, source, tag, company, place in the tree,
    due follow-ups or a search, cursor-paginated in a stable order. Each carries its warmth
    and when the next touch is due. API keys need `contacts:read`.
    """
    rows, next_cursor = await service.list_contacts(
        session,
        principal,
        client_id,
        params=page,
        filters=service.ContactFilters(
            warmth=warmth,
            relationship=relationship,
            source=source,
            tag=tag,
            company=company,
            company_id=company_id,
            root=root,
            parent_id=parent_id,
            search=q,
            due=due,
        ),
        sort=sort,
    )
    # Written straight from the rows' typed values, not validated by FastAPI;
    # `response_model` keeps the schema in the contract.
    return Response(_CONTACT_PAGE.json(rows, next_cursor), media_type="application/json")


@router.post(
    "/clients/{client_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    operation_id="contacts_create",
    summary="Add a contact to a client's network",
    responses=problem_responses(404, 409),
)
async def create_contact(
    client_id: uuid.UUID,
    body: ContactCreate,
    session: SessionDep,
    principal: ContactWriter,
    response: Response,
    request: Request,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> ContactRead:
    """Adds a person to the client's network; `referred_by_id` places them under the contact
    who introduced them. Answers 201 with the contact, its `ETag` and its `Location`. A
    duplicate email or LinkedIn URL in the same network answers 409. API keys need
    `contacts:write`.
    """
    client = await service.client_for(session, principal, client_id)
    contact = await service.create(session, principal, client, body)
    set_etag(response, contact.version)
    set_location(response, request, "contacts_get", contact_id=contact.id)
    return service.contact_read(await service.view(session, principal, contact))


@router.get(
    "/contacts/{contact_id}",
    operation_id="contacts_get",
    name="contacts_get",
    summary="Get a contact",
    responses=problem_responses(404),
)
async def get_contact(
    contact_id: uuid.UUID, session: SessionDep, principal: ContactReader, response: Response
) -> ContactRead:
    """One contact with its warmth, depth in the tree and next touch due, and its `ETag`. API
    keys need `contacts:read`.
    """
    contact = await service.get(session, principal, contact_id)
    return with_etag(
        response,
        contact.version,
        service.contact_read(await service.view(session, principal, contact)),
    )


@router.patch(
    "/contacts/{contact_id}",
    operation_id="contacts_update",
    summary="Update a contact (partial); `referred_by_id` moves it with its branch",
    responses=problem_responses(404, 409, 412),
)
async def update_contact(
    contact_id: uuid.UUID,
    body: ContactUpdate,
    session: SessionDep,
    principal: ContactWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ContactRead:
    """Changes only the fields sent; a required field may be left out but not nulled. Changing
    `referred_by_id` moves the contact with everyone it introduced (409 if that would make a
    cycle). With `If-Match`, refused with 412 when the contact changed since it was read.
    API keys need `contacts:write`.
    """
    contact = await service.get(session, principal, contact_id)
    check_if_match(if_match, contact.version)
    contact = await service.update(session, principal, contact, body)
    return with_etag(
        response,
        contact.version,
        service.contact_read(await service.view(session, principal, contact)),
    )


@router.delete(
    "/contacts/{contact_id}",
    operation_id="contacts_delete",
    summary="Delete a contact; the people it introduced move up to its referrer",
    responses=problem_responses(404),
)
async def delete_contact(
    contact_id: uuid.UUID, session: SessionDep, principal: ContactWriter
) -> ContactDeleted:
    """Deletes the contact; the people it introduced are re-attached to its own referrer (or
    become roots), and the answer says how many moved. API keys need `contacts:write`.
    """
    contact = await service.get(session, principal, contact_id)
    moved = await service.delete(session, principal, contact)
    return ContactDeleted(id=contact_id, moved_children=moved)


@router.get(
    "/clients/{client_id}/contact-tree",
    operation_id="contacts_tree",
    summary="A client's contact tree, with each root branch's yield",
    description="The whole forest of who introduced whom (or the subtree under `root_id`). "
    "Children are listed by name. `branch_yields` has one entry per root, in the same "
    "order, counted over the whole branch even where `max_depth` cuts the nodes.",
    response_model=ContactTree,
    responses=problem_responses(404),
)
async def get_contact_tree(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: ContactReader,
    root_id: Annotated[
        uuid.UUID | None, Query(description="Only the subtree under this contact.")
    ] = None,
    max_depth: Annotated[
        int | None,
        Query(ge=0, le=50, description="Levels to include below the returned roots (0: roots)."),
    ] = None,
) -> Response:
    client = await service.client_for(session, principal, client_id)
    built = await service.forest(session, principal, client, root_id=root_id, max_depth=max_depth)
    # Thousands of nodes: serialised once from plain dicts shaped like ContactTree rather
    # than validated node by node; `response_model` keeps the schema in the contract.
    return Response(built.to_json(client.id), media_type="application/json")


@router.get(
    "/contacts/{contact_id}/chain",
    operation_id="contacts_chain",
    summary="The trail of introductions from a root to this contact",
    responses=problem_responses(404),
)
async def get_contact_chain(
    contact_id: uuid.UUID, session: SessionDep, principal: ContactReader
) -> ContactChain:
    """The contacts from the root of this contact's branch down to it, in order: who introduced
    whom. API keys need `contacts:read`.
    """
    contact = await service.get(session, principal, contact_id)
    return ContactChain(contact_id=contact.id, contacts=await service.chain(session, contact))
