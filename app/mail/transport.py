"""Handing one message to the mail server (`COACH_SMTP_URL`), or, with no server set,
to a folder of `.eml` files: each is named by its Message-ID, so a retry of a message
already written replaces the file instead of adding a second copy."""

import email.message
import email.policy
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from app.core.config import Settings
from app.models import EmailMessage

logger = logging.getLogger(__name__)


class SendFailed(Exception):
    """The message was not accepted; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, message: email.message.EmailMessage, recipient: str) -> None: ...


def mime_message(row: EmailMessage, settings: Settings) -> email.message.EmailMessage:
    """The RFC 5322 message for an outbox row: plain text with an HTML alternative."""
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = settings.email_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    for name, value in row.headers.items():
        message[name] = value
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class SmtpTransport:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # TLS from the first byte (smtps://)
    start_tls: bool  # STARTTLS after connecting (smtp://…?starttls=true)
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float) -> "SmtpTransport":
        parts = urlsplit(url)
        implicit_tls = parts.scheme.lower() == "smtps"
        query = parse_qs(parts.query)
        start_tls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        return cls(
            hostname=parts.hostname or "127.0.0.1",
            port=parts.port or (465 if implicit_tls else 587 if start_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit_tls,
            start_tls=start_tls and not implicit_tls,
            timeout=timeout,
        )

    async def send(self, message: email.message.EmailMessage, recipient: str) -> None:
        try:
            await aiosmtplib.send(
                message,
                recipients=[recipient],
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.start_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            raise SendFailed(_short(exc), permanent=all(500 <= c < 600 for c in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(_short(exc), permanent=500 <= exc.code < 600) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(_short(exc)) from exc


@dataclass(frozen=True, slots=True)
class FolderTransport:
    folder: Path

    async def send(self, message: email.message.EmailMessage, recipient: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:32]
            path = self.folder / f"{name}.eml"
            # Written whole, then renamed: a reader never sees half a message.
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as file:
                file.write(message.as_bytes())
            os.replace(temporary, path)
        except OSError as exc:
            raise SendFailed(_short(exc)) from exc
        # Where, never who or what: the body may hold a secret link.
        logger.info("email written to %s", path)


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url is None:
        return FolderTransport(Path(settings.email_folder))
    return SmtpTransport.from_url(
        settings.smtp_url.get_secret_value(), settings.smtp_timeout_seconds
    )


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
