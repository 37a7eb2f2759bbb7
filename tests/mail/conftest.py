"""A real SMTP server on loopback (aiosmtpd) and the worker's passes over the outbox
(and its digest pass)."""

import asyncio
import email
import email.message
import email.policy
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.password import issue_requested
from app.core.config import Settings
from app.db.session import create_sessionmaker
from app.digests.send import send_due_digests
from app.mail import dispatch
from app.mail.transport import SmtpTransport, Transport


@dataclass
class Mailbox:
    """What the server received, and what it answers to the next messages."""

    port: int
    received: list[email.message.EmailMessage] = field(default_factory=list)
    # An SMTP reply to give instead of accepting ("451 …" to defer, "550 …" to refuse).
    reply: str | None = None

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    def one_to(self, address: str) -> email.message.EmailMessage:
        found = self.to(address)
        assert len(found) == 1, f"{len(found)} messages to {address}"
        return found[0]


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.mailbox.reply is not None:
            return self.mailbox.reply
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.mailbox.received.append(parsed)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=_free_port())
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def token_in(message: email.message.EmailMessage) -> str:
    found = re.search(r"token=(\S+)", text_of(message))
    assert found is not None, text_of(message)
    return found.group(1)


@dataclass
class Worker:
    """The worker's passes, as the owner role: settle reset requests, send the outbox."""

    owner_engine: AsyncEngine
    settings: Settings
    transport: Transport

    async def run(self, **overrides: Any) -> int:
        sessionmaker = create_sessionmaker(self.owner_engine)
        settings = self.settings.model_copy(update=overrides)
        await issue_requested(sessionmaker, settings)
        sent = 0
        while attempted := await dispatch.run_once(
            sessionmaker, settings, transport=self.transport
        ):
            sent += attempted
            await asyncio.sleep(0)
        return sent


@pytest.fixture
def worker(owner_engine: AsyncEngine, settings: Settings, mailbox: Mailbox) -> Worker:
    return Worker(
        owner_engine, settings, SmtpTransport.from_url(f"smtp://127.0.0.1:{mailbox.port}", 10)
    )


@dataclass
class Digests:
    """The worker's digest pass for some organizations, then its outbox pass."""

    owner_engine: AsyncEngine
    settings: Settings
    worker: Worker

    async def run(
        self,
        *organization_ids: uuid.UUID,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> int:
        """Returns how many digests were put in the outbox (then sends the outbox)."""
        enqueued = await send_due_digests(
            sessionmaker or create_sessionmaker(self.owner_engine),
            self.settings,
            organization_ids=organization_ids,
        )
        await self.worker.run()
        return enqueued


@pytest.fixture
def digests(owner_engine: AsyncEngine, settings: Settings, worker: Worker) -> Digests:
    return Digests(owner_engine, settings, worker)
