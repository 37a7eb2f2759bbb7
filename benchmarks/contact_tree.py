"""Contact tree and contacts list on PostgreSQL, at the size of a busy client.

Creates a throw-away database (and an application role that Row-Level Security
applies to), migrates it, bulk-seeds one client with thousands of contacts in
referral chains, tens of thousands of interactions and hundreds of interviews
(the tree's branch yields count the contacts met in one), starts the real API with
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
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Environment, Settings
from app.core.logging import configure_logging
from app.core.security import hash_password
from app.db.session import async_database_url
from app.main import API_PREFIX, create_app
from app.models import (
    Client,
    Contact,
    Interaction,
    Interview,
    InterviewStageChange,
    Membership,
    Organization,
    User,
)
from app.models.enums import ClientStatus, Role
from benchmarks.common import (
    DEFAULT_POSTGRES_URL,
    LAST_CONTACTED_SQL,
    check_bounds,
    check_loopback,
    contact_rows,
    copy_rows,
    cpu_seconds,
    create_migrated_database,
    database_urls,
    drop_database_and_role,
    dump_log_tail,
    interaction_rows,
    interview_rows,
    load_average,
)
from benchmarks.common import api_server as _api_server

OWNER_EMAIL = "bench-owner@example.com"
WARMUP_REQUESTS = 5
IN_PROCESS_REQUESTS = 5


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
    parser.add_argument("--interviews", type=int, default=500)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per endpoint")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on a loopback server (creates and drops a database and a role)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed for the data")
    args = parser.parse_args(argv)
    bounds = {
        "contacts": (1, 100_000),
        "roots": (1, 100_000),
        "max_depth": (0, 50),
        "interactions": (0, 1_000_000),
        "interviews": (0, 100_000),
        "requests": (1, 1_000),
    }
    check_bounds(parser, args, bounds)
    check_loopback(parser, args.postgres_url)
    return args


# --- database lifecycle ---------------------------------------------------------------


def new_target(postgres_url: str) -> Target:
    suffix = uuid.uuid4().hex[:12]
    db_name, role = f"coach_bench_{suffix}", f"coach_bench_app_{suffix}"
    owner_url, app_url = database_urls(postgres_url, db_name, role)
    return Target(
        server_url=postgres_url,
        owner_url=owner_url,
        app_url=app_url,
        db_name=db_name,
        role=role,
    )


@contextlib.asynccontextmanager
async def throwaway_database(postgres_url: str) -> AsyncIterator[Target]:
    """A migrated database plus an RLS-bound role (as in tests/conftest.py); both dropped."""
    target = new_target(postgres_url)
    try:
        await create_migrated_database(postgres_url, target.db_name, target.role)
        yield target
    finally:
        await drop_database_and_role(postgres_url, target.db_name, target.role)


# --- seeding ----------------------------------------------------------------------------


async def seed(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    """One organization, its owner, one client and its network; as the table owner."""
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    organization_id, user_id = uuid.uuid4(), uuid.uuid4()
    contacts = contact_rows(
        rng,
        organization_id=organization_id,
        client_id=target.client_id,
        count=args.contacts,
        roots=args.roots,
        max_depth=args.max_depth,
        now=now,
    )
    interactions = (
        interaction_rows(rng, contacts, organization_id, user_id, args.interactions, now=now)
        if contacts and args.interactions
        else []
    )
    interviews, stage_changes = (
        interview_rows(
            rng,
            organization_id=organization_id,
            client_id=target.client_id,
            contact_ids=[c["id"] for c in contacts],
            company_ids=[],
            count=args.interviews,
            now=now,
        )
        if contacts and args.interviews
        else ([], [])
    )
    password_hash = await asyncio.to_thread(hash_password, target.password)

    engine = create_async_engine(async_database_url(target.owner_url))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(Organization),
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
                insert(User),
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
                insert(Membership),
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
                insert(Client),
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
            await copy_rows(connection, Interview.__tablename__, interviews)
            await copy_rows(connection, InterviewStageChange.__tablename__, stage_changes)
            await connection.execute(text(LAST_CONTACTED_SQL))
        # Autovacuum would have analysed tables this size long before anyone asked.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE contacts"))
            await connection.execute(text("VACUUM ANALYZE interactions"))
            await connection.execute(text("VACUUM ANALYZE interviews"))
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
        "interviews": len(interviews),
        "held": sum(1 for i in interviews if i["held_at"] is not None),
        "contacted": contacted,
    }


# --- the API under test ---------------------------------------------------------------


def app_settings(target: Target, jwt_secret: str) -> Settings:
    return Settings(
        env=Environment.production,
        database_url=target.app_url,
        jwt_secret=jwt_secret,
        totp_encryption_keys=f"{jwt_secret}-totp",
        log_level="WARNING",
    )


@contextlib.asynccontextmanager
async def api_server(target: Target, jwt_secret: str, log: Any) -> AsyncIterator[tuple[str, int]]:
    """uvicorn serving app.main:app on a free loopback port, and its pid; stopped on exit."""
    async with _api_server(target.app_url, jwt_secret, log) as running:
        yield running


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
            f"{seeded['contacted']:,} contacts with a last contact, "
            f"{seeded['interviews']:,} interviews ({seeded['held']:,} held)"
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
                dump_log_tail(log, "uvicorn")
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
