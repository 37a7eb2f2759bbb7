"""Machinery the benchmark scripts share: databases and roles, bulk rows, servers on loopback.

Everything here talks to loopback only: a PostgreSQL superuser creates the benchmark
databases and the application role (`NOSUPERUSER NOBYPASSRLS`, the grants of
`tests/conftest.py`), so the API runs with Row-Level Security live, as in production.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.db.session import async_database_url
from app.interviews.stages import TRANSITIONS
from app.models.enums import ContactSource, InteractionDirection, InteractionKind, Relationship
from app.models.pipeline import (
    CompanyStatus,
    InterviewKind,
    InterviewStage,
    OutreachChannel,
    OutreachPurpose,
    OutreachStatus,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_START_SECONDS = 30.0
SERVER_STOP_SECONDS = 5.0

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Barbara",
    "Carlos",
    "Dana",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kara",
    "Luis",
    "Maya",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Xenia",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Baker",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhang",
]
COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Soylent",
    "Tyrell",
    "Aperture",
    "Vandelay",
    "Pied-Piper",
    "Gringotts",
    "Monarch",
    "Oscorp",
    "Massive-Dynamic",
]
TITLES = (
    "Engineering Manager",
    "Staff Engineer",
    "Recruiter",
    "VP Product",
    "Head of Data",
    "Designer",
    "CTO",
    "HR Business Partner",
    "Product Manager",
    "Founder",
)
# Roughly how a job seeker's log looks: mostly emails and messages, some notes.
KIND_WEIGHTS = {
    InteractionKind.email: 30,
    InteractionKind.linkedin_message: 20,
    InteractionKind.call: 15,
    InteractionKind.meeting: 10,
    InteractionKind.thank_you: 5,
    InteractionKind.note: 15,
    InteractionKind.intro_request: 5,
}
DAY_SECONDS = 86_400


# --- arguments --------------------------------------------------------------------------


def check_bounds(
    parser: argparse.ArgumentParser, args: argparse.Namespace, bounds: dict[str, tuple[int, int]]
) -> None:
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name.replace('_', '-')} must be between {low} and {high}")


def check_loopback(parser: argparse.ArgumentParser, postgres_url: str) -> None:
    if (make_url(postgres_url).host or "127.0.0.1") not in LOOPBACK_HOSTS:
        parser.error("--postgres-url must point at a loopback server")


# --- databases and roles ----------------------------------------------------------------


async def admin_execute(url: str, *statements: str) -> None:
    engine = create_async_engine(async_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def database_urls(postgres_url: str, db_name: str, role: str) -> tuple[str, str]:
    """(owner URL, application URL): the superuser and the RLS-bound role on `db_name`."""
    server = make_url(async_database_url(postgres_url))
    owner_url = server.set(database=db_name).render_as_string(hide_password=False)
    app_url = server.set(database=db_name, username=role, password=None).render_as_string(
        hide_password=False
    )
    return owner_url, app_url


async def create_migrated_database(postgres_url: str, db_name: str, role: str) -> None:
    """Create `db_name`, run the migrations as its owner and create `role` with the grants
    of `tests/conftest.py`: it neither owns the tables nor bypasses RLS."""
    # Imported here: alembic logs at import time, before a script has quietened logging.
    from alembic import command

    from app.cli import alembic_config

    owner_url, _ = database_urls(postgres_url, db_name, role)
    await admin_execute(postgres_url, f'CREATE DATABASE "{db_name}"')
    config = alembic_config(owner_url)
    config.attributes["configure_logging"] = False

    await asyncio.to_thread(command.upgrade, config, "head")
    await admin_execute(
        owner_url,
        f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
    )


async def drop_database_and_role(postgres_url: str, db_name: str, role: str) -> None:
    await admin_execute(
        postgres_url,
        f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)',
        f'DROP ROLE IF EXISTS "{role}"',
    )


async def copy_rows(connection: AsyncConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY through the driver, inside the connection's transaction: the fast path."""
    if not rows:
        return
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    columns = list(rows[0])
    records = [tuple(row[column] for column in columns) for row in rows]
    await driver.copy_records_to_table(table, records=records, columns=columns)


# `last_contacted_at` (the latest interaction that is not a note) and the keep-in-touch
# due date that follows from it, for every seeded contact in one statement.
LAST_CONTACTED_SQL = """
UPDATE contacts AS c
SET last_contacted_at = latest.at,
    next_touch_due_at = CASE
        WHEN c.keep_in_touch_days IS NULL THEN NULL
        ELSE latest.at + make_interval(days => c.keep_in_touch_days)
    END
FROM (
    SELECT contact_id, max(occurred_at) AS at
    FROM interactions
    WHERE kind <> 'note'
    GROUP BY contact_id
) AS latest
WHERE c.id = latest.contact_id
"""


# --- rows -------------------------------------------------------------------------------


def random_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID from the seeded generator, so a seed gives the same data."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def referral_forest(
    rng: random.Random, contacts: int, roots: int, max_depth: int
) -> list[tuple[int | None, int]]:
    """(parent index, depth) per contact; every parent comes before its children.

    Branch sizes are skewed (a few big networks, many small ones), new contacts
    often extend the most recent chain, and the first branch always reaches
    `max_depth` so the deepest level is exercised.
    """
    if max_depth == 0:
        return [(None, 0)] * contacts
    roots = min(roots, contacts)
    nodes: list[tuple[int | None, int]] = [(None, 0)] * roots
    open_parents: list[list[int]] = [[i] for i in range(roots)]  # depth < max_depth
    latest = list(range(roots))
    weights = [rng.paretovariate(1.3) for _ in range(roots)]

    def add(tree: int, parent: int) -> None:
        depth = nodes[parent][1] + 1
        nodes.append((parent, depth))
        latest[tree] = len(nodes) - 1
        if depth < max_depth:
            open_parents[tree].append(len(nodes) - 1)

    while len(nodes) < contacts and nodes[latest[0]][1] < max_depth:
        add(0, latest[0])
    while len(nodes) < contacts:
        tree = rng.choices(range(roots), weights)[0]
        tip = latest[tree]
        extend = rng.random() < 0.45 and nodes[tip][1] < max_depth
        add(tree, tip if extend else rng.choice(open_parents[tree]))
    return nodes


def contact_rows(
    rng: random.Random,
    *,
    organization_id: uuid.UUID,
    client_id: uuid.UUID,
    count: int,
    roots: int,
    max_depth: int,
    now: datetime,
    created_days_ago: tuple[float, float] = (91, 365),
    chronological: bool = False,
) -> list[dict[str, Any]]:
    """A client's network in referral chains, `depth` and `referred_by_id` consistent.

    `chronological`: creation dates follow the tree (a referrer is always added before
    the people they introduced), so some contacts are recent.
    """
    forest = referral_forest(rng, count, roots, max_depth)
    ids = [random_uuid(rng) for _ in forest]
    ages = [rng.uniform(*created_days_ago) for _ in forest]
    if chronological:
        ages.sort(reverse=True)
    rows = []
    for index, (parent, depth) in enumerate(forest):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Most contacts have an email (unique per client); some only a name.
        email = f"{first}.{last}.{index}@example.com" if rng.random() < 0.8 else None
        created_at = now - timedelta(days=ages[index])
        cadence = rng.choice((None, None, None, 30, 60, 90))
        source = ContactSource.referral if parent is not None else rng.choice(list(ContactSource))
        rows.append(
            {
                "id": ids[index],
                "organization_id": organization_id,
                "client_id": client_id,
                "referred_by_id": None if parent is None else ids[parent],
                "full_name": f"{first} {last}",
                "email": email,
                "email_normalized": email.lower() if email else None,
                "phone": None,
                "linkedin_url": None,
                "linkedin_normalized": None,
                "company_name": rng.choice(COMPANIES),
                "title": rng.choice(TITLES),
                "relationship": rng.choice(list(Relationship)).value,
                "source": source.value,
                "role_at_company": None,
                "strength": rng.randint(1, 5),
                "tags": "[]",  # jsonb as text: COPY passes it to the driver as is
                "notes": None,
                "next_follow_up_at": None,
                "keep_in_touch_days": cadence,
                "depth": depth,
                "last_contacted_at": None,
                # Overwritten by LAST_CONTACTED_SQL for contacts with interactions.
                "next_touch_due_at": created_at + timedelta(days=cadence) if cadence else None,
                "created_at": created_at,
                "updated_at": created_at,
                "version": 1,
            }
        )
    return rows


def interaction_rows(
    rng: random.Random,
    contacts: list[dict[str, Any]],
    organization_id: uuid.UUID,
    user_id: uuid.UUID | None,
    count: int,
    *,
    now: datetime,
    days: int = 90,
) -> list[dict[str, Any]]:
    """`count` interactions over the last `days`, none before its contact was added."""
    # About one contact in seven was never contacted ("never" warmth).
    reached = [c for c in contacts if rng.random() < 0.85] or contacts[:1]
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    rows = []
    for kind in rng.choices(kinds, weights, k=count):
        contact = rng.choice(reached)
        known_seconds = (now - contact["created_at"]).total_seconds()
        span = min(days * DAY_SECONDS, known_seconds)
        occurred_at = now - timedelta(seconds=rng.uniform(60, span))
        rows.append(
            {
                "id": random_uuid(rng),
                "organization_id": organization_id,
                "client_id": contact["client_id"],
                "contact_id": contact["id"],
                "kind": kind.value,
                "direction": rng.choice(list(InteractionDirection)).value,
                "occurred_at": occurred_at,
                "summary": f"{kind.value.replace('_', ' ')} about open roles",
                "created_by_id": user_id,
                "created_at": occurred_at,
                "updated_at": occurred_at,
            }
        )
    return rows


def company_rows(
    rng: random.Random,
    *,
    organization_id: uuid.UUID,
    client_id: uuid.UUID,
    count: int,
    now: datetime,
    days: int = 120,
) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        created = now - timedelta(days=rng.uniform(0, days))
        rows.append(
            {
                "organization_id": organization_id,
                "client_id": client_id,
                "id": random_uuid(rng),
                "name": f"{rng.choice(COMPANIES)} {i}",
                "website": None,
                "domain": None,
                "industry": "Software",
                "location": "Remote",
                "size": None,
                "priority": rng.randint(1, 5),
                "status": rng.choice(list(CompanyStatus)).value,
                "why_interested": None,
                "research_notes": None,
                "has_openings": None,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
    return rows


def outreach_rows(
    rng: random.Random,
    *,
    organization_id: uuid.UUID,
    client_id: uuid.UUID,
    contact_ids: Sequence[uuid.UUID],
    company_ids: Sequence[uuid.UUID],
    count: int,
    now: datetime,
    days: int = 90,
) -> list[dict[str, Any]]:
    """Messages over the last `days`: some drafts, most sent, some answered in 0.5 to 5 days."""
    rows = []
    for _ in range(count):
        status = rng.choices(list(OutreachStatus), weights=[10, 40, 30, 10, 10], k=1)[0]
        created = now - timedelta(days=rng.uniform(0, days))
        sent = None if status is OutreachStatus.draft else created
        answered = status in (OutreachStatus.responded, OutreachStatus.declined)
        responded = sent + timedelta(days=rng.uniform(0.5, 5)) if sent and answered else None
        rows.append(
            {
                "organization_id": organization_id,
                "client_id": client_id,
                "id": random_uuid(rng),
                "contact_id": rng.choice(contact_ids),
                "company_id": rng.choice(company_ids) if company_ids else None,
                "channel": rng.choice(list(OutreachChannel)).value,
                "purpose": rng.choice(list(OutreachPurpose)).value,
                "subject": "20 minutes of your time?",
                "message": "Hello! I am exploring platform teams and would value advice.",
                "questions": '["What does your team do?"]',
                "status": status.value,
                "sent_at": sent,
                "responded_at": min(responded, now) if responded else None,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
    return rows


def pick_stage_path(rng: random.Random, kind: InterviewKind) -> list[InterviewStage]:
    """A legal walk through the kind's stages from its first one."""
    stages = TRANSITIONS[kind]
    path = [next(iter(stages))]
    while stages[path[-1]] and rng.random() < 0.6:
        path.append(rng.choice(stages[path[-1]]))
    return path


def interview_rows(
    rng: random.Random,
    *,
    organization_id: uuid.UUID,
    client_id: uuid.UUID,
    contact_ids: Sequence[uuid.UUID],
    company_ids: Sequence[uuid.UUID],
    count: int,
    now: datetime,
    days_ago: tuple[float, float] = (5, 90),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(interviews, stage changes): each interview walks a legal path of its kind's stages,
    one stage change per step, `held_at` set when it reached `held`; a thank-you follows
    some held interviews within 1 to 72 hours."""
    interviews, changes = [], []
    for _ in range(count):
        kind = rng.choices(list(InterviewKind), weights=[3, 1], k=1)[0]
        path = pick_stage_path(rng, kind)
        at = now - timedelta(days=rng.uniform(*days_ago))
        interview_id = random_uuid(rng)
        held_at = None
        last = at
        for previous, stage in zip([None, *path], path, strict=False):
            changes.append(
                {
                    "id": random_uuid(rng),
                    "organization_id": organization_id,
                    "interview_id": interview_id,
                    "from_stage": previous and previous.value,
                    "to_stage": stage.value,
                    "occurred_at": at,
                    "changed_at": at,
                    "changed_by_user_id": None,
                    "changed_by_api_key_id": None,
                    "note": None,
                }
            )
            if stage is InterviewStage.held:
                held_at = at
            last = at
            at += timedelta(days=rng.uniform(0.5, 4))
        thanked = held_at + timedelta(hours=rng.uniform(1, 72)) if held_at else None
        interviews.append(
            {
                "organization_id": organization_id,
                "client_id": client_id,
                "id": interview_id,
                "contact_id": rng.choice(contact_ids),
                "company_id": rng.choice(company_ids) if company_ids else None,
                "outreach_id": None,
                "kind": kind.value,
                "stage": path[-1].value,
                "stage_changed_at": last,
                "scheduled_at": None,
                "duration_minutes": 20,
                "format": "video",
                "location": None,
                "agenda": None,
                "questions": "[]",
                "notes": None,
                "advice": None,
                "rating": None,
                "coach_notes": None,
                "held_at": held_at,
                "thank_you_sent_at": thanked if thanked and rng.random() < 0.6 else None,
                "created_at": last,
                "updated_at": last,
                "version": 1,
            }
        )
    return interviews, changes


# --- servers on loopback ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def api_environment(app_url: str, jwt_secret: str) -> dict[str, str]:
    """What the API process needs, as production sets it: the RLS-bound role, a secret."""
    return os.environ | {
        "COACH_DATABASE_URL": app_url,
        "COACH_JWT_SECRET": jwt_secret,
        "COACH_TOTP_ENCRYPTION_KEYS": f"{jwt_secret}-totp",
        "COACH_ENV": "production",
        "COACH_LOG_LEVEL": "WARNING",
    }


def api_command(port: int) -> list[str]:
    """The production command (one uvicorn worker, no access log) on a loopback port."""
    coach_api = Path(sys.executable).parent / "coach-api"
    return [str(coach_api), "serve", "--host", "127.0.0.1", "--port", str(port)]


@contextlib.asynccontextmanager
async def loopback_server(
    command: list[str], env: dict[str, str], port: int, log: IO[str], ready_path: str = "/readyz"
) -> AsyncIterator[tuple[str, int]]:
    """Run `command` (a server on `port`) until `ready_path` answers 200; yields the base
    URL and the pid, and stops the process on exit (terminate, kill after 5 s)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=2.0) as http:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"{command[0]} exited with status {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(ready_path)).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not become ready in time")
                await asyncio.sleep(0.2)
        yield base_url, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), SERVER_STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()


@contextlib.asynccontextmanager
async def api_server(app_url: str, jwt_secret: str, log: IO[str]) -> AsyncIterator[tuple[str, int]]:
    """The API (`coach-api serve`) against `app_url` on a free loopback port."""
    port = free_port()
    async with loopback_server(
        api_command(port), api_environment(app_url, jwt_secret), port, log
    ) as running:
        yield running


def dump_log_tail(log: IO[str], name: str) -> None:
    log.seek(0)
    if tail := log.read()[-4000:]:
        print(f"{name} stderr (tail):\n{tail}", file=sys.stderr)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux /proc; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    # Other work on the machine inflates every figure; say how busy it was.
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


# --- workers and throwaway databases ----------------------------------------------------

WORKER_STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """A `coach-api worker` process: its roles and the `COACH_*` settings of the run."""

    owner_url: str  # the worker's privileged role (past RLS), as production configures it
    app_url: str
    settings: Mapping[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return (
            os.environ
            | {
                "COACH_DATABASE_URL": self.app_url,
                "COACH_MIGRATIONS_DATABASE_URL": self.owner_url,
                "COACH_ENV": "development",
                "COACH_LOG_LEVEL": "WARNING",
            }
            | dict(self.settings)
        )


async def start_worker(config: WorkerConfig, log: IO[str]) -> asyncio.subprocess.Process:
    coach_api = Path(sys.executable).parent / "coach-api"
    return await asyncio.create_subprocess_exec(
        str(coach_api),
        "worker",
        cwd=PROJECT_ROOT,
        env=config.environment(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )


async def stop_worker(process: asyncio.subprocess.Process) -> None:
    """SIGTERM (the worker finishes its batch), SIGKILL if it takes too long."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), WORKER_STOP_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()


@dataclass(frozen=True, slots=True)
class KillRun:
    """How a run with one worker SIGKILLed went."""

    done_at_kill: int  # what the receiver had when the worker was killed
    leased_at_kill: int  # work claimed by some worker at that moment
    seconds: float  # from the workers' start until everything was done (or the deadline)
    completed: bool


async def run_killing_one_worker(
    config: WorkerConfig,
    log: IO[str],
    *,
    workers: int,
    produce: Coroutine[Any, Any, None],
    kill_after: int,
    done: Callable[[], int],
    leased: Callable[[], Awaitable[int]],
    finished: Callable[[], Awaitable[bool]],
    deadline_seconds: float,
    restart_after_seconds: float = 1.0,
    poll_seconds: float = 0.05,
    victim: Callable[[Sequence[int]], int] | None = None,
) -> KillRun:
    """Start `workers` workers and run `produce` (writing the work) beside them; once
    `done()` reaches `kill_after`, SIGKILL one worker (the first, or the one `victim`
    picks from the workers' pids), count `leased()` and start it again
    `restart_after_seconds` later; wait until `produce` has returned and `finished()`
    says all is done (or the deadline passes), then stop every worker."""
    processes: list[asyncio.subprocess.Process] = []
    producing: asyncio.Task[None] | None = None
    try:
        started = time.monotonic()
        processes = [await start_worker(config, log) for _ in range(workers)]
        producing = asyncio.create_task(produce)
        done_at_kill = leased_at_kill = 0
        killed = completed = False
        while time.monotonic() - started < deadline_seconds:
            if not killed and done() >= kill_after:
                index = victim([p.pid for p in processes]) if victim is not None else 0
                processes[index].send_signal(signal.SIGKILL)
                await processes[index].wait()
                killed = True
                done_at_kill = done()
                leased_at_kill = await leased()
                await asyncio.sleep(restart_after_seconds)
                processes[index] = await start_worker(config, log)
            if producing.done():
                producing.result()  # surface a failure to write the work
                if killed and await finished():
                    completed = True
                    break
            await asyncio.sleep(poll_seconds)
        seconds = time.monotonic() - started
        for process in processes:
            await stop_worker(process)
        return KillRun(done_at_kill, leased_at_kill, seconds, completed)
    finally:
        if producing is not None and not producing.done():
            producing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producing
        elif producing is None:
            produce.close()  # never started: no "never awaited" warning
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


def worker_errors(log: IO[str]) -> str | None:
    """A line "worker errors logged: N (first: …)" from the workers' JSON logs, or None."""
    log.seek(0)
    errors = [line for line in log.read().splitlines() if '"level": "error"' in line]
    if not errors:
        return None
    try:
        first = json.loads(errors[0])["message"]
    except (ValueError, KeyError):
        first = errors[0][:200]
    return f"worker errors logged: {len(errors)} (first: {first})"


@contextlib.asynccontextmanager
async def throwaway_database(postgres_url: str, prefix: str) -> AsyncIterator[tuple[str, str]]:
    """A migrated database `<prefix>_<random>` and an RLS-bound role, dropped on exit:
    yields (owner URL, app URL)."""
    suffix = uuid.uuid4().hex[:12]
    db_name, role = f"{prefix}_{suffix}", f"{prefix}_app_{suffix}"
    try:
        await create_migrated_database(postgres_url, db_name, role)
        yield database_urls(postgres_url, db_name, role)
    finally:
        await drop_database_and_role(postgres_url, db_name, role)
