"""Webhook delivery survives a worker killed mid-run (issue #6, "Proof"), on PostgreSQL.

Creates its own database, registers one endpoint pointing at a receiver on loopback,
starts two `coach-api worker` processes, writes events through the outbox while they
deliver, SIGKILLs one worker mid-run and starts it again, then waits until every
delivery has succeeded. Prints events, distinct `webhook-id`s received, lost and
duplicates. Everything it creates is dropped at the end.

    python -m benchmarks.webhook_crash --events 500 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import contextlib
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.time import utc_now
from app.db.session import create_engine, create_sessionmaker
from app.db.tenancy import bind_organization, unscoped
from app.events.service import NewEvent, record_events
from app.models import (
    DeliveryStatus,
    Organization,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhooks.signing import new_webhook_secret
from benchmarks.common import (
    DEFAULT_POSTGRES_URL,
    WorkerConfig,
    check_bounds,
    check_loopback,
    load_average,
    run_killing_one_worker,
    throwaway_database,
    worker_errors,
)

WORKERS = 2
EMIT_BATCH = 25
EMIT_PAUSE_SECONDS = 0.05
POLL_SECONDS = 0.05


# --- the receiver -----------------------------------------------------------------------


@dataclass
class Receiver:
    """What a loopback receiver saw: the `webhook-id` of every complete POST whose
    signature verifies, and how many were cut short or failed verification."""

    url: str = ""
    secret: str = ""
    delay_seconds: float = 0.0
    ids: list[str] = field(default_factory=list)  # of complete, verified requests
    bad_signatures: int = 0
    truncated: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def distinct(self) -> int:
        with self.lock:
            return len(set(self.ids))


def _verifier(secret: str) -> Any:
    """An independent Standard Webhooks verifier when the package is installed (dev extra)."""
    try:
        from standardwebhooks import Webhook
    except ImportError:
        return None
    return Webhook(secret)


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog (5) overflows when two workers post their batches at
    # once, and the connections it drops count as failed attempts.
    request_queue_size = 128
    daemon_threads = True


@contextlib.contextmanager
def run_receiver(secret: str, delay_seconds: float) -> Iterator[Receiver]:
    """A threaded HTTP receiver on 127.0.0.1 answering 200 after `delay_seconds`."""
    state = Receiver(secret=secret, delay_seconds=delay_seconds)
    verifier = _verifier(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender went away mid-request (the killed worker): not a delivery.
                with state.lock:
                    state.truncated += 1
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            valid = True
            if verifier is not None:
                try:
                    verifier.verify(body, headers)
                except Exception:
                    valid = False
            with state.lock:
                if valid:
                    state.ids.append(headers.get("webhook-id", ""))
                else:
                    state.bad_signatures += 1
            # Keeps requests in flight, so the kill lands on a worker mid-batch.
            time.sleep(state.delay_seconds)
            self.send_response(200 if valid else 400)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- workers ----------------------------------------------------------------------------


def webhook_settings(timeout_seconds: float, lease_margin_seconds: float) -> dict[str, str]:
    """The workers' webhook settings: receivers on loopback allowed, the run's lease."""
    return {
        "COACH_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "COACH_WEBHOOK_TIMEOUT_SECONDS": str(timeout_seconds),
        "COACH_WEBHOOK_LEASE_MARGIN_SECONDS": str(lease_margin_seconds),
    }


# --- the run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrashResult:
    events: int
    received: int  # complete POSTs with a valid signature
    distinct: int  # distinct webhook-ids among them
    duplicated_ids: int  # webhook-ids received more than once
    bad_signatures: int
    truncated: int  # requests cut short (by the kill, or a sender-side timeout)
    delivered_before_kill: int
    leased_at_kill: int  # deliveries claimed by some worker when one was killed
    succeeded: int  # deliveries the database records as succeeded
    attempts: int
    seconds: float
    completed: bool

    @property
    def lost(self) -> int:
        return self.events - self.distinct

    @property
    def duplicates(self) -> int:
        return self.received - self.distinct


async def _seed(sessionmaker: async_sessionmaker[AsyncSession], url: str, secret: str) -> uuid.UUID:
    """One organization with one endpoint subscribed to everything."""
    async with sessionmaker() as session:
        organization = Organization(id=uuid.uuid4(), name="Crash test practice")
        session.add(organization)
        await session.flush()
        await bind_organization(session, organization.id)
        session.add(
            WebhookEndpoint(organization_id=organization.id, url=url, secret=secret, event_types=[])
        )
        await session.commit()
    return organization.id


async def _emit(
    sessionmaker: async_sessionmaker[AsyncSession], organization_id: uuid.UUID, events: int
) -> None:
    """Write events through the outbox in small committed batches while workers run."""
    for start in range(0, events, EMIT_BATCH):
        async with sessionmaker() as session:
            await bind_organization(session, organization_id)
            await record_events(
                session,
                organization_id=organization_id,
                events=[
                    NewEvent("webhook.test", None, {"message": f"crash test event {n}"})
                    for n in range(start, min(start + EMIT_BATCH, events))
                ],
            )
            await session.commit()
        await asyncio.sleep(EMIT_PAUSE_SECONDS)


async def _delivery_counts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[int, int, int]:
    """(succeeded, leased right now, attempts) across the database."""
    async with sessionmaker() as session:
        now = utc_now()
        options = unscoped()
        succeeded = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.status == DeliveryStatus.succeeded)
            .execution_options(**options)
        )
        leased = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.claimed_until > now,
            )
            .execution_options(**options)
        )
        attempts = await session.scalar(
            select(func.count()).select_from(WebhookAttempt).execution_options(**options)
        )
    return succeeded or 0, leased or 0, attempts or 0


async def run_crash(
    owner_url: str,
    app_url: str,
    *,
    events: int,
    kill_after: int,
    receiver_delay_seconds: float = 0.05,
    timeout_seconds: float = 5.0,
    lease_margin_seconds: float = 10.0,
    deadline_seconds: float = 300.0,
    log: IO[str],
) -> CrashResult:
    """The scenario on an already migrated, otherwise idle database (`owner_url` must be
    a role past Row-Level Security, as the worker's is in production)."""
    engine = create_engine(Settings(database_url=owner_url), owner_url)
    sessionmaker = create_sessionmaker(engine)
    config = WorkerConfig(
        owner_url, app_url, webhook_settings(timeout_seconds, lease_margin_seconds)
    )
    try:
        with run_receiver(new_webhook_secret(), receiver_delay_seconds) as receiver:
            organization_id = await _seed(sessionmaker, receiver.url, receiver.secret)

            async def leased() -> int:
                return (await _delivery_counts(sessionmaker))[1]

            async def finished() -> bool:
                succeeded, _, _ = await _delivery_counts(sessionmaker)
                return succeeded >= events and receiver.distinct() >= events

            run = await run_killing_one_worker(
                config,
                log,
                workers=WORKERS,
                produce=_emit(sessionmaker, organization_id, events),
                kill_after=kill_after,
                done=receiver.distinct,
                leased=leased,
                finished=finished,
                deadline_seconds=deadline_seconds,
                poll_seconds=POLL_SECONDS,
            )
            succeeded, _, attempts = await _delivery_counts(sessionmaker)
            with receiver.lock:
                counts = Counter(receiver.ids)
                bad_signatures, truncated = receiver.bad_signatures, receiver.truncated
        return CrashResult(
            events=events,
            received=sum(counts.values()),
            distinct=len(counts),
            duplicated_ids=sum(1 for n in counts.values() if n > 1),
            bad_signatures=bad_signatures,
            truncated=truncated,
            delivered_before_kill=run.done_at_kill,
            leased_at_kill=run.leased_at_kill,
            succeeded=succeeded,
            attempts=attempts,
            seconds=run.seconds,
            completed=run.completed,
        )
    finally:
        await engine.dispose()


def report(result: CrashResult, *, lease_seconds: float) -> str:
    rows = [
        ("events emitted", result.events),
        ("POSTs received (complete, signature valid)", result.received),
        ("distinct webhook-ids delivered", result.distinct),
        ("lost", result.lost),
        ("duplicates (extra POSTs)", result.duplicates),
        ("webhook-ids received more than once", result.duplicated_ids),
        ("invalid signatures", result.bad_signatures),
        ("requests cut short (not counted)", result.truncated),
        ("delivered when the worker was killed", result.delivered_before_kill),
        ("deliveries leased at the kill (both workers)", result.leased_at_kill),
        ("deliveries succeeded (database)", result.succeeded),
        ("attempts recorded (database)", result.attempts),
    ]
    lines = [f"{label:<46}{value:>8,}" for label, value in rows]
    label = f"wall time (lease {lease_seconds:.0f} s)"
    lines.append(f"{label:<46}{result.seconds:>7.1f}s")
    if not result.completed:
        lines.append("NOT COMPLETE: the deadline passed before every delivery succeeded")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.webhook_crash",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument(
        "--kill-at", type=float, default=0.4, help="kill after this share was delivered"
    )
    parser.add_argument("--receiver-delay-ms", type=int, default=50)
    parser.add_argument("--timeout-seconds", type=float, default=5.0, help="webhook timeout")
    parser.add_argument(
        "--lease-margin-seconds",
        type=float,
        default=10.0,
        help="COACH_WEBHOOK_LEASE_MARGIN_SECONDS (production default 60)",
    )
    parser.add_argument("--deadline-seconds", type=float, default=300.0)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on a loopback server (creates and drops a database and a role)",
    )
    args = parser.parse_args(argv)
    check_bounds(parser, args, {"events": (10, 100_000), "receiver_delay_ms": (0, 5_000)})
    if not 0 < args.kill_at < 1:
        parser.error("--kill-at must be between 0 and 1")
    check_loopback(parser, args.postgres_url)
    return args


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"{os.cpu_count()} CPUs, {load_average()}")
    config_lease = args.timeout_seconds * 2 + args.lease_margin_seconds
    with tempfile.TemporaryFile("w+") as log:
        async with throwaway_database(args.postgres_url, "coach_crash") as (owner_url, app_url):
            result = await run_crash(
                owner_url,
                app_url,
                events=args.events,
                kill_after=max(1, int(args.events * args.kill_at)),
                receiver_delay_seconds=args.receiver_delay_ms / 1000,
                timeout_seconds=args.timeout_seconds,
                lease_margin_seconds=args.lease_margin_seconds,
                deadline_seconds=args.deadline_seconds,
                log=log,
            )
        print(
            f"{WORKERS} workers, one SIGKILLed after "
            f"{result.delivered_before_kill} deliveries and restarted 1 s later"
        )
        print(report(result, lease_seconds=config_lease))
        print(load_average())
        if errors := worker_errors(log):
            print(errors)
    return 0 if result.completed and result.lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
