"""The standard benchmark dataset on PostgreSQL: a coaching practice at full size.

Creates (or replaces) a database, runs the migrations as its owner, creates an
application role that Row-Level Security applies to, and bulk-loads one organization:
an owner, an admin and coaches (one argon2 hash, computed once, for every login),
clients shared out between the coaches, and per client a network in referral chains
with its interactions, target companies, outreach and interviews (with stage history).
Rows go in with COPY as the table owner, bypassing the API. `benchmarks.run` then
drives the API against it.

    python -m benchmarks.seed                      # the standard dataset
    python -m benchmarks.seed --clients 40         # a smaller one
    python -m benchmarks.seed --drop               # remove the database and its role
"""

import argparse
import asyncio
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.core.logging import configure_logging
from app.core.security import hash_password
from app.db.session import async_database_url
from app.main import API_PREFIX
from app.models import (
    Client,
    ClientCoach,
    Company,
    Contact,
    Interaction,
    Interview,
    InterviewStageChange,
    Membership,
    Organization,
    Outreach,
    User,
)
from app.models.enums import ClientStatus, Role, RoleAtCompany
from app.models.pipeline import InterviewKind
from benchmarks.common import (
    DEFAULT_POSTGRES_URL,
    FIRST_NAMES,
    LAST_CONTACTED_SQL,
    LAST_NAMES,
    TITLES,
    check_bounds,
    check_loopback,
    company_rows,
    contact_rows,
    copy_rows,
    create_migrated_database,
    database_urls,
    drop_database_and_role,
    interaction_rows,
    interview_rows,
    load_average,
    outreach_rows,
    random_uuid,
)

DEFAULT_DATABASE = "coach_bench"
EMAIL_DOMAIN = "coach-bench.example.com"
OWNER_EMAIL = f"owner@{EMAIL_DOMAIN}"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
# Printed on purpose: the logins of a local benchmark database, never a real account.
DEFAULT_PASSWORD = "coach-bench-2026"  # noqa: S105
ORGANIZATION_NAME = "Benchmark Coaching"
# Clients seeded per COPY round: bounds memory (a round holds its rows in Python).
CLIENTS_PER_ROUND = 25
# The tables COPY fills, in the order the summary lists them.
BULK_TABLES = (
    Contact.__tablename__,
    Interaction.__tablename__,
    Company.__tablename__,
    Outreach.__tablename__,
    Interview.__tablename__,
    InterviewStageChange.__tablename__,
)
DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,49}")
# A round of clients: each client's rows per table, the referrals, the seconds it took.
RoundRows = tuple[list[dict[str, list[dict[str, Any]]]], int, float]


def app_role(database: str) -> str:
    """The role the API connects as: no ownership, no BYPASSRLS."""
    return f"{database}_app"


def coach_email(number: int) -> str:
    return f"coach{number:02d}@{EMAIL_DOMAIN}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.seed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=400)
    parser.add_argument("--coaches", type=int, default=20, help="clients are shared out evenly")
    parser.add_argument("--contacts", type=int, default=100, help="per client")
    parser.add_argument(
        "--roots", type=int, default=8, help="contacts with no referrer, per client"
    )
    parser.add_argument("--max-depth", type=int, default=6, help="deepest referral level")
    parser.add_argument("--interactions", type=int, default=10, help="per contact, on average")
    parser.add_argument("--companies", type=int, default=20, help="per client")
    parser.add_argument("--outreach", type=int, default=30, help="per client")
    parser.add_argument("--interviews", type=int, default=12, help="per client")
    parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help="created, or replaced if it exists"
    )
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="for every login")
    parser.add_argument("--timezone", default="Europe/Paris", help="the organization's")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on a loopback server (creates the database and a role)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed for the data")
    parser.add_argument(
        "--drop", action="store_true", help="drop the database and its role, and stop"
    )
    args = parser.parse_args(argv)
    check_bounds(
        parser,
        args,
        {
            "clients": (1, 10_000),
            "coaches": (1, 1_000),
            "contacts": (1, 10_000),
            "roots": (1, 10_000),
            "max_depth": (0, 50),
            "interactions": (0, 100),
            "companies": (0, 1_000),
            "outreach": (0, 10_000),
            "interviews": (0, 1_000),
        },
    )
    check_loopback(parser, args.postgres_url)
    if not DATABASE_NAME.fullmatch(args.database):
        parser.error("--database: lower-case letters, digits and underscores, at most 50")
    if len(args.password) < 8:
        parser.error("--password: at least 8 characters")
    return args


@dataclass
class Seeded:
    """Counts and seconds, for the summary."""

    rows: Counter[str] = field(default_factory=Counter)
    copy_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    generate_seconds: float = 0.0
    referrals: int = 0


@dataclass
class People:
    organization_id: uuid.UUID
    coach_ids: list[uuid.UUID]
    # (client id, its first coach), in client order.
    clients: list[tuple[uuid.UUID, uuid.UUID]]


def _people_rows(
    rng: random.Random, args: argparse.Namespace, password_hash: str, now: datetime
) -> tuple[People, dict[Any, list[dict[str, Any]]]]:
    """The organization, its logins and memberships, the clients and the assignments."""
    organization_id = random_uuid(rng)
    people = People(organization_id, [random_uuid(rng) for _ in range(args.coaches)], [])
    stamps = {"created_at": now, "updated_at": now}
    logins = [
        (random_uuid(rng), OWNER_EMAIL, "Bench Owner", Role.owner),
        (random_uuid(rng), ADMIN_EMAIL, "Bench Admin", Role.admin),
        *(
            (coach_id, coach_email(number), f"Coach {number:02d}", Role.coach)
            for number, coach_id in enumerate(people.coach_ids, 1)
        ),
    ]
    clients, assignments = [], []
    for number in range(args.clients):
        client_id = random_uuid(rng)
        # Blocks of consecutive clients per coach: coach01 has the first ones.
        coach_id = people.coach_ids[number * args.coaches // args.clients]
        people.clients.append((client_id, coach_id))
        created = now - timedelta(days=rng.uniform(120, 400))
        goals = rng.random() < 0.9  # some clients have no weekly goals
        clients.append(
            {
                "id": client_id,
                "organization_id": organization_id,
                "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "email": f"client{number + 1:04d}@seekers.example.com",
                "headline": f"{rng.choice(TITLES)} looking for the next role",
                "target_roles": [rng.choice(TITLES)],
                "target_industries": ["Software"],
                "locations": ["Remote"],
                "status": ClientStatus.active.value,
                "weekly_outreach_goal": rng.randint(5, 15) if goals else None,
                "weekly_informational_goal": rng.randint(1, 4) if goals else None,
                "notes": None,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
        assignments.append(
            {
                "organization_id": organization_id,
                "client_id": client_id,
                "coach_id": coach_id,
                "created_at": created,
            }
        )
    tables: dict[Any, list[dict[str, Any]]] = {
        Organization: [
            {
                "id": organization_id,
                "name": ORGANIZATION_NAME,
                "timezone": args.timezone,
                "cold_after_days": 30,
                "stalled_after_days": 14,
                "keep_in_touch_defaults": {},
                "version": 1,
                **stamps,
            }
        ],
        User: [
            {"id": user_id, "email": email, "full_name": name, "password_hash": password_hash}
            | stamps
            for user_id, email, name, _role in logins
        ],
        Membership: [
            {
                "id": random_uuid(rng),
                "organization_id": organization_id,
                "user_id": user_id,
                "role": role.value,
                "client_id": None,
                **stamps,
            }
            for user_id, _email, _name, role in logins
        ],
        Client: clients,
        ClientCoach: assignments,
    }
    return people, tables


def _client_rows(
    rng: random.Random,
    args: argparse.Namespace,
    organization_id: uuid.UUID,
    client_id: uuid.UUID,
    coach_id: uuid.UUID,
    now: datetime,
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """One client's rows per table, and how many contacts came from a held interview."""
    # Built over the last year, referrers before the people they introduced.
    contacts = contact_rows(
        rng,
        organization_id=organization_id,
        client_id=client_id,
        count=args.contacts,
        roots=args.roots,
        max_depth=args.max_depth,
        now=now,
        created_days_ago=(0.5, 365),
        chronological=True,
    )
    companies = company_rows(
        rng, organization_id=organization_id, client_id=client_id, count=args.companies, now=now
    )
    company_ids = [c["id"] for c in companies]
    names = {c["id"]: c["name"] for c in companies}
    for contact in contacts:
        # About a third of the network works at one of the target companies.
        company_id = rng.choice(company_ids) if company_ids and rng.random() < 0.33 else None
        contact["company_id"] = company_id
        contact["role_at_company"] = rng.choice(list(RoleAtCompany)).value if company_id else None
        if company_id:
            contact["company_name"] = names[company_id]
        contact["referred_in_interview_id"] = None
    contact_ids = [c["id"] for c in contacts]
    outreach = outreach_rows(
        rng,
        organization_id=organization_id,
        client_id=client_id,
        contact_ids=contact_ids,
        company_ids=company_ids,
        count=args.outreach,
        now=now,
    )
    interviews, changes = interview_rows(
        rng,
        organization_id=organization_id,
        client_id=client_id,
        contact_ids=contact_ids,
        company_ids=company_ids,
        count=args.interviews,
        now=now,
        days_ago=(0.5, 90),
    )
    referrals = _refer(rng, contacts, interviews, now)
    interactions = interaction_rows(
        rng, contacts, organization_id, coach_id, args.interactions * args.contacts, now=now
    )
    rows = {
        Contact.__tablename__: contacts,
        Interaction.__tablename__: interactions,
        Company.__tablename__: companies,
        Outreach.__tablename__: outreach,
        Interview.__tablename__: interviews,
        InterviewStageChange.__tablename__: changes,
    }
    return rows, referrals


def _refer(
    rng: random.Random,
    contacts: list[dict[str, Any]],
    interviews: list[dict[str, Any]],
    now: datetime,
) -> int:
    """Up to two people introduced by the contact met in each held informational
    interview come from that interview, and were added after it."""
    children: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for contact in contacts:
        if contact["referred_by_id"] is not None:
            children[contact["referred_by_id"]].append(contact)
    referred = 0
    for interview in interviews:
        held_at = interview["held_at"]
        if interview["kind"] != InterviewKind.informational.value or held_at is None:
            continue
        free = [c for c in children[interview["contact_id"]] if not c["referred_in_interview_id"]]
        for contact in rng.sample(free, min(2, len(free))):
            contact["referred_in_interview_id"] = interview["id"]
            if contact["created_at"] < held_at:
                added = min(held_at + timedelta(hours=rng.uniform(1, 48)), now)
                contact["created_at"] = contact["updated_at"] = added
            referred += 1
    return referred


async def _copy_round(
    connection: AsyncConnection, rounds: list[dict[str, list[dict[str, Any]]]], seeded: Seeded
) -> None:
    for table in BULK_TABLES:
        rows = [row for client in rounds for row in client[table]]
        started = time.perf_counter()
        await copy_rows(connection, table, rows)
        seeded.copy_seconds[table] += time.perf_counter() - started
        seeded.rows[table] += len(rows)


def _generate_round(
    rng: random.Random,
    args: argparse.Namespace,
    people: People,
    clients: list[tuple[uuid.UUID, uuid.UUID]],
    now: datetime,
) -> RoundRows:
    """The rows of a round of clients, the referrals among them, and the seconds spent."""
    started = time.perf_counter()
    rounds, referrals = [], 0
    for client_id, coach_id in clients:
        rows, referred = _client_rows(rng, args, people.organization_id, client_id, coach_id, now)
        rounds.append(rows)
        referrals += referred
    return rounds, referrals, time.perf_counter() - started


async def _secondary_indexes(connection: AsyncConnection) -> list[tuple[str, str]]:
    """(name, definition) of the bulk tables' indexes that back no constraint."""
    rows = await connection.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes AS i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)"
        ),
        {"tables": list(BULK_TABLES)},
    )
    return [(name, definition) for name, definition in rows.all()]


async def seed(args: argparse.Namespace, owner_url: str, password_hash: str) -> Seeded:
    """Every row, in one transaction as the table owner; then the derived columns and
    statistics."""
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    seeded = Seeded()
    started = time.perf_counter()
    people, tables = _people_rows(rng, args, password_hash, now)
    seeded.generate_seconds += time.perf_counter() - started
    engine = create_async_engine(async_database_url(owner_url))
    try:
        async with engine.begin() as connection:
            started = time.perf_counter()
            for model, rows in tables.items():
                await connection.execute(insert(model), rows)  # executemany
                seeded.rows[model.__tablename__] += len(rows)
            seeded.copy_seconds["logins and clients"] += time.perf_counter() - started
            # The rows are consistent by construction; checking their foreign keys
            # (superuser-only switch, this transaction only) would triple the load.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            # Building an index once is much cheaper than maintaining it row by row.
            indexes = await _secondary_indexes(connection)
            for name, _definition in indexes:
                await connection.execute(text(f'DROP INDEX "{name}"'))
            chunks = [
                people.clients[first : first + CLIENTS_PER_ROUND]
                for first in range(0, len(people.clients), CLIENTS_PER_ROUND)
            ]

            # The next round is generated in a thread while this one is copied: COPY
            # mostly waits on PostgreSQL. One round at a time, so the data stays seeded.
            def generate(index: int) -> asyncio.Task[RoundRows]:
                return asyncio.create_task(
                    asyncio.to_thread(_generate_round, rng, args, people, chunks[index], now)
                )

            next_round = generate(0)
            for index in range(len(chunks)):
                rounds, referrals, seconds = await next_round
                seeded.generate_seconds += seconds
                seeded.referrals += referrals
                if index + 1 < len(chunks):
                    next_round = generate(index + 1)
                await _copy_round(connection, rounds, seeded)
            started = time.perf_counter()
            await connection.execute(text(LAST_CONTACTED_SQL))
            seeded.copy_seconds["last_contacted_at update"] += time.perf_counter() - started
            started = time.perf_counter()
            for _name, definition in indexes:
                await connection.execute(text(definition))
            seeded.copy_seconds[f"{len(indexes)} indexes rebuilt"] += time.perf_counter() - started
        # Autovacuum would have analysed tables this size long before anyone asked.
        started = time.perf_counter()
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        seeded.copy_seconds["VACUUM ANALYZE"] += time.perf_counter() - started
    finally:
        await engine.dispose()
    return seeded


def print_logins(args: argparse.Namespace, app_url: str) -> None:
    plain_url = make_url(app_url).set(drivername="postgresql").render_as_string(False)
    last = coach_email(args.coaches)
    per_coach = args.clients / args.coaches
    print(
        f"\nLogins (password for every one: {args.password}):\n"
        f"  owner  {OWNER_EMAIL}\n"
        f"  admin  {ADMIN_EMAIL}      (all {args.clients} clients)\n"
        f"  coach  {coach_email(1)} ... {last}   (about {per_coach:g} clients each)\n"
        "\nThe API against this database, as the role RLS applies to:\n"
        f"  COACH_ENV=production COACH_DATABASE_URL={plain_url} \\\n"
        "  COACH_JWT_SECRET=$(openssl rand -base64 48) \\\n"
        "  COACH_TOTP_ENCRYPTION_KEYS=$(openssl rand -base64 48) \\\n"
        "  .venv/bin/coach-api serve --port 8000\n"
        "A token (the access_token field; 15 minutes):\n"
        f"  curl -s http://127.0.0.1:8000{API_PREFIX}/auth/token "
        f"-d username={coach_email(1)} -d password={args.password}\n"
        "Or let the runner do all of it:\n"
        f"  .venv/bin/python -m benchmarks.run --database {args.database}"
    )


async def run(args: argparse.Namespace) -> int:
    role = app_role(args.database)
    if args.drop:
        await drop_database_and_role(args.postgres_url, args.database, role)
        print(f"dropped database {args.database} and role {role} (if they existed)")
        return 0
    total = time.perf_counter()
    print(load_average())
    started = time.perf_counter()
    await drop_database_and_role(args.postgres_url, args.database, role)
    await create_migrated_database(args.postgres_url, args.database, role)
    owner_url, app_url = database_urls(args.postgres_url, args.database, role)
    print(
        f"database {args.database} (re)created and migrated in "
        f"{time.perf_counter() - started:.1f} s; role {role}: NOSUPERUSER NOBYPASSRLS"
    )
    started = time.perf_counter()
    password_hash = await asyncio.to_thread(hash_password, args.password)
    print(f"argon2 hash, once for every login: {time.perf_counter() - started:.2f} s")
    loading = time.perf_counter()
    seeded = await seed(args, owner_url, password_hash)
    print(
        f"rows generated and loaded in {time.perf_counter() - loading:.1f} s "
        f"(generating in Python: {seeded.generate_seconds:.1f} s, in a thread while COPY runs):"
    )
    for table, count in seeded.rows.items():
        seconds = seeded.copy_seconds.get(table)
        timing = f"  {seconds:6.1f} s (COPY)" if seconds is not None else ""
        print(f"  {table:<26} {count:>10,}{timing}")
    for step, seconds in seeded.copy_seconds.items():
        if step not in seeded.rows:
            print(f"  {step:<26} {'':>10}  {seconds:6.1f} s")
    print(f"  contacts from a held informational interview: {seeded.referrals:,}")
    print(f"seeded in {time.perf_counter() - total:.1f} s in all; {load_average()}")
    print_logins(args, app_url)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
