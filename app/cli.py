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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
