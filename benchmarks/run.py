"""Drive the API under load against the seeded benchmark database, next to the floor.

Starts the API with its production command (`coach-api serve`: uvicorn, one worker)
as the role Row-Level Security applies to, and the floor (`benchmarks.floor`, the
same list-contacts JSON from one asyncpg query, no framework) under uvicorn with one
worker. Each endpoint is then driven for a fixed time by `wrk` in its own process on
loopback (installed from the Debian packages if missing; otherwise a Python load
generator, said so in the output), and the runner prints requests/s, p50/p95/p99
latency, non-2xx responses and the server's CPU per request, the API's list-contacts
requests/s as a share of the floor's, and the targets. Both servers are stopped at
the end, also when something fails.

    python -m benchmarks.seed && python -m benchmarks.run
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.core.logging import configure_logging
from app.db.session import async_database_url
from app.main import API_PREFIX
from benchmarks.common import (
    DEFAULT_POSTGRES_URL,
    PROJECT_ROOT,
    api_command,
    api_environment,
    check_bounds,
    check_loopback,
    cpu_seconds,
    database_urls,
    dump_log_tail,
    free_port,
    load_average,
    loopback_server,
)
from benchmarks.seed import (
    ADMIN_EMAIL,
    DATABASE_NAME,
    DEFAULT_DATABASE,
    DEFAULT_PASSWORD,
    app_role,
    coach_email,
)

PROBE_REQUESTS = 3  # before each run: the status, and warm caches
# Prints the figures as one JSON line and counts every response that is not a 2xx
# (wrk's own error count only sees statuses above 399). Each wrk thread has its own
# Lua state: `setup` keeps the threads so that `done` can add up their counters.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"non2xx":%d,"socket_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, bad, e.connect + e.read + e.write + e.timeout))
end
"""
TARGETS = {
    "traction": ("p95 < 150 ms", 150.0),
    "caseload-admin": ("p95 < 800 ms", 800.0),
    "agenda": ("p95 < 150 ms", 150.0),
}
FLOOR_SHARE_TARGET = 0.40
UNLIMITED = 1_000_000_000
# The floor's PostgreSQL sessions carry this name, so their CPU can be told apart.
FLOOR_NAME = "coach_bench_floor"


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    caller: str  # "coach", "admin", or "none" (the floor)
    path: str
    floor: bool = False


@dataclass
class Result:
    endpoint: Endpoint
    status: str  # "ok", or why there are no figures
    figures: dict[str, float] | None = None
    cpu_ms: float | None = None  # the server process, per request
    db_cpu_ms: float | None = None  # its PostgreSQL backends, per request
    body_bytes: int = 0

    @property
    def rps(self) -> float:
        assert self.figures is not None
        return self.figures["requests"] / (self.figures["duration_us"] / 1_000_000)

    @property
    def errors(self) -> int:
        """Non-2xx responses, socket errors and time-outs."""
        if self.figures is None:
            return 0
        return int(self.figures["non2xx"] + self.figures["socket_errors"])

    def ms(self, name: str) -> float:
        assert self.figures is not None
        return self.figures[name] / 1000


@dataclass(frozen=True)
class Generator:
    description: str
    wrk: str | None = None  # its path; None: the Python load generator


@dataclass(frozen=True)
class Dataset:
    clients: int
    contacts: int
    interactions: int
    coach_clients: int
    coach_contacts: int
    client_id: uuid.UUID
    client_contacts: int
    revision: str | None = None  # its Alembic revision


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="seeded by benchmarks.seed")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="as given to the seed")
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--timeout", type=int, default=30, help="seconds before a request fails")
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk, installed with apt-get if missing, else the Python one",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="KEY", help="run only these endpoints (keys: see --list)"
    )
    parser.add_argument("--list", action="store_true", help="list the endpoint keys and stop")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on the loopback server that holds the database",
    )
    args = parser.parse_args(argv)
    check_bounds(
        parser,
        args,
        {"duration": (1, 600), "connections": (1, 256), "threads": (1, 16), "timeout": (1, 300)},
    )
    if args.threads > args.connections:
        parser.error("--threads may not exceed --connections")
    check_loopback(parser, args.postgres_url)
    if not DATABASE_NAME.fullmatch(args.database):
        parser.error("--database: lower-case letters, digits and underscores, at most 50")
    return args


def endpoints(dataset: Dataset) -> list[Endpoint]:
    client = f"{API_PREFIX}/clients/{dataset.client_id}"
    coach, everyone = dataset.coach_clients, dataset.clients
    caseload = f"{API_PREFIX}/reports/caseload"
    return [
        Endpoint("contacts", "list contacts (limit=50)", "coach", f"{client}/contacts?limit=50"),
        Endpoint(
            "floor",
            "floor: same list, raw ASGI + asyncpg",
            "none",
            f"{client}/contacts?limit=50",
            floor=True,
        ),
        Endpoint(
            "tree",
            f"contact tree ({dataset.client_contacts} contacts)",
            "coach",
            f"{client}/contact-tree",
        ),
        Endpoint("traction", "client traction", "coach", f"{client}/traction"),
        Endpoint(
            "caseload-coach",
            f"caseload report ({coach} clients)",
            "coach",
            caseload,
        ),
        Endpoint(
            "caseload-admin",
            f"caseload report ({everyone} clients)",
            "admin",
            caseload,
        ),
        Endpoint(
            "caseload-csv",
            f"caseload report CSV ({everyone} rows)",
            "admin",
            f"{caseload}?format=csv",
        ),
        Endpoint("pipeline", "pipeline board", "coach", f"{client}/pipeline"),
        Endpoint(
            "agenda",
            f"agenda ({coach} clients, {dataset.coach_contacts:,} contacts)",
            "coach",
            f"{API_PREFIX}/agenda",
        ),
    ]


# --- the dataset ------------------------------------------------------------------------


async def load_dataset(owner_url: str) -> Dataset | None:
    """What the seed made, and the client the per-client endpoints use: coach01's first."""
    engine = create_async_engine(async_database_url(owner_url))
    try:
        async with engine.connect() as connection:
            counts = (
                await connection.execute(
                    text(
                        "SELECT (SELECT count(*) FROM clients), (SELECT count(*) FROM contacts), "
                        "(SELECT count(*) FROM interactions)"
                    )
                )
            ).one()
            assigned = (
                await connection.execute(
                    text(
                        "SELECT cc.client_id FROM client_coaches AS cc "
                        "JOIN users AS u ON u.id = cc.coach_id "
                        "WHERE u.email = :email ORDER BY cc.created_at, cc.client_id"
                    ),
                    {"email": coach_email(1)},
                )
            ).scalars()
            clients = list(assigned)
            if not clients:
                return None
            client_contacts = (
                await connection.execute(
                    text("SELECT count(*) FROM contacts WHERE client_id = :id"),
                    {"id": clients[0]},
                )
            ).scalar_one()
            coach_contacts = (
                await connection.execute(
                    text("SELECT count(*) FROM contacts WHERE client_id = ANY(:ids)"),
                    {"ids": clients},
                )
            ).scalar_one()
            revision = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one_or_none()
    except (OSError, SQLAlchemyError) as exc:  # no such database, or not seeded
        print(f"cannot read the benchmark database: {exc.__class__.__name__}: {exc}")
        return None
    finally:
        await engine.dispose()
    return Dataset(
        counts[0],
        counts[1],
        counts[2],
        len(clients),
        coach_contacts,
        clients[0],
        client_contacts,
        revision,
    )


def migrations_head() -> str | None:
    from alembic.script import ScriptDirectory

    from app.cli import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# --- load generators --------------------------------------------------------------------


def choose_generator(choice: str) -> Generator:
    wrk = shutil.which("wrk")
    if wrk is None and choice != "python":
        wrk = install_wrk()
    if wrk is not None and choice != "python":
        version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        first_line = (version.stdout or version.stderr).splitlines()[0:1]
        return Generator(first_line[0].split(" Copyright")[0] if first_line else "wrk", wrk)
    if choice == "wrk":
        raise SystemExit("wrk is not installed and could not be installed")
    return Generator(
        "Python load generator (benchmarks.loadgen, httpx): wrk was not available; "
        "requests/s are lower than wrk would measure",
    )


def install_wrk() -> str | None:
    """`apt-get install -y wrk` (with `apt-get update` if the first try fails), as root."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("wrk is missing and cannot be installed here (needs root and apt-get)")
        return None
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    attempts = (
        [["apt-get", "install", "-y", "wrk"]],
        [["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]],
    )
    for commands in attempts:
        print(f"installing wrk: {' && '.join(' '.join(c) for c in commands)}")
        ok = all(
            subprocess.run(command, env=env, capture_output=True, check=False).returncode == 0
            for command in commands
        )
        if ok and (wrk := shutil.which("wrk")):
            return wrk
    print("could not install wrk")
    return None


async def drive(
    generator: Generator, url: str, headers: dict[str, str], args: argparse.Namespace
) -> dict[str, float]:
    """One run of the load generator, in its own process; its figures."""
    header_args = [f"{name}: {value}" for name, value in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if generator.wrk is not None:
            script.write(WRK_SCRIPT)
            script.flush()
            command = [
                generator.wrk,
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                f"--timeout={args.timeout}s",
                "--latency",
                "-s",
                script.name,
                *(part for header in header_args for part in ("-H", header)),
                url,
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "benchmarks.loadgen",
                url,
                f"--duration={args.duration}",
                f"--connections={args.connections}",
                f"--timeout={args.timeout}",
                *(f"--header={header}" for header in header_args),
            ]
        output = await _run_process(command, args.duration + args.timeout + 60)
    for line in output.splitlines():
        if line.startswith("BENCH "):
            figures: dict[str, float] = json.loads(line.removeprefix("BENCH "))
            return figures
    raise RuntimeError(f"no figures from the load generator:\n{output[-2000:]}")


async def _run_process(command: list[str], seconds: float) -> str:
    """The command's output; killed if it runs past `seconds`."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=PROJECT_ROOT,
    )
    try:
        async with asyncio.timeout(seconds):
            stdout, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return stdout.decode(errors="replace")


# --- servers ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def servers(
    app_url: str, floor_url: str, pool_size: int, api_log: IO[str], floor_log: IO[str]
) -> AsyncIterator[tuple[tuple[str, int], tuple[str, int]]]:
    """The API and the floor, each on a free loopback port: ((base URL, pid), ...)."""
    api_port, floor_port = free_port(), free_port()
    api_env = api_environment(app_url, secrets.token_urlsafe(48)) | {
        "COACH_DATABASE_POOL_SIZE": str(pool_size),
        # One user sends thousands of requests a minute here: the limiter still counts
        # every one (its cost is measured), but never answers 429.
        "COACH_RATE_LIMIT_PER_USER": str(UNLIMITED),
        "COACH_RATE_LIMIT_AUTH_PER_IP": str(UNLIMITED),
    }
    uvicorn = Path(sys.executable).parent / "uvicorn"
    floor_command = [
        str(uvicorn),
        "benchmarks.floor:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(floor_port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    floor_env = os.environ | {
        "FLOOR_DATABASE_URL": floor_url,
        "FLOOR_POOL_SIZE": str(pool_size),
        "FLOOR_APPLICATION_NAME": FLOOR_NAME,
    }
    async with (
        loopback_server(api_command(api_port), api_env, api_port, api_log) as api,
        loopback_server(floor_command, floor_env, floor_port, floor_log) as floor,
    ):
        yield api, floor


@contextlib.asynccontextmanager
async def monitor_connection(owner_url: str) -> AsyncIterator[AsyncConnection]:
    """A superuser connection (autocommit) that reads pg_stat_activity between runs."""
    engine = create_async_engine(async_database_url(owner_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await http.post(
        f"{API_PREFIX}/auth/token", data={"username": email, "password": password}
    )
    if response.status_code != 200:
        raise RuntimeError(f"sign-in as {email}: {response.status_code} {response.text[:300]}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


BackendCpu = Callable[[], Awaitable[dict[int, float]]]


def backend_cpu(connection: AsyncConnection, *, floor: bool, role: str) -> BackendCpu:
    """CPU seconds so far of each PostgreSQL backend serving the API (its role) or the
    floor (its application name); the server runs on this machine."""
    who = "application_name = :name" if floor else "usename = :name"
    query = text(
        f"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND {who}"  # noqa: S608
    )

    async def read() -> dict[int, float]:
        pids = (await connection.execute(query, {"name": FLOOR_NAME if floor else role})).scalars()
        return {pid: seconds for pid in pids if (seconds := cpu_seconds(pid)) is not None}

    return read


async def measure(
    endpoint: Endpoint,
    base_url: str,
    pid: int,
    headers: dict[str, str],
    db_cpu: BackendCpu,
    generator: Generator,
    args: argparse.Namespace,
) -> Result:
    path = endpoint.path
    try:
        async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=60.0) as http:
            for _ in range(PROBE_REQUESTS):
                response = await http.get(path, headers=headers)
    except httpx.HTTPError as exc:  # e.g. the server dropped the connection on an error
        return Result(endpoint, f"failed: {exc.__class__.__name__} {str(exc)[:100]!r}")
    if response.status_code == 404:
        return Result(endpoint, "not available (404)")
    if not 200 <= response.status_code < 300:
        return Result(endpoint, f"failed: {response.status_code} {response.text[:120]!r}")
    before, db_before = cpu_seconds(pid), await db_cpu()
    figures = await drive(generator, base_url + path, headers, args)
    after, db_after = cpu_seconds(pid), await db_cpu()
    result = Result(endpoint, "ok", figures, body_bytes=len(response.content))
    if requests := figures["requests"]:
        if before is not None and after is not None:
            result.cpu_ms = (after - before) * 1000 / requests
        # A backend opened during the run used all its CPU in it.
        spent = sum(seconds - db_before.get(pid, 0.0) for pid, seconds in db_after.items())
        result.db_cpu_ms = spent * 1000 / requests
    return result


async def compare_floor(api_base: str, floor_base: str, path: str, headers: dict[str, str]) -> str:
    """Whether the floor serves the API's page: same contacts, fields and values."""
    async with httpx.AsyncClient(trust_env=False, timeout=60.0) as http:
        ours = await http.get(api_base + path, headers=headers)
        floor = await http.get(floor_base + path)
    if ours.status_code != 200 or floor.status_code != 200:
        return f"cannot compare: API {ours.status_code}, floor {floor.status_code}"
    if ours.content == floor.content:
        return f"identical bodies ({len(ours.content):,} bytes)"
    a, b = ours.json(), floor.json()
    if a == b:
        return f"same JSON, bytes differ ({len(ours.content):,} vs {len(floor.content):,})"
    if [c["id"] for c in a["data"]] != [c["id"] for c in b["data"]]:
        return "DIFFERENT contacts"
    fields = sorted(
        {
            key
            for x, y in zip(a["data"], b["data"], strict=True)
            for key in x | y
            if x.get(key) != y.get(key)
        }
    )
    return f"same contacts; fields differ: {', '.join(fields) or 'next_cursor'}"


# --- report -----------------------------------------------------------------------------


def report(results: list[Result]) -> None:
    header = (
        f"{'endpoint':<38} {'caller':<6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'non-2xx':>7} {'CPU ms':>7} {'DB CPU':>7} {'bytes':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        label, caller = r.endpoint.label, r.endpoint.caller
        if r.figures is None:
            print(f"{label:<38} {caller:<6} {r.status}")
            continue
        cpu = "n/a" if r.cpu_ms is None else f"{r.cpu_ms:.1f}"
        db_cpu = "n/a" if r.db_cpu_ms is None else f"{r.db_cpu_ms:.1f}"
        print(
            f"{label:<38} {caller:<6} {r.rps:>7.1f} {r.ms('p50_us'):>8.1f} "
            f"{r.ms('p95_us'):>8.1f} {r.ms('p99_us'):>8.1f} {r.ms('max_us'):>8.1f} "
            f"{r.errors:>7,} {cpu:>7} {db_cpu:>7} {r.body_bytes:>8,}"
        )


def report_targets(results: list[Result]) -> None:
    by_key = {r.endpoint.key: r for r in results}
    print("\nTargets:")
    ours, floor = by_key.get("contacts"), by_key.get("floor")
    if ours and floor and ours.figures and floor.figures and floor.rps:
        share = ours.rps / floor.rps
        verdict = "met" if share >= FLOOR_SHARE_TARGET else "NOT met"
        print(
            f"  list contacts at {share:.1%} of the floor's requests/s "
            f"({ours.rps:.1f} / {floor.rps:.1f}); target >= {FLOOR_SHARE_TARGET:.0%}: {verdict}"
        )
        if ours.cpu_ms and floor.cpu_ms:
            # Less disturbed by other work on the machine than requests/s.
            print(
                f"  by server CPU per request: floor {floor.cpu_ms:.1f} ms, API "
                f"{ours.cpu_ms:.1f} ms: {floor.cpu_ms / ours.cpu_ms:.1%}"
            )
    else:
        print("  list contacts vs floor: not measured")
    for key, (wording, limit_ms) in TARGETS.items():
        result = by_key.get(key)
        if result is None:
            continue
        if result.figures is None:
            print(f"  {result.endpoint.label}: {result.status}; target {wording}")
            continue
        p95 = result.ms("p95_us")
        print(
            f"  {result.endpoint.label}: p95 {p95:.1f} ms; target {wording}: "
            f"{'met' if p95 < limit_ms else 'NOT met'}"
        )


async def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    role = app_role(args.database)
    owner_url, app_url = database_urls(args.postgres_url, args.database, role)
    dataset = await load_dataset(owner_url)
    if dataset is None:
        print(f"database {args.database} is not seeded: run `python -m benchmarks.seed` first")
        return 1
    if dataset.revision != (head := migrations_head()):
        print(
            f"WARNING: the database is at migration {dataset.revision}, the code at {head}: "
            f"seed it again (python -m benchmarks.seed --database {args.database})"
        )
    chosen = endpoints(dataset)
    if args.only:
        unknown = set(args.only) - {e.key for e in chosen}
        if unknown:
            print(f"unknown endpoint keys: {', '.join(sorted(unknown))}")
            return 2
        chosen = [e for e in chosen if e.key in args.only]
    generator = choose_generator(args.load_generator)
    floor_url = make_url(owner_url).set(drivername="postgresql").render_as_string(False)
    print(
        f"dataset {args.database}: {dataset.clients:,} clients, {dataset.contacts:,} contacts, "
        f"{dataset.interactions:,} interactions; per-client endpoints on client "
        f"{dataset.client_id} ({dataset.client_contacts} contacts) as {coach_email(1)}"
    )
    print(
        f"{os.cpu_count()} CPUs, {load_average()}\n"
        f"load: {generator.description}, {args.threads} thread(s), {args.connections} "
        f"connections, {args.duration} s per endpoint, loopback only\n"
        f"API: coach-api serve (uvicorn, 1 worker) as {role} (RLS applies); "
        "floor: uvicorn benchmarks.floor:app (1 worker) as the superuser, no RLS\n"
    )
    results: list[Result] = []
    pool_size = max(10, args.connections)
    with tempfile.TemporaryFile("w+") as api_log, tempfile.TemporaryFile("w+") as floor_log:
        try:
            async with (
                servers(app_url, floor_url, pool_size, api_log, floor_log) as (api, floor),
                httpx.AsyncClient(base_url=api[0], trust_env=False, timeout=60) as http,
                monitor_connection(owner_url) as monitor,
            ):
                for endpoint in chosen:
                    db_cpu = backend_cpu(monitor, floor=endpoint.floor, role=role)
                    if endpoint.floor:
                        result = await measure(endpoint, *floor, {}, db_cpu, generator, args)
                    else:
                        email = coach_email(1) if endpoint.caller == "coach" else ADMIN_EMAIL
                        try:
                            headers = await sign_in(http, email, args.password)  # fresh token
                        except (RuntimeError, httpx.HTTPError) as exc:
                            result = Result(endpoint, f"failed: {str(exc)[:200]}")
                        else:
                            result = await measure(endpoint, *api, headers, db_cpu, generator, args)
                    results.append(result)
                    print(f"  {endpoint.label}: {result.status}", file=sys.stderr)
                if any(e.floor for e in chosen):
                    contacts = endpoints(dataset)[0].path
                    try:
                        headers = await sign_in(http, coach_email(1), args.password)
                        verdict = await compare_floor(api[0], floor[0], contacts, headers)
                    except (RuntimeError, httpx.HTTPError) as exc:
                        verdict = f"cannot compare: {str(exc)[:200]}"
                    print(f"floor response vs the API's: {verdict}")
        except BaseException:
            dump_log_tail(api_log, "coach-api serve")
            dump_log_tail(floor_log, "floor")
            raise
        print()
        report(results)
        report_targets(results)
        if any(r.status.startswith("failed") or r.errors for r in results):
            dump_log_tail(api_log, "coach-api serve")
    print(
        f"\ndone in {time.perf_counter() - started:.0f} s; servers stopped; {load_average()}\n"
        "CPU ms: the server process's CPU per request; DB CPU: its PostgreSQL backends'; "
        + (
            "one request at a time"
            if args.connections == 1
            else f"latencies at {args.connections} concurrent connections include queueing"
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        dataset = Dataset(0, 0, 0, 0, uuid.UUID(int=0), 0)
        for endpoint in endpoints(dataset):
            print(f"{endpoint.key:<16} {endpoint.label}")
        return 0
    configure_logging("WARNING")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
