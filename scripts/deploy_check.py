"""Follow the README's "Deploying" section literally, from a built wheel, on PostgreSQL.

    python scripts/deploy_check.py [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
                                   [--redis-url redis://127.0.0.1:6379/0]

CI runs it (`.ci/run`), and `make deploy-check`. In a temporary folder, with a clean
environment and that folder as the working directory of every command (so nothing of
the source tree is importable):

1. `python -m venv`, `pip install --require-hashes -r requirements/runtime.txt`, then
   the wheel built from pyproject.toml, README.md and app/ (`pip wheel --no-deps`, as the
   Dockerfile does), installed `--no-deps`;
2. as the PostgreSQL superuser, a throwaway database and the README's three roles with
   its SQL (owner; app `NOBYPASSRLS`; worker `BYPASSRLS`; the grants and `ALTER
   DEFAULT PRIVILEGES`, before the first migration), random passwords;
3. the README's variables (`COACH_ENV=production`, generated secrets, the three URLs,
   `COACH_METRICS_TOKEN`, `COACH_TRUSTED_PROXIES`; `COACH_REDIS_URL` with
   `--redis-url`), plus `COACH_WEBHOOK_ALLOW_PRIVATE_URLS=true`, which production leaves
   off: here the webhook receiver is on loopback, which it would otherwise refuse;
4. `coach-api migrate` as the owner; two API processes (`uvicorn app.main:app
   --proxy-headers`, one process each, as the README recommends) and `coach-api worker`;
5. through the API: sign up, register a webhook endpoint at an https receiver on
   127.0.0.1 (production takes https URLs only; its throwaway self-signed certificate is
   appended to the temporary venv's certifi bundle, the only authorities the worker
   trusts), create a client; the worker's delivery must arrive signed (`webhook-id`,
   `webhook-timestamp`, `webhook-signature`, checked against the endpoint's secret);
6. `/metrics` of each API process with the token: its own request counters (each
   process counted the requests it answered, not the other's), `process_cpu_seconds_total`
   and `process_resident_memory_bytes`;
7. every line the API processes, the worker and `coach-api migrate` wrote to stdout and
   stderr is one JSON object, and each request line carries its `request_id`; no line
   at level error;
8. `coach-api --version`.

Everything binds 127.0.0.1. Processes, the database and the roles are removed in all
cases. Exit status 0 when every step passed, 1 otherwise.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))  # the orchestrator's helpers; never the deployed code

from benchmarks.common import (  # noqa: E402
    DEFAULT_POSTGRES_URL,
    LOOPBACK_HOSTS,
    admin_execute,
    check_loopback,
    free_port,
)

HOST = "127.0.0.1"
PASSWORD = "deploy check " + secrets.token_urlsafe(12)
START_SECONDS = 60.0
DELIVERY_SECONDS = 30.0
STOP_SECONDS = 10.0
# What the wheel is built from (the Dockerfile copies the same).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "app")


class CheckFailed(Exception):
    pass


@dataclass
class Report:
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Time one step; what the step appends to the yielded list is printed after it."""
        notes: list[str] = []
        began = time.monotonic()
        try:
            yield notes
        except BaseException as exc:
            self._print("FAIL", name, time.monotonic() - began, [f"{exc}", *notes])
            raise
        self._print("OK", name, time.monotonic() - began, notes)

    def _print(self, verdict: str, name: str, seconds: float, notes: list[str]) -> None:
        line = f"{verdict:4} {seconds:6.1f}s  {name}"
        print(line + "".join(f"\n{'':14}{note}" for note in notes if note), flush=True)


# --- commands in the temporary folder ---------------------------------------------------


def clean_environment(
    folder: Path, venv: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Only what a service unit would set: PATH (the venv first), HOME, the locale."""
    env = {
        "PATH": os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    return env | (extra or {})


def pip_environment(folder: Path, venv: Path) -> dict[str, str]:
    """The clean environment plus this machine's pip settings (index, certificates) and
    its cache: the packages come from wherever pip is set up to get them."""
    passed = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
    if "HOME" in os.environ:
        passed["HOME"] = os.environ["HOME"]
    return clean_environment(folder, venv, passed)


def run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip()[-3000:]
        raise CheckFailed(f"{' '.join(command)} exited with {done.returncode}:\n{tail}")
    return done.stdout + done.stderr


# --- the database and its three roles (the README's SQL) --------------------------------


@dataclass(frozen=True)
class Roles:
    database: str
    owner: str
    app: str
    worker: str
    passwords: dict[str, str]

    @classmethod
    def fresh(cls) -> "Roles":
        suffix = uuid.uuid4().hex[:10]
        names = (f"coach_owner_{suffix}", f"coach_app_{suffix}", f"coach_worker_{suffix}")
        return cls(
            f"coach_deploy_{suffix}",
            *names,
            passwords={name: secrets.token_urlsafe(18) for name in names},
        )

    def url(self, server_url: str, role: str) -> str:
        server = make_url(server_url)
        return server.set(
            drivername="postgresql",
            username=role,
            password=self.passwords[role],
            database=self.database,
        ).render_as_string(hide_password=False)


def create_roles(server_url: str, roles: Roles) -> None:
    p = roles.passwords
    # -- as a superuser
    asyncio.run(
        admin_execute(
            server_url,
            f"CREATE ROLE {roles.owner} LOGIN PASSWORD '{p[roles.owner]}'",
            f"CREATE DATABASE {roles.database} OWNER {roles.owner}",
            f"CREATE ROLE {roles.app} LOGIN PASSWORD '{p[roles.app]}' NOSUPERUSER NOBYPASSRLS",
            f"CREATE ROLE {roles.worker} LOGIN PASSWORD '{p[roles.worker]}' NOSUPERUSER BYPASSRLS",
        )
    )
    # -- connected to the database as its owner
    both = f"{roles.app}, {roles.worker}"
    asyncio.run(
        admin_execute(
            roles.url(server_url, roles.owner),
            f"GRANT USAGE ON SCHEMA public TO {both}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {both}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {roles.owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {both}",
        )
    )


def drop_roles(server_url: str, roles: Roles) -> None:
    asyncio.run(
        admin_execute(
            server_url,
            f"DROP DATABASE IF EXISTS {roles.database} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {roles.app}",
            f"DROP ROLE IF EXISTS {roles.worker}",
            f"DROP ROLE IF EXISTS {roles.owner}",
        )
    )


# --- a webhook receiver on loopback -----------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (certificate, key) files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coach deploy check receiver")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "receiver-cert.pem", folder / "receiver-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Receiver:
    """HTTPS on 127.0.0.1 (production registers https URLs only), recording each POST."""

    def __init__(self, cert_file: Path, key_file: Path) -> None:
        self.requests: list[Received] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {key.lower(): value for key, value in self.headers.items()}
                received.append(Received(self.path, headers, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://{HOST}:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify_signature(secret: str, received: Received) -> None:
    """Standard Webhooks: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, the key
    the base64 after `whsec_` (app/webhooks/signing.py)."""
    headers = received.headers
    missing = [
        h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if h not in headers
    ]
    if missing:
        raise CheckFailed(f"delivery without {', '.join(missing)}: {sorted(headers)}")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[-1] for part in headers["webhook-signature"].split()]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise CheckFailed("webhook-signature does not match the endpoint's secret")


# --- processes --------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    base_url: str | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Processes:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[Process] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as sink:
            popen = subprocess.Popen(
                command, cwd=self.folder, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        process = Process(name, popen, log)
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        """SIGTERM each (an API finishes its requests, the worker its batch), SIGKILL late."""
        for process in self.running:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.popen.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()


def wait_ready(process: Process) -> None:
    assert process.base_url is not None
    deadline = time.monotonic() + START_SECONDS
    with httpx.Client(base_url=process.base_url, trust_env=False, timeout=2.0) as http:
        while True:
            if process.popen.poll() is not None:
                raise CheckFailed(
                    f"{process.name} exited with {process.popen.returncode}:\n"
                    + process.output()[-3000:]
                )
            try:
                if http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise CheckFailed(f"{process.name} not ready after {START_SECONDS:.0f} s")
            time.sleep(0.1)


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise CheckFailed(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} (expected {status}): {response.text[:500]}"
        )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


# --- the checks on the running deployment -----------------------------------------------


def counters(text: str) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "coach_http_requests_total"
    }


def sample_names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def check_json_lines(process: Process) -> str:
    """Every line one JSON object; request lines with a request id; no errors."""
    lines = process.output().splitlines()
    requests = errors = 0
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError:
            raise CheckFailed(
                f"{process.name}, line {number} is not JSON: {line[:300]!r}"
            ) from None
        if not isinstance(entry, dict):
            raise CheckFailed(f"{process.name}, line {number} is not an object: {line[:300]!r}")
        if entry.get("logger") == "coach_api.access":
            requests += 1
            if not entry.get("request_id"):
                raise CheckFailed(f"{process.name}, line {number}: a request without request_id")
        if entry.get("level") in ("error", "critical"):
            errors += 1
            raise CheckFailed(f"{process.name}, line {number} is an error: {line[:500]}")
    if not lines:
        raise CheckFailed(f"{process.name} wrote nothing")
    return f"{process.name}: {len(lines)} lines, all JSON ({requests} request lines)"


def exercise(
    api: list[Process], receiver: Receiver, metrics_token: str, notes: Callable[[str], None]
) -> None:
    first, second = api
    assert first.base_url is not None
    assert second.base_url is not None
    with (
        httpx.Client(base_url=first.base_url, trust_env=False, timeout=30) as a,
        httpx.Client(base_url=second.base_url, trust_env=False, timeout=30) as b,
    ):
        signed_up = expect(
            a.post(
                "/api/v1/auth/signup",
                json={
                    "organization_name": "Deploy Check",
                    "full_name": "Olive Owner",
                    "email": f"owner-{uuid.uuid4().hex[:8]}@example.com",
                    "password": PASSWORD,
                },
                headers={"X-Request-ID": "deploy-check-signup"},
            ),
            201,
        )
        auth = {"Authorization": f"Bearer {signed_up['access_token']}"}
        endpoint = expect(
            a.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth), 201
        )
        # The other process: it shares nothing with the first but the database.
        client = expect(
            b.post("/api/v1/clients", json={"full_name": "Grace Jobseeker"}, headers=auth), 201
        )
        notes(f"signed up, endpoint on :{a.base_url.port}; client created on :{b.base_url.port}")

        deadline = time.monotonic() + DELIVERY_SECONDS
        delivery = None
        while delivery is None:
            for received in list(receiver.requests):
                payload = json.loads(received.body)
                if payload.get("type") == "client.created":
                    delivery = received
            if delivery is None:
                if time.monotonic() > deadline:
                    raise CheckFailed(f"no client.created delivery in {DELIVERY_SECONDS:.0f} s")
                time.sleep(0.1)
        verify_signature(endpoint["secret"], delivery)
        payload = json.loads(delivery.body)
        if payload.get("data", {}).get("id") != client["id"]:
            notes(f"(delivery data: {str(payload.get('data'))[:200]})")
        notes(
            f"client.created delivered to the receiver, webhook-id {delivery.headers['webhook-id']}"
            ", signature verified"
        )

        token = {"Authorization": f"Bearer {metrics_token}"}
        expect_status = a.get("/metrics")
        if expect_status.status_code != 401:
            raise CheckFailed(f"/metrics without the token answered {expect_status.status_code}")
        scrapes = []
        for http in (a, b):
            response = http.get("/metrics", headers=token)
            if response.status_code != 200:
                raise CheckFailed(f"/metrics with the token: {response.status_code}")
            scrapes.append(response.text)
    signup_key = ("POST", "/api/v1/auth/signup", "201")
    clients_key = ("POST", "/api/v1/clients", "201")
    mine = {first.name: signup_key, second.name: clients_key}
    for process, text in zip(api, scrapes, strict=True):
        counts = counters(text)
        own = mine[process.name]
        other = signup_key if own == clients_key else clients_key
        if counts.get(own) != 1 or other in counts:
            raise CheckFailed(
                f"{process.name}'s /metrics: expected its own {own} once and no {other}, got "
                f"{ {k: v for k, v in counts.items() if k in (own, other)} }"
            )
        missing = {"process_cpu_seconds_total", "process_resident_memory_bytes"} - sample_names(
            text
        )
        if missing:
            raise CheckFailed(f"{process.name}'s /metrics lacks {', '.join(sorted(missing))}")
        notes(
            f"{process.name} /metrics: its own {own[0]} {own[1]} counted, not the other's; "
            "process_cpu_seconds_total, process_resident_memory_bytes present"
        )


# --- the whole run ----------------------------------------------------------------------


def deploy(args: argparse.Namespace, report: Report, folder: Path) -> None:
    venv = folder / "venv"
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    with report.step("python -m venv"):
        run(
            [sys.executable, "-m", "venv", str(venv)],
            cwd=folder,
            env=clean_environment(folder, venv),
        )
    pip_env = pip_environment(folder, venv)
    with report.step("pip install --require-hashes -r requirements/runtime.txt"):
        shutil.copy(PROJECT_ROOT / "requirements" / "runtime.txt", folder / "runtime.txt")
        run(
            [str(python), "-m", "pip", "install", "-q", "--require-hashes", "-r", "runtime.txt"],
            cwd=folder,
            env=pip_env,
        )
    with report.step("pip wheel --no-deps, pip install --no-deps <wheel>") as notes:
        source = folder / "source"
        source.mkdir()
        for name in WHEEL_SOURCES:
            origin = PROJECT_ROOT / name
            if origin.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(origin, source / name, ignore=ignore)
            else:
                shutil.copy(origin, source / name)
        wheels = folder / "wheels"
        run(
            [str(python), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
            cwd=folder,
            env=pip_env,
        )
        [wheel] = wheels.glob("coach_api-*.whl")
        run(
            [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
            cwd=folder,
            env=pip_env,
        )
        shutil.rmtree(source)
        # The worker trusts certifi's authorities only (app/webhooks/delivery.py): the
        # receiver's throwaway certificate joins this venv's copy, and nothing else.
        cert_file, key_file = throwaway_certificate(folder)
        bundle = run(
            [str(python), "-c", "import certifi; print(certifi.where())"],
            cwd=folder,
            env=clean_environment(folder, venv),
        ).strip()
        if not bundle.startswith(str(venv)):
            raise CheckFailed(f"certifi's bundle {bundle} is outside the venv")
        with open(bundle, "a") as authorities:
            authorities.write("\n" + cert_file.read_text())
        where = run(
            [str(python), "-c", "import app; print(app.__file__)"],
            cwd=folder,
            env=clean_environment(folder, venv),
        ).strip()
        if not where.startswith(str(venv)):
            raise CheckFailed(f"app imported from {where}, not from the venv")
        notes.append(f"{wheel.name}; app imported from {Path(where).parent.relative_to(folder)}")

    roles = Roles.fresh()
    processes = Processes(folder)
    try:
        with report.step("database and the three roles (the README's SQL)") as notes:
            create_roles(args.postgres_url, roles)
            notes.append(f"{roles.database}: {roles.owner}, {roles.app}, {roles.worker}")
        metrics_token = secrets.token_urlsafe(32)
        settings = {
            "COACH_ENV": "production",
            "COACH_JWT_SECRET": secrets.token_urlsafe(48),
            "COACH_TOTP_ENCRYPTION_KEYS": secrets.token_urlsafe(48),
            "COACH_MIGRATIONS_DATABASE_URL": roles.url(args.postgres_url, roles.owner),
            "COACH_DATABASE_URL": roles.url(args.postgres_url, roles.app),
            "COACH_WORKER_DATABASE_URL": roles.url(args.postgres_url, roles.worker),
            "COACH_TRUSTED_PROXIES": "127.0.0.1/32",
            "COACH_METRICS_TOKEN": metrics_token,
            # Not the README's: production refuses loopback receivers, and this one is.
            "COACH_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        }
        if args.redis_url:
            settings["COACH_REDIS_URL"] = args.redis_url
            settings["COACH_RATE_LIMIT_KEY_PREFIX"] = f"coach:deploy-check:{roles.database}:"
        env = clean_environment(folder, venv, settings)

        with report.step("coach-api migrate (as the owner)") as notes:
            migrate = processes.start("migrate", [str(bin_dir / "coach-api"), "migrate"], env)
            if migrate.popen.wait(timeout=120) != 0:
                raise CheckFailed(
                    f"coach-api migrate exited with {migrate.popen.returncode}:\n"
                    + migrate.output()[-3000:]
                )
            notes.append(f"{len(migrate.output().splitlines())} log lines")

        with report.step(
            "two API processes (uvicorn app.main:app --proxy-headers) and the worker"
        ) as notes:
            api = []
            for number in (1, 2):
                port = free_port()
                command = [str(bin_dir / "uvicorn"), "app.main:app", "--host", HOST]
                command += ["--port", str(port), "--proxy-headers", "--forwarded-allow-ips", HOST]
                process = processes.start(f"api-{number}", command, env)
                process.base_url = f"http://{HOST}:{port}"
                api.append(process)
            worker = processes.start("worker", [str(bin_dir / "coach-api"), "worker"], env)
            for process in api:
                wait_ready(process)
            time.sleep(0.2)
            if worker.popen.poll() is not None:
                raise CheckFailed(
                    f"the worker exited with {worker.popen.returncode}:\n" + worker.output()[-3000:]
                )
            notes.append(", ".join(f"{p.name} {p.base_url}" for p in api))

        with (
            report.step(
                "sign up, webhook endpoint, client, signed delivery; /metrics of each"
            ) as notes,
            Receiver(cert_file, key_file) as receiver,
        ):
            exercise(api, receiver, metrics_token, notes.append)

        with report.step("every line of the API processes, worker and migrate is JSON") as notes:
            processes.stop_all()
            for process in processes.running:
                notes.append(check_json_lines(process))

        with report.step("coach-api --version") as notes:
            said = run([str(bin_dir / "coach-api"), "--version"], cwd=folder, env=env).strip()
            version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
                "version"
            ]
            if said != f"coach-api {version}":
                raise CheckFailed(f"coach-api --version said {said!r}, pyproject has {version}")
            notes.append(said)
    finally:
        processes.stop_all()
        with report.step("clean-up: processes stopped, database and roles dropped"):
            drop_roles(args.postgres_url, roles)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="a superuser on loopback"
    )
    parser.add_argument(
        "--redis-url", help="set COACH_REDIS_URL (a loopback Redis) as the README does"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    check_loopback(parser, args.postgres_url)
    if args.redis_url and urlsplit(args.redis_url).hostname not in LOOPBACK_HOSTS:
        parser.error("--redis-url must point at a loopback server")

    # SIGTERM (CI cancelling) unwinds through the clean-up like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupted)
    report = Report()
    folder = Path(tempfile.mkdtemp(prefix="coach-deploy-check-"))
    print(f"deploy check in {folder}", flush=True)
    try:
        deploy(args, report, folder)
    except (Exception, KeyboardInterrupt) as exc:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        print(f"deploy check FAILED after {time.monotonic() - report.started:.1f}s: {reason}")
        return 1
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"deploy check passed in {time.monotonic() - report.started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
