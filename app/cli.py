"""`coach-api` command line: serve, migrate, and operational tasks."""

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.core.config import Environment, get_settings

# In the package, so an installed wheel migrates from any folder, with no alembic.ini
# (that file is for `alembic` commands in a checkout: `make migration`).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def migrate(revision: str = "head") -> None:
    from app.core.logging import configure_logging

    # Alembic's lines ("Running upgrade …") as JSON, like every other line of the service.
    configure_logging(get_settings().log_level)
    command.upgrade(alembic_config(), revision)


def serve(host: str, port: int, reload: bool) -> None:
    import uvicorn

    # log_config=None: uvicorn leaves logging alone, so its lines go through the app's
    # JSON handler (app/core/logging.py) from the first one on.
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        reload=reload,
        proxy_headers=True,
        access_log=False,
        log_config=None,
    )


def worker() -> int:
    """Deliver webhooks and email, and sweep, until SIGTERM or SIGINT; the batch in hand
    is finished first. 1, with one line naming the setting, for a role RLS would blind."""
    import asyncio
    import signal

    from app.core.logging import configure_logging
    from app.jobs.worker import run_worker
    from app.webhooks.dispatch import WorkerRoleError

    settings = get_settings()
    configure_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(settings, stop)

    try:
        asyncio.run(run())
    except WorkerRoleError as refused:
        sys.stderr.write(f"coach-api worker: {refused}\n")
        return 1
    return 0


async def _connect_once(url: str) -> None:
    """Connect to `url` and leave: whether the database is there to migrate at all."""
    import asyncio
    import threading

    from sqlalchemy.ext.asyncio import create_async_engine

    from app.db.session import async_database_url

    engine = create_async_engine(async_database_url(url))
    threads_before = set(threading.enumerate())
    try:
        async with engine.connect():
            pass
    finally:
        await engine.dispose()
        # After a failed connect aiosqlite stops its worker thread without waiting for it;
        # if `asyncio.run` closed the loop first, the thread would print a traceback.
        for thread in set(threading.enumerate()) - threads_before:
            await asyncio.to_thread(thread.join, 5)


def seed_demo() -> int:
    """Migrate as `migrate` does, then seed the demo practice once and print its logins.

    A database that cannot be reached or migrated is one line on stderr saying what to
    run, and exit status 1: never a traceback.
    """
    import asyncio

    from alembic.util import CommandError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.errors import DatabaseUnreachable
    from app.demo import describe_logins, seed_demo_database

    settings = get_settings()
    if settings.env is Environment.production:
        # Its logins share a published password.
        sys.stderr.write("seed-demo: refused with COACH_ENV=production; the demo is for trying.\n")
        return 1
    failures = (SQLAlchemyError, OSError, CommandError, DatabaseUnreachable)

    def said(exc: BaseException) -> str:
        # The driver's own words, on one line, without SQLAlchemy's "Background on…".
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return reason[0] if reason else type(exc).__name__

    def shown(url: str) -> str:
        return make_url(url).render_as_string(hide_password=True)

    url = settings.effective_migrations_url
    try:
        asyncio.run(_connect_once(url))
    except failures as exc:
        sys.stderr.write(
            f"seed-demo: cannot reach {shown(url)} ({said(exc)}). Start the database or fix "
            "COACH_DATABASE_URL / COACH_MIGRATIONS_DATABASE_URL, then run `coach-api seed-demo`.\n"
        )
        return 1
    try:
        migrate()
    except failures as exc:
        sys.stderr.write(
            f"seed-demo: cannot migrate {shown(url)} ({said(exc)}). Run `coach-api migrate` as "
            "the tables' owner (COACH_MIGRATIONS_DATABASE_URL), then `coach-api seed-demo`.\n"
        )
        return 1
    try:
        created = asyncio.run(seed_demo_database(settings))
    except failures as exc:
        sys.stderr.write(
            f"seed-demo: cannot seed {shown(settings.database_url)} ({said(exc)}). Check "
            "COACH_DATABASE_URL, then run `coach-api seed-demo` again.\n"
        )
        return 1
    sys.stdout.write(describe_logins(created=created))
    return 0


def main(argv: list[str] | None = None) -> int:
    from app.core.version import package_version

    parser = argparse.ArgumentParser(prog="coach-api", description=__doc__)
    parser.add_argument("--version", action="version", version=f"coach-api {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the API with uvicorn")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve_cmd.add_argument("--reload", action="store_true", help="restart on code changes")
    serve_cmd.add_argument("--migrate", action="store_true", help="apply migrations first")

    migrate_cmd = commands.add_parser("migrate", help="apply database migrations")
    migrate_cmd.add_argument(
        "revision", nargs="?", default="head", help="the revision to reach (default: head)"
    )

    commands.add_parser("openapi", help="print the OpenAPI document")

    commands.add_parser(
        "seed-demo",
        help="migrate, then create a demo practice: two coaches, eight clients, their "
        "companies, outreach, interviews and referrals",
    )

    commands.add_parser(
        "worker",
        help="deliver webhooks and email and run the sweeps until SIGTERM, as the role "
        "COACH_WORKER_DATABASE_URL names (one that bypasses Row-Level Security)",
    )

    args = parser.parse_args(argv)
    if args.command == "serve":
        if args.migrate:
            migrate()
        serve(args.host, args.port, args.reload)
    elif args.command == "migrate":
        migrate(args.revision)
    elif args.command == "openapi":
        import json

        from app.main import create_app

        sys.stdout.write(json.dumps(create_app(get_settings()).openapi(), indent=2) + "\n")
    elif args.command == "seed-demo":
        return seed_demo()
    elif args.command == "worker":
        return worker()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
