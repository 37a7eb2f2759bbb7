"""Writing a message to the outbox, in the transaction of whatever caused it.

Nothing is sent here: the worker (`app.mail.dispatch`) sends what was committed, so a
request that rolls back sends nothing, and a message once committed is sent even if the
process dies right after.
"""

import uuid
from email.utils import parseaddr
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.mail.render import render
from app.models import EmailMessage


def message_id_for(email_id: uuid.UUID, settings: Settings) -> str:
    """`<id@domain>`, the domain of the sender's address (RFC 5322 section 3.6.4)."""
    _, address = parseaddr(settings.email_from)
    domain = address.rpartition("@")[2] or "coach-api.localhost"
    return f"<{email_id}@{domain}>"


async def enqueue(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: str,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    organization_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Render `template` for `to` and add it to the outbox (flushed, not committed)."""
    # One line: a name with a line break in it must not start a header of its own.
    subject = " ".join(subject.split())[:300]
    rendered = render(template, subject, context)
    email_id = uuid.uuid4()
    message = EmailMessage(
        id=email_id,
        organization_id=organization_id,
        user_id=user_id,
        client_id=client_id,
        kind=kind,
        to_address=to,
        subject=subject,
        text_body=rendered.text,
        html_body=rendered.html,
        message_id=message_id_for(email_id, settings),
        headers=headers or {},
    )
    session.add(message)
    await session.flush()
    return message
