"""`coach-api` command line: serve, migrate, and operational tasks."""

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.core.config import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def migrate(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def serve(host: str, port: int, reload: bool) -> None:
    import uvicorn

    uvicorn.run(
        "app.main:app", host=host, port=port, reload=reload, proxy_headers=True, access_log=False
    )


def worker() -> None:
    """Deliver webhooks until SIGTERM or SIGINT; the batch in hand is finished first."""
    import asyncio
    import signal

    from app.core.logging import configure_logging
    from app.webhooks.worker import run_worker

    settings = get_settings()
    configure_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(settings, stop)

    asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coach-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the API with uvicorn")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument("--reload", action="store_true")
    serve_cmd.add_argument("--migrate", action="store_true", help="apply migrations first")

    migrate_cmd = commands.add_parser("migrate", help="apply database migrations")
    migrate_cmd.add_argument("revision", nargs="?", default="head")

    commands.add_parser("openapi", help="print the OpenAPI document")

    commands.add_parser(
        "seed-demo", help="create a demo organization with clients and contact trees"
    )

    commands.add_parser("worker", help="deliver webhooks until SIGTERM")

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
        import asyncio

        from app.demo import describe_logins, seed_demo_database

        created = asyncio.run(seed_demo_database(get_settings()))
        sys.stdout.write(describe_logins(created=created))
    elif args.command == "worker":
        worker()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
