import uuid
from typing import Any

from fastapi import Response, status

from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader, shows_secret_once
from app.models import ApiKey
from app.models.enums import Scope
from app.organizations import service
from app.organizations.dependencies import (
    OrganizationAdmin,
    OrganizationReader,
    StaffMember,
)
from app.organizations.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    MemberRead,
    MemberUpdate,
    OrganizationRead,
    OrganizationUpdate,
)

router = api_router(tags=["organization"], responses=problem_responses(401, 403, 422))


def _api_key_fields(api_key: ApiKey) -> dict[str, Any]:
    return {
        "id": api_key.id,
        "name": api_key.name,
        "prefix": api_key.prefix,
        # A scope retired since the key was made is simply no longer granted.
        "scopes": [s for s in api_key.scopes if s in Scope._value2member_map_],
        "last_used_at": api_key.last_used_at,
        "created_by_id": api_key.created_by_id,
        "created_at": api_key.created_at,
    }


# Organization


@router.get(
    "/organization",
    operation_id="organization_get",
    summary="Get your organization and its settings",
)
async def get_organization(
    session: SessionDep, principal: OrganizationReader, response: Response
) -> OrganizationRead:
    """The organization the caller belongs to, with its settings (time zone, when contacts go
    cold and clients stall, keep-in-touch defaults, two-factor requirement). Answers an
    `ETag` to send back as `If-Match` on `PATCH /organization`. API keys need the
    `organization:read` scope.
    """
    organization = await service.get_organization(session, principal)
    return with_etag(response, organization.version, OrganizationRead.model_validate(organization))


@router.patch(
    "/organization",
    operation_id="organization_update",
    summary="Update your organization's settings (owners and admins)",
    responses=problem_responses(412),
)
async def update_organization(
    body: OrganizationUpdate,
    session: SessionDep,
    principal: OrganizationAdmin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> OrganizationRead:
    """Changes only the fields sent; each may be left out but not sent as null. With `If-
    Match`, refused with 412 when the organization changed since it was read. Owners and
    admins only; API keys may not.
    """
    organization = await service.get_organization(session, principal)
    check_if_match(if_match, organization.version)
    organization = await service.update_organization(session, organization, body)
    return with_etag(response, organization.version, OrganizationRead.model_validate(organization))


# Members


@router.get(
    "/members",
    operation_id="members_list",
    summary="List the organization's members (staff)",
    description="Owners and admins see every member; a coach sees the staff and the "
    "client logins of the clients they coach.",
)
async def list_members(
    session: SessionDep, principal: StaffMember, page: PageParamsDep
) -> Page[MemberRead]:
    views, next_cursor = await service.list_members(session, principal, params=page)
    return Page(data=[service.member_read(v) for v in views], next_cursor=next_cursor)


@router.patch(
    "/members/{user_id}",
    operation_id="members_update",
    summary="Change a member's role (owners and admins)",
    description="Only an owner may grant or remove the owner role; the last owner "
    "cannot be demoted (409). Role `client` needs the `client_id` of a client record.",
    responses=problem_responses(404, 409),
)
async def update_member(
    user_id: uuid.UUID, body: MemberUpdate, session: SessionDep, principal: OrganizationAdmin
) -> MemberRead:
    view = await service.change_member_role(
        session, principal, user_id, role=body.role, client_id=body.client_id
    )
    return service.member_read(view)


@router.delete(
    "/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="members_delete",
    summary="Remove a member from the organization (owners and admins)",
    description="Their tokens stop working at once. Admins cannot remove owners (403); "
    "the last owner cannot be removed (409).",
    responses=problem_responses(404, 409),
)
async def delete_member(
    user_id: uuid.UUID, session: SessionDep, principal: OrganizationAdmin
) -> Response:
    await service.remove_member(session, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# API keys


@router.get(
    "/api-keys",
    operation_id="api_keys_list",
    summary="List API keys (owners and admins); secrets are never shown",
)
async def list_api_keys(
    session: SessionDep, principal: OrganizationAdmin, page: PageParamsDep
) -> Page[ApiKeyRead]:
    """The organization's API keys with their scopes and when each was last used, cursor-
    paginated. The secret part of a key is never shown again after its creation. Owners and
    admins only.
    """
    api_keys, next_cursor = await service.list_api_keys(session, params=page)
    return Page(data=[ApiKeyRead(**_api_key_fields(k)) for k in api_keys], next_cursor=next_cursor)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    operation_id="api_keys_create",
    summary="Create an API key (owners and admins); the key is shown only once",
)
async def create_api_key(
    body: ApiKeyCreate,
    session: SessionDep,
    principal: OrganizationAdmin,
    response: Response,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> ApiKeyCreated:
    """Creates an API key with the scopes given. The full key (`ck_…`) is in this response only
    (`Cache-Control: no-store`): store it now. A retry with the same `Idempotency-Key`
    answers 409 rather than a second key. Owners and admins only.
    """
    api_key, key = await service.create_api_key(
        session, principal, name=body.name, scopes=body.scopes
    )
    shows_secret_once(response)
    return ApiKeyCreated(**_api_key_fields(api_key), key=key)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="api_keys_delete",
    summary="Revoke an API key (owners and admins); it stops working at once",
    responses=problem_responses(404),
)
async def delete_api_key(
    key_id: uuid.UUID, session: SessionDep, principal: OrganizationAdmin
) -> Response:
    """Revokes the key: requests with it answer 401 from now on. Owners and admins only."""
    await service.delete_api_key(session, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
