"""What deleting one row costs the database, foreign-key actions included.

Deleting a contact, a company, an interview, an outreach or a client makes
PostgreSQL cascade or null the rows that reference it, one look-up per foreign
key. Without an index leading with the referencing column, each look-up reads
the whole table: every organization's rows, not just the deleting one's. This
runs `EXPLAIN ANALYZE DELETE` on a few rows of each kind of the seeded dataset
(`benchmarks.seed`), each in a transaction rolled back, and prints the median
time and the slowest foreign-key action. Nothing is changed.

    python -m benchmarks.deletes                    # on coach_bench
    python -m benchmarks.deletes --database coach_big --samples 9
"""

import argparse
import asyncio
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.db.session import async_database_url
from benchmarks.common import DEFAULT_POSTGRES_URL, check_loopback, database_urls

# The table of each kind of row a user can delete; the seed's rows are alike, so the
# first few by id are as good a sample as any.
KINDS = {
    "contact": "contacts",
    "company": "companies",
    "interview": "interviews",
    "outreach": "outreach",
    "client": "clients",
}


HEADER = f"{'row deleted':<12} {'median ms':>10} {'max ms':>9}  slowest foreign-key action"


@dataclass(frozen=True, slots=True)
class Deleted:
    milliseconds: float
    slowest_action: str
    slowest_action_ms: float


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.deletes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--database", default="coach_bench")
    parser.add_argument("--samples", type=int, default=5, help="rows of each kind")
    args = parser.parse_args(argv)
    check_loopback(parser, args.postgres_url)
    if not 1 <= args.samples <= 100:
        parser.error("--samples: 1 to 100")
    return args


async def explain_delete(connection: AsyncConnection, table: str, row_id: Any) -> Deleted:
    """The delete's execution time and its slowest trigger, rolled back."""
    # `table` is one of KINDS' names, never input.
    explain = f"EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM {table} WHERE id = :id"  # noqa: S608
    transaction = await connection.begin()
    try:
        plan = await connection.scalar(text(explain), {"id": row_id})
    finally:
        await transaction.rollback()
    found = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    triggers = found.get("Triggers", [])
    slowest = max(triggers, key=lambda t: t["Time"], default=None)
    return Deleted(
        milliseconds=found["Execution Time"],
        slowest_action="-" if slowest is None else slowest.get("Constraint Name", "?"),
        slowest_action_ms=0.0 if slowest is None else slowest["Time"],
    )


async def run(args: argparse.Namespace) -> None:
    owner_url, _ = database_urls(args.postgres_url, args.database, f"{args.database}_app")
    engine = create_async_engine(async_database_url(owner_url))
    try:
        async with engine.connect() as connection:
            print(HEADER)
            for kind, table in KINDS.items():
                first = f"SELECT id FROM {table} ORDER BY id LIMIT :n"  # noqa: S608
                found = await connection.execute(text(first), {"n": args.samples})
                ids = found.scalars().all()
                await connection.rollback()
                runs = [await explain_delete(connection, table, row_id) for row_id in ids]
                if not runs:
                    print(f"{kind:<12} (no rows)")
                    continue
                slowest = max(runs, key=lambda r: r.slowest_action_ms)
                print(
                    f"{kind:<12} {statistics.median(r.milliseconds for r in runs):>10.1f}"
                    f" {max(r.milliseconds for r in runs):>9.1f}"
                    f"  {slowest.slowest_action} ({slowest.slowest_action_ms:.1f} ms)"
                )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
