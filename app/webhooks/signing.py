"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A `whsec_` secret is `whsec_` + base64 of random bytes; the HMAC key is those
bytes. `webhook-signature` is `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
several space-separated while a rotated-out secret is still honoured.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 24


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("not a whsec_ secret") from exc


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<signature>` for one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def message_body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The JSON body every receiver gets: `{type, timestamp, data}`."""
    document = {"type": event_type, "timestamp": rfc3339(occurred_at), "data": data}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(
    signing_secrets: Sequence[str], *, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    signatures = " ".join(
        sign(s, message_id=message_id, timestamp=timestamp, body=body) for s in signing_secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
