"""The email outbox survives a worker killed mid-send, on PostgreSQL.

Creates its own database, runs an SMTP server (aiosmtpd) on loopback that records the
`Message-ID` of every message it accepts, starts two `coach-api worker` processes,
writes messages through the outbox (`app.mail.outbox.enqueue`) while they send,
SIGKILLs one worker mid-run and starts it again, then waits until every message is
`sent`. Prints messages written, distinct `Message-ID`s received, lost and duplicates.
Everything it creates is dropped at the end.

    python -m benchmarks.email_crash --messages 200 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import contextlib
import email.parser
import email.policy
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.time import utc_now
from app.db.session import create_engine, create_sessionmaker
from app.db.tenancy import bind_organization
from app.mail.outbox import enqueue
from app.models import EmailAttempt, EmailMessage, EmailStatus, Organization
from benchmarks.common import (
    DEFAULT_POSTGRES_URL,
    WorkerConfig,
    check_bounds,
    check_loopback,
    free_port,
    load_average,
    run_killing_one_worker,
    throwaway_database,
    worker_errors,
)

WORKERS = 2
WRITE_BATCH = 25
WRITE_PAUSE_SECONDS = 0.05
POLL_SECONDS = 0.05
RESTART_AFTER_SECONDS = 1.0


# --- the SMTP server --------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the loopback SMTP server accepted: the `Message-ID` of every message whose
    DATA arrived whole (a connection cut before the end of DATA delivers nothing)."""

    port: int = 0
    delay_seconds: float = 0.0
    ids: list[str] = field(default_factory=list)
    # The client ports of the messages accepted whose "250" has not gone out yet.
    unanswered: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def distinct(self) -> int:
        with self.lock:
            return len(set(self.ids))


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.parser = email.parser.BytesHeaderParser(policy=email.policy.default)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        headers = self.parser.parsebytes(envelope.original_content or b"")
        peer: Any = session.peer  # typed `str`, a (host, port) tuple for TCP
        port = int(peer[1])
        with self.mailbox.lock:
            self.mailbox.ids.append(str(headers.get("Message-ID", "")).strip())
            self.mailbox.unanswered.add(port)
        # The message is the server's from here; the "250" waits (a server scanning the
        # message, or syncing its queue), so the kill lands on a worker with messages
        # delivered whose answer it never reads.
        try:
            await asyncio.sleep(self.mailbox.delay_seconds)
        finally:
            with self.mailbox.lock:
                self.mailbox.unanswered.discard(port)
        return "250 OK"


@contextlib.contextmanager
def run_smtp_server(delay_seconds: float) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1 (its own thread and event loop), answering 250 after
    `delay_seconds`."""
    mailbox = Mailbox(port=free_port(), delay_seconds=delay_seconds)
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def _sockets_of(pid: int) -> set[str]:
    """The inodes of a process's sockets (Linux /proc; empty elsewhere)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    return inodes


def _loopback_sockets(ports: set[int]) -> set[str]:
    """The inodes of the IPv4 TCP sockets whose local port is in `ports`."""
    inodes = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) in ports:
                inodes.add(fields[9])
    return inodes


@dataclass
class Victim:
    """Picks the worker to kill: the one with the most messages the server has accepted
    but not answered yet (they come back as duplicates), or the first one."""

    mailbox: Mailbox
    unanswered_at_kill: int = 0

    def __call__(self, pids: Sequence[int]) -> int:
        with self.mailbox.lock:
            ports = set(self.mailbox.unanswered)
        waiting = _loopback_sockets(ports)
        held = [len(_sockets_of(pid) & waiting) for pid in pids]
        index = max(range(len(pids)), key=held.__getitem__)
        self.unanswered_at_kill = held[index]
        return index


def email_settings(
    smtp_port: int, timeout_seconds: float, lease_margin_seconds: float
) -> dict[str, str]:
    """The workers' mail settings: the loopback server and the run's lease."""
    return {
        "COACH_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "COACH_SMTP_TIMEOUT_SECONDS": str(timeout_seconds),
        "COACH_EMAIL_LEASE_MARGIN_SECONDS": str(lease_margin_seconds),
    }


# --- the run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrashResult:
    written: int
    received: int  # messages the server accepted (DATA complete)
    distinct: int  # distinct Message-IDs among them that were written
    duplicated_ids: int  # Message-IDs received more than once
    unknown_ids: int  # Message-IDs received that no written message has
    received_at_kill: int
    unanswered_at_kill: int  # accepted, "250" not yet sent, by the killed worker
    leased_at_kill: int  # messages claimed by some worker when one was killed
    sent: int  # messages the database records as sent
    failed: int  # messages the database records as failed for good
    attempts: int
    failed_attempts: int
    seconds: float
    completed: bool
    lost: int  # written, never received

    @property
    def duplicates(self) -> int:
        return self.received - self.distinct - self.unknown_ids


async def _organization(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with sessionmaker() as session:
        organization = Organization(id=uuid.uuid4(), name="Email crash test practice")
        session.add(organization)
        await session.commit()
    return organization.id


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    organization_id: uuid.UUID,
    messages: int,
    written: list[str],
) -> None:
    """Write messages through the outbox, as the API's role in a request's transaction,
    in small committed batches while the workers send; their Message-IDs go to `written`."""
    expires_at = (utc_now() + timedelta(days=7)).strftime("%Y-%m-%d %H:%M UTC")
    for start in range(0, messages, WRITE_BATCH):
        ids = []
        async with sessionmaker() as session:
            await bind_organization(session, organization_id)
            for n in range(start, min(start + WRITE_BATCH, messages)):
                message = await enqueue(
                    session,
                    settings,
                    kind="invitation",
                    to=f"crash-test-{n}@example.com",
                    subject="You are invited to Email crash test practice",
                    template="invitation",
                    context={
                        "organization_name": "Email crash test practice",
                        "inviter_name": "The crash test",
                        "role_label": "a coach",
                        "accept_url": f"{settings.public_url}/invitations/accept?token=crash-{n}",
                        "expires_at": expires_at,
                    },
                    organization_id=organization_id,
                )
                ids.append(message.message_id)
            await session.commit()
        written.extend(ids)  # committed
        await asyncio.sleep(WRITE_PAUSE_SECONDS)


@dataclass(frozen=True, slots=True)
class _Counts:
    sent: int
    failed: int
    leased: int  # pending and claimed right now
    attempts: int
    failed_attempts: int


async def _counts(sessionmaker: async_sessionmaker[AsyncSession]) -> _Counts:
    async with sessionmaker() as session:
        statuses = await session.execute(
            select(EmailMessage.status, func.count()).group_by(EmailMessage.status)
        )
        by_status = {status: n for status, n in statuses}
        leased = await session.scalar(
            select(func.count())
            .select_from(EmailMessage)
            .where(
                EmailMessage.status == EmailStatus.pending,
                EmailMessage.claimed_until > utc_now(),
            )
        )
        outcomes = await session.execute(
            select(EmailAttempt.succeeded, func.count()).group_by(EmailAttempt.succeeded)
        )
        attempts = {succeeded: n for succeeded, n in outcomes}
    return _Counts(
        sent=by_status.get(EmailStatus.sent, 0),
        failed=by_status.get(EmailStatus.failed, 0),
        leased=leased or 0,
        attempts=sum(attempts.values()),
        failed_attempts=attempts.get(False, 0),
    )


async def run_crash(
    owner_url: str,
    app_url: str,
    *,
    messages: int,
    kill_after: int,
    smtp_delay_seconds: float = 0.2,
    timeout_seconds: float = 5.0,
    lease_margin_seconds: float = 10.0,
    deadline_seconds: float = 300.0,
    log: IO[str],
) -> CrashResult:
    """The scenario on an already migrated, otherwise idle database: `owner_url` is the
    workers' role (past Row-Level Security, as in production), `app_url` the API's, which
    writes the messages."""
    owner_engine = create_engine(Settings(database_url=owner_url), owner_url)
    app_settings = Settings(database_url=app_url)
    app_engine = create_engine(app_settings, app_url)
    owner_sessions = create_sessionmaker(owner_engine)
    written: list[str] = []
    try:
        with run_smtp_server(smtp_delay_seconds) as mailbox:
            config = WorkerConfig(
                owner_url,
                app_url,
                email_settings(mailbox.port, timeout_seconds, lease_margin_seconds),
            )
            organization_id = await _organization(owner_sessions)
            victim = Victim(mailbox)

            async def leased() -> int:
                return (await _counts(owner_sessions)).leased

            async def finished() -> bool:
                # Sent in the database, and the server has every one of them.
                if (await _counts(owner_sessions)).sent < messages:
                    return False
                with mailbox.lock:
                    return set(written) <= set(mailbox.ids)

            run = await run_killing_one_worker(
                config,
                log,
                workers=WORKERS,
                produce=_write(
                    create_sessionmaker(app_engine),
                    app_settings,
                    organization_id,
                    messages,
                    written,
                ),
                kill_after=kill_after,
                done=mailbox.distinct,
                leased=leased,
                finished=finished,
                deadline_seconds=deadline_seconds,
                restart_after_seconds=RESTART_AFTER_SECONDS,
                poll_seconds=POLL_SECONDS,
                victim=victim,
            )
            counts = await _counts(owner_sessions)
            with mailbox.lock:
                received = Counter(mailbox.ids)
        expected = set(written)
        return CrashResult(
            written=len(written),
            received=sum(received.values()),
            distinct=len(expected & received.keys()),
            duplicated_ids=sum(1 for n in received.values() if n > 1),
            unknown_ids=sum(n for id_, n in received.items() if id_ not in expected),
            received_at_kill=run.done_at_kill,
            unanswered_at_kill=victim.unanswered_at_kill,
            leased_at_kill=run.leased_at_kill,
            sent=counts.sent,
            failed=counts.failed,
            attempts=counts.attempts,
            failed_attempts=counts.failed_attempts,
            seconds=run.seconds,
            completed=run.completed,
            lost=len(expected - received.keys()),
        )
    finally:
        await app_engine.dispose()
        await owner_engine.dispose()


def report(result: CrashResult, *, lease_seconds: float) -> str:
    rows = [
        ("messages written (outbox)", result.written),
        ("messages accepted by the SMTP server", result.received),
        ("distinct Message-IDs received", result.distinct),
        ("lost (written, never received)", result.lost),
        ("duplicates (extra copies, same Message-ID)", result.duplicates),
        ("Message-IDs received more than once", result.duplicated_ids),
        ("Message-IDs received but never written", result.unknown_ids),
        ("received when the worker was killed", result.received_at_kill),
        ("of which the killed worker had no answer for", result.unanswered_at_kill),
        ("messages leased at the kill (both workers)", result.leased_at_kill),
        ("messages sent (database)", result.sent),
        ("messages failed for good (database)", result.failed),
        ("attempts recorded (database)", result.attempts),
        ("of which failed", result.failed_attempts),
    ]
    lines = [f"{label:<46}{value:>8,}" for label, value in rows]
    label = f"elapsed (lease {lease_seconds:.0f} s)"
    lines.append(f"{label:<46}{result.seconds:>7.1f}s")
    if not result.completed:
        lines.append("NOT COMPLETE: the deadline passed before every message was sent")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.email_crash",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument(
        "--kill-at", type=float, default=0.4, help="kill after this share was received"
    )
    parser.add_argument(
        "--smtp-delay-ms", type=int, default=200, help="the server's wait before each 250"
    )
    parser.add_argument(
        "--timeout-seconds", type=float, default=5.0, help="COACH_SMTP_TIMEOUT_SECONDS"
    )
    parser.add_argument(
        "--lease-margin-seconds",
        type=float,
        default=10.0,
        help="COACH_EMAIL_LEASE_MARGIN_SECONDS (production default 120)",
    )
    parser.add_argument("--deadline-seconds", type=float, default=300.0)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on a loopback server (creates and drops a database and a role)",
    )
    args = parser.parse_args(argv)
    check_bounds(parser, args, {"messages": (10, 100_000), "smtp_delay_ms": (0, 5_000)})
    if not 0 < args.kill_at < 1:
        parser.error("--kill-at must be between 0 and 1")
    if args.lease_margin_seconds < 1 or not 0 < args.timeout_seconds <= 300:
        parser.error("--lease-margin-seconds must be >= 1, --timeout-seconds in (0, 300]")
    check_loopback(parser, args.postgres_url)
    return args


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"{os.cpu_count()} CPUs, {load_average()}")
    lease_seconds = args.timeout_seconds * 2 + args.lease_margin_seconds
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as log:
        async with throwaway_database(args.postgres_url, "coach_mail_crash") as urls:
            result = await run_crash(
                *urls,
                messages=args.messages,
                kill_after=max(1, int(args.messages * args.kill_at)),
                smtp_delay_seconds=args.smtp_delay_ms / 1000,
                timeout_seconds=args.timeout_seconds,
                lease_margin_seconds=args.lease_margin_seconds,
                deadline_seconds=args.deadline_seconds,
                log=log,
            )
        print(
            f"{WORKERS} workers, one SIGKILLed after {result.received_at_kill} messages "
            f"received and restarted {RESTART_AFTER_SECONDS:.0f} s later"
        )
        print(report(result, lease_seconds=lease_seconds))
        print(f"whole run, database setup included: {time.monotonic() - started:.1f} s")
        print(load_average())
        if errors := worker_errors(log):
            print(errors)
    ok = result.completed and result.lost == 0 and result.unknown_ids == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
