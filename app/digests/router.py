"""Digest preferences (`/me/digest`) and the one-click unsubscribe a digest carries
(`/digest/unsubscribe?token=…`, RFC 8058).

The unsubscribe URL is its own credential, like a calendar feed's: no `Authorization`
header. Its `POST` (what a mail client's one-click button sends, with the body
`List-Unsubscribe=One-Click`) switches the digest off; its `GET` (a person following
the link in the text, or a scanner fetching it ahead of them) changes nothing and
answers a page with a button that posts.
"""

import html
from typing import Annotated, Any

from fastapi import Query, Response

from app.auth.dependencies import AnyMember
from app.core.config import SettingsDep
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.digests import service
from app.digests.schemas import DigestPreferencesRead, DigestPreferencesUpdate

router = api_router(tags=["digests"])

HTML_MEDIA_TYPE = "text/html; charset=utf-8"
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'",
    "Cache-Control": "no-store",
    # The page's URL carries the token: no link out of it may pass it on.
    "Referrer-Policy": "no-referrer",
}
TokenQuery = Annotated[
    str,
    Query(
        description="The token of the digest's `List-Unsubscribe` link.",
        min_length=1,
        max_length=200,
    ),
]


def _html_responses(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}},
        **problem_responses(404, 422),
    }


def _page(title: str, body: str) -> Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; '
        'max-width: 480px; margin: 48px auto; padding: 0 16px; color: #1f2933;">'
        f'<h1 style="font-size: 20px;">{html.escape(title)}</h1>{body}</body></html>'
    )
    return Response(text, media_type=HTML_MEDIA_TYPE, headers=_PAGE_HEADERS)


@router.get(
    "/me/digest",
    operation_id="digest_preferences_get",
    summary="Your email digest: how often, on which day, at what hour",
    responses=problem_responses(401, 403),
)
async def get_digest_preferences(
    session: SessionDep, principal: AnyMember
) -> DigestPreferencesRead:
    """Your choice in this organization (a person in two practices chooses per
    practice); until you choose, weekly on Monday at 8:00 in the organization's time
    zone. Members only: API keys may not (403)."""
    return await service.get(session, principal)


@router.patch(
    "/me/digest",
    operation_id="digest_preferences_update",
    summary="Choose how often your email digest comes",
    responses=problem_responses(401, 403, 409, 422),
)
async def update_digest_preferences(
    body: DigestPreferencesUpdate, session: SessionDep, principal: AnyMember
) -> DigestPreferencesRead:
    """Partial: the fields sent change, none may be null. `frequency` `daily`,
    `weekly` or `never`; `weekday` (weekly) 0-6 or `mon` … `sun`; `hour` 0-23 in
    `timezone`, an IANA name (422 for one the server does not know). A digest comes at
    the worker's first pass after the period starts, once per period, and not at all
    when there is nothing to say. Members only: API keys may not (403)."""
    return await service.update(session, principal, body)


@router.get(
    "/digest/unsubscribe",
    operation_id="digest_unsubscribe_page",
    summary="The page behind a digest's unsubscribe link: a button, nothing changed yet",
    description="No `Authorization` header: the token is the credential (404 for one "
    "this server did not sign, or for a member since removed). Changes nothing, since "
    "link scanners fetch links before people do: answers a small page whose button "
    "sends the `POST` that unsubscribes.",
    response_class=Response,
    responses=_html_responses("A page with an unsubscribe button."),
    openapi_extra={"security": []},
)
async def unsubscribe_page(
    token: TokenQuery, session: SessionDep, settings: SettingsDep
) -> Response:
    await service.check_unsubscribe(session, settings, token)
    action = html.escape(f"?token={token}", quote=True)
    return _page(
        "Stop your digests?",
        f'<form method="post" action="{action}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        "<p>You will get no more digest emails from this practice. You can switch them "
        "on again in your settings.</p>"
        '<button type="submit" style="padding: 8px 16px;">Unsubscribe</button></form>',
    )


@router.post(
    "/digest/unsubscribe",
    operation_id="digest_unsubscribe",
    summary="One-click unsubscribe from digests (RFC 8058)",
    description="No `Authorization` header: the token is the credential (404 for one "
    "this server did not sign, or for a member since removed). Sets the member's digest "
    "`frequency` to `never` in the organization the token names; again is the same. "
    "The body, as RFC 8058 has mail clients send it, is `List-Unsubscribe=One-Click` "
    "(`application/x-www-form-urlencoded`), or empty. Answers a short confirmation page.",
    response_class=Response,
    responses=_html_responses("Unsubscribed."),
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}
                        },
                    },
                    "example": {"List-Unsubscribe": "One-Click"},
                }
            },
        },
    },
)
async def unsubscribe(token: TokenQuery, session: SessionDep, settings: SettingsDep) -> Response:
    await service.unsubscribe(session, settings, token)
    return _page(
        "You are unsubscribed",
        "<p>No more digest emails will come from this practice. You can switch them on "
        "again in your settings.</p>",
    )
