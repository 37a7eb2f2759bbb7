"""The one-click unsubscribe token a digest carries (RFC 8058).

`<membership id hex><organization id hex>.<signature>`: an HMAC-SHA256 over the two
ids and the token's purpose, keyed by a key derived from the signing secret for this
purpose alone. Checking one needs no database row and no stored token, so every digest
ever sent keeps working, and nothing about it is kept in the outbox once sent; what it
can do is only switch that member's digest off, so it does not expire. Rotating
`COACH_JWT_SECRET` voids every link sent before.
"""

import base64
import hashlib
import hmac
import re
import uuid

from app.core.config import Settings

PURPOSE = b"coach-api/digest-unsubscribe/v1"
# Where the routes live (app/main.py mounts every router under /api/v1).
UNSUBSCRIBE_PATH = "/api/v1/digest/unsubscribe"
_TOKEN = re.compile(r"([0-9a-f]{32})([0-9a-f]{32})\.([A-Za-z0-9_-]{43})")


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.signing_secret().encode(), PURPOSE, hashlib.sha256).digest()


def _signature(settings: Settings, body: str) -> str:
    mac = hmac.new(_key(settings), PURPOSE + b":" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def unsubscribe_token(
    settings: Settings, membership_id: uuid.UUID, organization_id: uuid.UUID
) -> str:
    body = membership_id.hex + organization_id.hex
    return f"{body}.{_signature(settings, body)}"


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{settings.api_url}{UNSUBSCRIBE_PATH}?token={token}"


def read_token(settings: Settings, token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(membership id, organization id) of a token this server signed, else None."""
    found = _TOKEN.fullmatch(token)
    if found is None:
        return None
    membership_hex, organization_hex, signature = found.groups()
    expected = _signature(settings, membership_hex + organization_hex)
    if not hmac.compare_digest(expected, signature):
        return None
    return uuid.UUID(hex=membership_hex), uuid.UUID(hex=organization_hex)
