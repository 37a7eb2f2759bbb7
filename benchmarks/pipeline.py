"""Pipeline board and next actions on PostgreSQL, for a client deep in their search.

Reuses the contact-tree benchmark's machinery (throw-away database with an RLS-bound
role, bulk COPY seeding, uvicorn on loopback, in-process SQL profile) and adds, on top
of a network of contacts and interactions, 300 target companies, 1,000 outreach items
and 400 interviews (with their stage history). Prints p50/p95/max latency, response
size and SQL statements per request. Everything it creates is dropped at the end.

    python -m benchmarks.pipeline --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import random
import secrets
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.logging import configure_logging
from app.db.session import async_database_url
from app.main import API_PREFIX
from app.models import Company, Interview, InterviewStageChange, Outreach
from benchmarks.common import (
    DEFAULT_POSTGRES_URL,
    check_bounds,
    check_loopback,
    company_rows,
    copy_rows,
    dump_log_tail,
    interview_rows,
    load_average,
    outreach_rows,
)
from benchmarks.contact_tree import (
    Target,
    api_server,
    profile_in_process,
    report,
    seed,
    sign_in,
    throwaway_database,
    time_endpoint,
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline", description=__doc__)
    parser.add_argument("--companies", type=int, default=300)
    parser.add_argument("--outreach", type=int, default=1_000)
    parser.add_argument("--interviews", type=int, default=400)
    parser.add_argument("--contacts", type=int, default=1_500)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per endpoint")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on a loopback server (creates and drops a database and a role)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed for the data")
    args = parser.parse_args(argv)
    bounds = {
        "companies": (1, 100_000),
        "outreach": (0, 1_000_000),
        "interviews": (0, 1_000_000),
        "contacts": (1, 100_000),
        "interactions": (0, 1_000_000),
        "requests": (1, 1_000),
    }
    check_bounds(parser, args, bounds)
    check_loopback(parser, args.postgres_url)
    # What the contact-tree seeding expects.
    args.roots, args.max_depth = max(1, args.contacts // 20), 8
    return args


async def seed_pipeline(target: Target, args: argparse.Namespace) -> dict[str, int]:
    """Companies, outreach and interviews over the seeded client's contacts (table owner)."""
    rng = random.Random(args.seed + 1)
    now = datetime.now(UTC)
    engine = create_async_engine(async_database_url(target.owner_url))
    try:
        async with engine.begin() as connection:
            organization_id, contacts = await _client_contacts(connection, target)
            companies = company_rows(
                rng,
                organization_id=organization_id,
                client_id=target.client_id,
                count=args.companies,
                now=now,
            )
            company_ids = [c["id"] for c in companies]
            outreach = outreach_rows(
                rng,
                organization_id=organization_id,
                client_id=target.client_id,
                contact_ids=contacts,
                company_ids=company_ids,
                count=args.outreach,
                now=now,
            )
            interviews, changes = interview_rows(
                rng,
                organization_id=organization_id,
                client_id=target.client_id,
                contact_ids=contacts,
                company_ids=company_ids,
                count=args.interviews,
                now=now,
            )
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await copy_rows(connection, Company.__tablename__, companies)
            await copy_rows(connection, Outreach.__tablename__, outreach)
            await copy_rows(connection, Interview.__tablename__, interviews)
            await copy_rows(connection, InterviewStageChange.__tablename__, changes)
            # A third of the contacts work at one of the companies.
            await connection.execute(
                text(
                    "UPDATE contacts "
                    "SET company_id = (CAST(:ids AS uuid[]))[1 + (abs(hashtext(id::text)) % :n)] "
                    "WHERE client_id = :client_id AND abs(hashtext(id::text)) % 3 = 0"
                ),
                {
                    "ids": [c["id"] for c in companies],
                    "n": len(companies),
                    "client_id": target.client_id,
                },
            )
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("companies", "outreach", "interviews", "interview_stage_changes"):
                await connection.execute(text(f"VACUUM ANALYZE {table}"))
            await connection.execute(text("VACUUM ANALYZE contacts"))
    finally:
        await engine.dispose()
    return {
        "companies": len(companies),
        "outreach": len(outreach),
        "interviews": len(interviews),
        "stage changes": len(changes),
    }


async def _client_contacts(connection: Any, target: Target) -> tuple[uuid.UUID, list[uuid.UUID]]:
    rows = (
        await connection.execute(
            text("SELECT organization_id, id FROM contacts WHERE client_id = :client_id"),
            {"client_id": target.client_id},
        )
    ).all()
    return rows[0][0], [row[1] for row in rows]


async def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    jwt_secret = secrets.token_urlsafe(36)
    print(f"{load_average()}")
    async with throwaway_database(args.postgres_url) as target:
        print(f"database {target.db_name}, application role {target.role} (RLS applies)")
        network = await seed(target, args)
        pipeline = await seed_pipeline(target, args)
        print(
            f"seeded: {network['contacts']:,} contacts, {network['interactions']:,} "
            "interactions, " + ", ".join(f"{count:,} {name}" for name, count in pipeline.items())
        )
        client = f"{API_PREFIX}/clients/{target.client_id}"
        endpoints = [
            ("pipeline board", f"{client}/pipeline"),
            ("next actions limit=50", f"{client}/next-actions?limit=50"),
            ("next actions limit=200", f"{client}/next-actions?limit=200"),
            ("companies list limit=50", f"{client}/companies?limit=50"),
        ]
        with tempfile.TemporaryFile("w+") as log:
            try:
                async with (
                    api_server(target, jwt_secret, log) as (base_url, pid),
                    httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30.0) as http,
                ):
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
    print(f"\ndone in {time.perf_counter() - started:.1f} s; database and role dropped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
