"""Which events concern a client: those under it, and the `member.joined` of its logins
(about the organization, with no client id, but carrying a login's name and email)."""

from typing import Any

from sqlalchemy import and_, or_

from app.models import Client, Event

_MEMBER_JOINED = "member.joined"


def concerning(client: Client) -> Any:
    """The events about the client, and (to be narrowed by `about`) every `member.joined`."""
    return or_(
        Event.client_id == client.id,
        and_(Event.client_id.is_(None), Event.type == _MEMBER_JOINED),
    )


def about(event: Any, client: Client) -> bool:
    return bool(event.client_id == client.id or event.payload.get("client_id") == str(client.id))
