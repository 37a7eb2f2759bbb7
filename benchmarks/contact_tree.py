"""Contact tree and contacts list on PostgreSQL, at the size of a busy client.

Creates a throw-away database (and an application role that Row-Level Security
applies to), migrates it, bulk-seeds one client with thousands of contacts in
referral chains and tens of thousands of interactions, starts the real API with
uvicorn on loopback, and prints p50/p95/max latency, response size and SQL
statements per request. Everything it creates is dropped at the end.

    python -m benchmarks.contact_tree --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import contextlib
import math
import os
import random
import secrets
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.cli import alembic_config
from app.core.config import Environment, Settings
from app.core.logging import configure_logging
from app.core.security import hash_password
from app.db.session import async_database_url
from app.main import API_PREFIX, create_app
from app.models import Client, Contact, Interaction, Membership, Organization, User
from app.models.enums import (
    ClientStatus,
    ContactSource,
    InteractionDirection,
    InteractionKind,
    Relationship,
    Role,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
OWNER_EMAIL = "bench-owner@example.com"
WARMUP_REQUESTS = 5
IN_PROCESS_REQUESTS = 5
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


@dataclass
class Target:
    """The throw-away database, the role the API connects as, and the seeded ids."""

    server_url: str
    owner_url: str
    app_url: str
    db_name: str
    role: str
    client_id: uuid.UUID = field(default_factory=uuid.uuid4)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))


@dataclass
class Timing:
    label: str
    path: str
    samples_ms: list[float]
    response_bytes: int
    items: int
    statements: list[str] = field(default_factory=list)
    in_process_ms: float = 0.0
    server_cpu_ms: float | None = None  # the uvicorn process's CPU per request
    sql_ms: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contact_tree", description=__doc__)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--roots", type=int, default=150, help="contacts with no referrer")
    parser.add_argument("--max-depth", type=int, default=12, help="deepest referral level")
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per endpoint")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a superuser on a loopback server (creates and drops a database and a role)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed for the data")
    args = parser.parse_args(argv)
    bounds = {
        "contacts": (1, 100_000),
        "roots": (1, 100_000),
        "max_depth": (0, 50),
        "interactions": (0, 1_000_000),
        "requests": (1, 1_000),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name.replace('_', '-')} must be between {low} and {high}")
    host = make_url(args.postgres_url).host or "127.0.0.1"
    if host not in LOOPBACK_HOSTS:
        parser.error("--postgres-url must point at a loopback server")
    return args


# --- database lifecycle ---------------------------------------------------------------


async def admin_execute(url: str, *statements: str) -> None:
    engine = create_async_engine(async_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def new_target(postgres_url: str) -> Target:
    suffix = uuid.uuid4().hex[:12]
    db_name, role = f"coach_bench_{suffix}", f"coach_bench_app_{suffix}"
    server = make_url(async_database_url(postgres_url))
    return Target(
        server_url=postgres_url,
        owner_url=server.set(database=db_name).render_as_string(hide_password=False),
        app_url=server.set(database=db_name, username=role, password=None).render_as_string(
            hide_password=False
        ),
        db_name=db_name,
        role=role,
    )


@contextlib.asynccontextmanager
async def throwaway_database(postgres_url: str) -> AsyncIterator[Target]:
    """A migrated database plus an RLS-bound role (as in tests/conftest.py); both dropped."""
    target = new_target(postgres_url)
    await admin_execute(postgres_url, f'CREATE DATABASE "{target.db_name}"')
    try:
        config = alembic_config(target.owner_url)
        config.attributes["configure_logging"] = False
        from alembic import command

        await asyncio.to_thread(command.upgrade, config, "head")
        await admin_execute(
            target.owner_url,
            f'CREATE ROLE "{target.role}" LOGIN NOSUPERUSER NOBYPASSRLS',
            f'GRANT USAGE ON SCHEMA public TO "{target.role}"',
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            f'TO "{target.role}"',
        )
        yield target
    finally:
        await admin_execute(
            postgres_url,
            f'DROP DATABASE IF EXISTS "{target.db_name}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{target.role}"',
        )


# --- seeding ----------------------------------------------------------------------------


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
    rng: random.Random, target: Target, organization_id: uuid.UUID, args: argparse.Namespace
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    forest = referral_forest(rng, args.contacts, args.roots, args.max_depth)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in forest]
    rows = []
    for index, (parent, depth) in enumerate(forest):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Most contacts have an email (unique per client); some only a name.
        email = f"{first}.{last}.{index}@example.com" if rng.random() < 0.8 else None
        created_at = now - timedelta(days=rng.uniform(91, 365))
        cadence = rng.choice((None, None, None, 30, 60, 90))
        source = ContactSource.referral if parent is not None else rng.choice(list(ContactSource))
        rows.append(
            {
                "id": ids[index],
                "organization_id": organization_id,
                "client_id": target.client_id,
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
                # Overwritten below for contacts with interactions.
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
    user_id: uuid.UUID,
    count: int,
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    # About one contact in seven was never contacted ("never" warmth).
    reached = [c["id"] for c in contacts if rng.random() < 0.85] or [contacts[0]["id"]]
    client_id = contacts[0]["client_id"]
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    rows = []
    for kind in rng.choices(kinds, weights, k=count):
        occurred_at = now - timedelta(seconds=rng.uniform(60, 90 * 86_400))
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "organization_id": organization_id,
                "client_id": client_id,
                "contact_id": rng.choice(reached),
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


async def copy_rows(connection: AsyncConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY through the driver, inside the connection's transaction: the fast path."""
    if not rows:
        return
    raw = await connection.get_raw_connection()
    columns = list(rows[0])
    records = [tuple(row[column] for column in columns) for row in rows]
    await raw.driver_connection.copy_records_to_table(table, records=records, columns=columns)


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


async def seed(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    """One organization, its owner, one client and its network; as the table owner."""
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    organization_id, user_id = uuid.uuid4(), uuid.uuid4()
    contacts = contact_rows(rng, target, organization_id, args)
    interactions = (
        interaction_rows(rng, contacts, organization_id, user_id, args.interactions)
        if contacts and args.interactions
        else []
    )
    password_hash = await asyncio.to_thread(hash_password, target.password)

    engine = create_async_engine(async_database_url(target.owner_url))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(Organization.__table__),
                [
                    {
                        "id": organization_id,
                        "name": "Benchmark Coaching",
                        "timezone": "UTC",
                        "cold_after_days": 30,
                        "stalled_after_days": 14,
                        "keep_in_touch_defaults": {},
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                ],
            )
            await connection.execute(
                insert(User.__table__),
                [
                    {
                        "id": user_id,
                        "email": OWNER_EMAIL,
                        "full_name": "Bench Owner",
                        "password_hash": password_hash,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            await connection.execute(
                insert(Membership.__table__),
                [
                    {
                        "id": uuid.uuid4(),
                        "organization_id": organization_id,
                        "user_id": user_id,
                        "role": Role.owner.value,
                        "client_id": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            await connection.execute(
                insert(Client.__table__),
                [
                    {
                        "id": target.client_id,
                        "organization_id": organization_id,
                        "full_name": "Busy Job Seeker",
                        "email": "seeker@example.com",
                        "headline": "Staff engineer looking for a platform role",
                        "target_roles": ["Staff Engineer"],
                        "target_industries": ["Software"],
                        "locations": ["Remote"],
                        "status": ClientStatus.active.value,
                        "weekly_outreach_goal": 10,
                        "weekly_informational_goal": 3,
                        "notes": None,
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                ],
            )
            # The rows are consistent by construction; checking four foreign keys per
            # row (superuser-only switch, this transaction only) would triple the load.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await copy_rows(connection, Contact.__tablename__, contacts)
            await copy_rows(connection, Interaction.__tablename__, interactions)
            await connection.execute(text(LAST_CONTACTED_SQL))
        # Autovacuum would have analysed tables this size long before anyone asked.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE contacts"))
            await connection.execute(text("VACUUM ANALYZE interactions"))
            contacted = (
                await connection.execute(
                    text("SELECT count(*) FROM contacts WHERE last_contacted_at IS NOT NULL")
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return {
        "contacts": len(contacts),
        "roots": sum(1 for c in contacts if c["referred_by_id"] is None),
        "deepest": max((c["depth"] for c in contacts), default=0),
        "interactions": len(interactions),
        "contacted": contacted,
    }


# --- the API under test ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_settings(target: Target, jwt_secret: str) -> Settings:
    return Settings(
        env=Environment.production,
        database_url=target.app_url,
        jwt_secret=jwt_secret,  # type: ignore[arg-type]
        log_level="WARNING",
    )


@contextlib.asynccontextmanager
async def api_server(target: Target, jwt_secret: str, log: Any) -> AsyncIterator[tuple[str, int]]:
    """uvicorn serving app.main:app on a free loopback port, and its pid; stopped on exit."""
    port = free_port()
    uvicorn = Path(sys.executable).parent / "uvicorn"
    env = os.environ | {
        "COACH_DATABASE_URL": target.app_url,
        "COACH_JWT_SECRET": jwt_secret,
        "COACH_ENV": Environment.production.value,
        "COACH_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        str(uvicorn),
        "app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
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
                    raise RuntimeError(f"uvicorn exited with status {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not become ready in time")
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


async def sign_in(http: httpx.AsyncClient, password: str) -> dict[str, str]:
    response = await http.post(
        f"{API_PREFIX}/auth/token", data={"username": OWNER_EMAIL, "password": password}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def count_items(body: Any) -> int:
    """Tree nodes (objects with `children`) anywhere in the body, else list rows."""
    nodes = 0
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            nodes += "children" in value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    if nodes:
        return nodes
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return len(body["data"])
    return 0


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux /proc; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def time_endpoint(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    label: str,
    path: str,
    requests: int,
    server_pid: int,
) -> Timing:
    response = None
    for _ in range(WARMUP_REQUESTS):
        response = await http.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
    assert response is not None
    samples = []
    cpu_before = cpu_seconds(server_pid)
    for _ in range(requests):
        started = time.perf_counter()
        response = await http.get(path, headers=headers)
        body = response.content
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
    cpu_after = cpu_seconds(server_pid)
    timing = Timing(label, path, samples, len(body), count_items(response.json()))
    if cpu_before is not None and cpu_after is not None:
        timing.server_cpu_ms = (cpu_after - cpu_before) * 1000 / requests
    return timing


async def profile_in_process(
    target: Target, jwt_secret: str, headers: dict[str, str], timings: list[Timing]
) -> None:
    """SQL statements per request, and how much of a request is spent in SQL.

    pg_stat_statements is usually not preloaded, so the same app with the same
    settings is driven in-process through ASGI (it issues the same statements as
    the server) and a cursor listener on its engine records them.
    """
    application = create_app(app_settings(target, jwt_secret))
    async with application.router.lifespan_context(application):
        statements: list[str] = []
        sql_seconds: list[float] = []
        started: list[float] = []

        def before(*args: Any) -> None:
            statements.append(args[2])  # (conn, cursor, statement, parameters, ...)
            started.append(time.perf_counter())

        def after(*_args: Any) -> None:
            sql_seconds.append(time.perf_counter() - started.pop())

        engine = application.state.engine.sync_engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for timing in timings:
                (await http.get(timing.path, headers=headers)).raise_for_status()  # warm
                totals, sqls = [], []
                for _ in range(IN_PROCESS_REQUESTS):
                    statements.clear()
                    sql_seconds.clear()
                    begun = time.perf_counter()
                    (await http.get(timing.path, headers=headers)).raise_for_status()
                    totals.append((time.perf_counter() - begun) * 1000)
                    sqls.append(sum(sql_seconds) * 1000)
                timing.statements = list(statements)
                timing.in_process_ms = statistics.median(totals)
                timing.sql_ms = statistics.median(sqls)


# --- report ---------------------------------------------------------------------------


def one_line(statement: str, width: int = 110) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def load_average() -> str:
    # Other work on the machine inflates every figure; say how busy it was.
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def report(timings: list[Timing], requests: int) -> None:
    print(f"\nOver HTTP on loopback: {requests} sequential requests per endpoint after warm-up\n")
    header = (
        f"{'endpoint':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'CPU ms':>7} {'bytes':>11} {'items':>6} {'SQL/req':>8}"
    )
    print(header)
    print("-" * len(header))
    for t in timings:
        cpu = "n/a" if t.server_cpu_ms is None else f"{t.server_cpu_ms:.1f}"
        print(
            f"{t.label:<30} {t.p50:>8.1f} {t.p95:>8.1f} {max(t.samples_ms):>8.1f} "
            f"{cpu:>7} {t.response_bytes:>11,} {t.items:>6} {len(t.statements):>8}"
        )
    print(
        f"\nIn-process (ASGI, no network), median of {IN_PROCESS_REQUESTS}: "
        "where a request's time goes\n"
    )
    header = f"{'endpoint':<30} {'total ms':>9} {'in SQL ms':>10} {'rest ms':>8}"
    print(header)
    print("-" * len(header))
    for t in timings:
        print(
            f"{t.label:<30} {t.in_process_ms:>9.1f} {t.sql_ms:>10.1f} "
            f"{t.in_process_ms - t.sql_ms:>8.1f}"
        )
    for t in timings:
        print(f"\nSQL statements, {t.label}:")
        for number, statement in enumerate(t.statements, 1):
            print(f"  {number:>2}. {one_line(statement)}")


async def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    jwt_secret = secrets.token_urlsafe(36)  # 48 characters
    print(f"{os.cpu_count()} CPUs, {load_average()}")
    async with throwaway_database(args.postgres_url) as target:
        print(f"database {target.db_name}, application role {target.role} (RLS applies)")
        seed_started = time.perf_counter()
        seeded = await seed(target, args)
        print(
            f"seeded in {time.perf_counter() - seed_started:.1f} s: {seeded['contacts']:,} "
            f"contacts ({seeded['roots']} roots, deepest depth {seeded['deepest']}), "
            f"{seeded['interactions']:,} interactions over 90 days, "
            f"{seeded['contacted']:,} contacts with a last contact"
        )
        client = f"{API_PREFIX}/clients/{target.client_id}"
        endpoints = [
            ("contact tree (whole forest)", f"{client}/contact-tree"),
            ("contacts list limit=50", f"{client}/contacts?limit=50"),
            ("contacts list limit=200", f"{client}/contacts?limit=200"),
        ]
        with tempfile.TemporaryFile("w+") as log:
            try:
                async with (
                    api_server(target, jwt_secret, log) as (base_url, pid),
                    httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30.0) as http,
                ):
                    print(f"uvicorn (1 worker) ready at {base_url}")
                    headers = await sign_in(http, target.password)
                    timings = [
                        await time_endpoint(http, headers, label, path, args.requests, pid)
                        for label, path in endpoints
                    ]
            except BaseException:
                log.seek(0)
                if server_log := log.read()[-4000:]:
                    print(f"uvicorn stderr (tail):\n{server_log}", file=sys.stderr)
                raise
        await profile_in_process(target, jwt_secret, headers, timings)
        report(timings, args.requests)
    print(
        f"\ndone in {time.perf_counter() - started:.1f} s; database and role dropped; "
        f"{load_average()}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Importing app.main configured INFO logging; the figures are the output here.
    configure_logging("WARNING")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
