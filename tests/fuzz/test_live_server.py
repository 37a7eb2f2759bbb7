"""Hostile bytes against a live server: uvicorn in a subprocess on 127.0.0.1.

The in-process fuzzers (httpx's ASGI transport) never meet a real HTTP parser or a
real response writer: what uvicorn refuses (control bytes in a header, a NUL in the
request line, a line too long) and what it cannot send (a header value the app
built with a line break in it, a response cut short by an exception) only shows
on a socket. Each case here is one request on its own connection (`Connection:
close`), written byte for byte; the contract is that every one is answered, and
none with a 5xx, and that the server logs no error.

It runs in `make fuzz` (`COACH_FUZZ_FULL=1`): the app's own server (`coach-api serve
--migrate`, uvicorn's default HTTP parser, httptools) and uvicorn with h11, on a
scratch SQLite file, and on the test session's PostgreSQL database when
`COACH_TEST_POSTGRES_URL` is set, with the whole hostile catalogue. The issue this answers:
bodies with `linkedin_url` holding control characters or brackets in `POST
/clients/{id}/contacts` and `PATCH /contacts/{id}` were said to make the server
drop the connection without a response.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Database
from tests.factories.identity import PASSWORD, unique_email
from tests.fuzz.hostile import CATALOGUE, Hostile
from tests.fuzz.string_targets import json_escaped, json_raw_utf8

FULL = os.environ.get("COACH_FUZZ_FULL", "") not in ("", "0")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STARTUP_SECONDS = 60
ANSWER_SECONDS = 20
API = "/api/v1"

# uvicorn's HTTP implementations: the default one (httptools when installed), and h11.
SERVERS = ["httptools", "h11"]

# A server start (migrations included) alone takes seconds: `make fuzz` only.
pytestmark = pytest.mark.skipif(
    not FULL, reason="the live-server probe runs in `make fuzz` (COACH_FUZZ_FULL=1)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Answer:
    raw: bytes
    error: str | None = None  # what the socket said, when it said something other than EOF
    seconds: float = 0.0

    @property
    def status(self) -> int | None:
        first = self.raw.split(b"\r\n", 1)[0]
        parts = first.split(b" ")
        if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
            return int(parts[1])
        return None

    @property
    def body(self) -> bytes:
        head, _, body = self.raw.partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in head.lower():
            return _dechunk(body)
        return body

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        head = self.raw.partition(b"\r\n\r\n")[0].decode("latin-1")
        for line in head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


class _ResponseReader:
    """Reads HTTP/1.1 responses one at a time from a kept-alive socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise _Cut(f"no response within {ANSWER_SECONDS} s") from None
        except OSError as exc:
            raise _Cut(f"recv: {exc!r}") from None
        if not chunk:
            raise _Cut("connection closed")
        self.buffer += chunk
        return True

    def read_response(self) -> Answer:
        try:
            while b"\r\n\r\n" not in self.buffer:
                self._fill()
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            self.buffer = rest
            answer = Answer(head + b"\r\n\r\n")
            length = answer.header("content-length")
            if length is not None:
                while len(self.buffer) < int(length):
                    self._fill()
                body, self.buffer = self.buffer[: int(length)], self.buffer[int(length) :]
            elif "chunked" in (answer.header("transfer-encoding") or "").lower():
                while b"\r\n0\r\n\r\n" not in self.buffer and not self.buffer.startswith(
                    b"0\r\n\r\n"
                ):
                    self._fill()
                end = self.buffer.index(b"0\r\n\r\n") + 5
                body, self.buffer = self.buffer[:end], self.buffer[end:]
            else:
                body = b""
            return Answer(answer.raw + body)
        except _Cut as cut:
            return Answer(self.buffer, str(cut))


class _Cut(Exception):
    pass


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


@dataclass
class LiveServer:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    log_offset: int = 0

    def exchange(self, raw: bytes) -> Answer:
        """Send `raw` on a fresh connection and read until the server closes it."""
        started = time.perf_counter()
        received = b""
        error = None
        try:
            with socket.create_connection((HOST, self.port), timeout=ANSWER_SECONDS) as sock:
                try:
                    sock.sendall(raw)
                except OSError as exc:  # answered (and closed) before the body was all sent
                    error = f"send: {exc!r}"
                while True:
                    try:
                        chunk = sock.recv(65536)
                    except TimeoutError:
                        error = f"no end of response within {ANSWER_SECONDS} s"
                        break
                    except OSError as exc:
                        error = f"recv: {exc!r}"
                        break
                    if not chunk:
                        break
                    received += chunk
        except OSError as exc:
            error = f"connect: {exc!r}"
        return Answer(received, error, time.perf_counter() - started)

    def conversation(self, raws: list[bytes], *, pipelined: bool = False) -> list[Answer]:
        """Send each request on one kept-alive connection (all at once when `pipelined`),
        reading each response by its framing; a response the server never completed is
        an `Answer` with its error."""
        answers: list[Answer] = []
        with socket.create_connection((HOST, self.port), timeout=ANSWER_SECONDS) as sock:
            reader = _ResponseReader(sock)
            if pipelined:
                sock.sendall(b"".join(raws))
            for raw in raws:
                started = time.perf_counter()
                if not pipelined:
                    try:
                        sock.sendall(raw)
                    except OSError as exc:
                        answers.append(Answer(b"", f"send: {exc!r}"))
                        break
                answer = reader.read_response()
                answer.seconds = time.perf_counter() - started
                answers.append(answer)
                if answer.error is not None or (answer.header("connection") or "") == "close":
                    break
        return answers

    def request(
        self,
        method: str,
        target: str | bytes,
        *,
        headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
        body: bytes | None = None,
        token: str | None = None,
        content_type: bytes | None = b"application/json",
    ) -> tuple[bytes, Answer]:
        target_bytes = target.encode("latin-1") if isinstance(target, str) else target
        lines = [
            method.encode() + b" " + target_bytes + b" HTTP/1.1",
            f"Host: {HOST}:{self.port}".encode(),
            b"Connection: close",
        ]
        if token is not None:
            lines.append(b"Authorization: Bearer " + token.encode())
        if body is not None:
            if content_type is not None:
                lines.append(b"Content-Type: " + content_type)
            lines.append(b"Content-Length: " + str(len(body)).encode())
        lines += [name + b": " + value for name, value in headers]
        raw = b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")
        return raw, self.exchange(raw)

    def new_log(self) -> str:
        text = self.log.read_bytes()[self.log_offset :].decode("utf-8", "replace")
        self.log_offset += len(text.encode("utf-8", "replace"))
        return text


def _server_env(database_url: str, migrations_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COACH_")}
    env.update(
        {
            "COACH_ENV": "development",
            "COACH_DATABASE_URL": database_url,
            "COACH_MIGRATIONS_DATABASE_URL": migrations_url,
            "COACH_JWT_SECRET": "live-probe-only-secret-" + "x" * 40,
            "COACH_LOG_LEVEL": "WARNING",
            "COACH_RATE_LIMIT_PER_USER": "1000000",
            "COACH_RATE_LIMIT_PER_API_KEY": "1000000",
            "COACH_RATE_LIMIT_AUTH_PER_IP": "1000000",
        }
    )
    return env


def _start(name: str, env: dict[str, str], log: Path) -> LiveServer:
    port = _free_port()
    if name == "httptools":
        # What `make run` runs: migrations, then uvicorn with its default HTTP parser.
        command = [sys.executable, "-m", "app.cli", "serve", "--migrate"]
        command += ["--host", HOST, "--port", str(port)]
    else:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
        )
        command = [sys.executable, "-m", "uvicorn", "app.main:app", "--http", name]
        command += ["--host", HOST, "--port", str(port), "--no-access-log", "--proxy-headers"]
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=PROJECT_ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    server = LiveServer(name, port, process, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} server exited:\n{log.read_text(errors='replace')}")
        try:
            _, answer = server.request("GET", "/healthz")
            if answer.status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} server did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module", params=SERVERS)
def live_server(
    request: pytest.FixtureRequest, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    tmp_path = tmp_path_factory.mktemp(f"live-{request.param}")
    if database.backend == "sqlite":
        # A scratch file of its own, migrated by the server (`serve --migrate`).
        url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
        env = _server_env(url, url)
    else:
        # The session's database (already migrated), as its RLS-bound role.
        env = _server_env(database.app_url, database.owner_url)
    server = _start(request.param, env, tmp_path / "server.log")
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="module")
def organization(live_server: LiveServer) -> tuple[str, str, str]:
    """(token, client id, contact id): one organization for every probe of a server."""
    return _signed_up(live_server)


# --- the cases ----------------------------------------------------------------------


@dataclass
class Probe:
    server: LiveServer
    outcomes: list[tuple[str, bytes, Answer]] = field(default_factory=list)

    def send(self, case: str, method: str, target: str | bytes, **kwargs: Any) -> Answer:
        raw, answer = self.server.request(method, target, **kwargs)
        self.outcomes.append((case, raw, answer))
        return answer

    def send_raw(self, case: str, raw: bytes) -> Answer:
        answer = self.server.exchange(raw)
        self.outcomes.append((case, raw, answer))
        return answer

    def problems(self) -> list[str]:
        found = []
        for case, raw, answer in self.outcomes:
            status = answer.status
            if status is None:
                why = answer.error or "connection closed"
                found.append(
                    f"NO RESPONSE ({why}, {len(answer.raw)} bytes read, {answer.seconds:.2f} s)"
                    f": {case}\n    request: {_shown(raw)}"
                )
            elif status >= 500:
                found.append(
                    f"{status}: {case}\n    request: {_shown(raw)}\n"
                    f"    response: {_shown(answer.raw)}"
                )
        return found


def _shown(raw: bytes, limit: int = 600) -> str:
    text = repr(raw)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(raw)} bytes)"


def _signed_up(server: LiveServer) -> tuple[str, str, str]:
    """(token, client id, contact id) in a fresh organization, through the socket."""
    body = json.dumps(
        {
            "organization_name": "Live Probe",
            "full_name": "Olive Owner",
            "email": unique_email("live"),
            "password": PASSWORD,
        }
    ).encode()
    _, answer = server.request("POST", f"{API}/auth/signup", body=body)
    assert answer.status == 201, answer.raw
    token = answer.json()["access_token"]
    _, answer = server.request(
        "POST", f"{API}/clients", body=b'{"full_name": "Xavier Seeker"}', token=token
    )
    assert answer.status == 201, answer.raw
    client_id = answer.json()["id"]
    _, answer = server.request(
        "POST", f"{API}/clients/{client_id}/contacts", body=b'{"full_name": "Ada"}', token=token
    )
    assert answer.status == 201, answer.raw
    return token, client_id, answer.json()["id"]


def _values() -> list[Hostile]:
    return list(CATALOGUE)


def _linkedin_bodies(value: Hostile) -> list[tuple[str, bytes]]:
    encodings = [("json escape", json_escaped(value)), ("raw bytes", json_raw_utf8(value))]
    return [(name, b'"linkedin_url":"' + octets + b'"') for name, octets in encodings]


def test_linkedin_url_bodies_are_always_answered(
    live_server: LiveServer, organization: tuple[str, str, str]
) -> None:
    """The issue's report: control characters and brackets in `linkedin_url`."""
    token, client_id, contact_id = organization
    probe = Probe(live_server)
    for value in _values():
        if value.text is not None and len(value.text) > 100_000:
            continue  # over the body limit once raw: the 413 path, covered below
        for encoding, field_bytes in _linkedin_bodies(value):
            label = f"linkedin_url {value.describe()} [{encoding}]"
            probe.send(
                f"POST contacts, {label}",
                "POST",
                f"{API}/clients/{client_id}/contacts",
                body=b'{"full_name":"Probe",' + field_bytes + b"}",
                token=token,
            )
            probe.send(
                f"PATCH contact, {label}",
                "PATCH",
                f"{API}/contacts/{contact_id}",
                body=b"{" + field_bytes + b"}",
                token=token,
            )
            probe.send(
                f"POST companies website, {label}",
                "POST",
                f"{API}/clients/{client_id}/companies",
                body=b'{"name":"Probe",' + field_bytes.replace(b"linkedin_url", b"website") + b"}",
                token=token,
            )
    _judge(probe)


def test_linkedin_url_bodies_on_kept_alive_connections(
    live_server: LiveServer, organization: tuple[str, str, str]
) -> None:
    """The same bodies as a browser or a pooled client sends them: several requests on one
    connection, one after the other and pipelined; every request gets its response."""
    token, client_id, contact_id = organization
    failures: list[str] = []
    sent = 0
    for value in _values():
        if value.text is not None and len(value.text) > 100_000:
            continue
        raws = []
        for _, field_bytes in _linkedin_bodies(value):
            for method, target, body in [
                ("POST", f"{API}/clients/{client_id}/contacts", b'{"full_name":"Kept",'),
                ("PATCH", f"{API}/contacts/{contact_id}", b"{"),
            ]:
                payload = body + field_bytes + b"}"
                raws.append(
                    f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
        raws.append(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        for pipelined in (False, True):
            answers = live_server.conversation(raws, pipelined=pipelined)
            sent += len(raws)
            mode = "pipelined" if pipelined else "one after the other"
            for index, raw in enumerate(raws):
                answer = answers[index] if index < len(answers) else None
                announced = index > 0 and answers[index - 1].header("connection") == "close"
                if answer is None and announced:
                    break  # the server said it would close after the last answer: allowed
                if answer is None or answer.status is None:
                    why = "never answered" if answer is None else answer.error
                    failures.append(
                        f"NO RESPONSE ({why}) to request {index + 1}/{len(raws)} ({mode}), "
                        f"linkedin_url {value.describe()}\n    request: {_shown(raw)}"
                    )
                    break
                if answer.status >= 500:
                    failures.append(f"{answer.status} ({mode}): {_shown(raw)}")
    log = live_server.new_log()
    errors = [line for line in log.splitlines() if '"level": "error"' in line]
    _write_report(live_server.name, "kept alive", sent, {}, len(failures), len(errors))
    assert not failures, "\n".join([*failures[:40], *errors[:10]])
    assert not errors, "\n".join(errors[:10])


# Header values a real parser should refuse itself (400), or pass on to the app.
_HEADER_VALUES: tuple[tuple[str, bytes], ...] = (
    ("nul", b"a\x00b"),
    ("soh", b"a\x01b"),
    ("escape", b"\x1b[31m"),
    ("vertical tab", b"a\x0bb"),
    ("bare cr", b"a\rb"),
    ("del", b"a\x7fb"),
    ("c1 byte", b"a\x85b"),
    ("invalid utf-8", b"\xff\xfe"),
    ("utf-8 surrogate form", b"\xed\xa0\x80"),
    ("utf-8 text", "Ada Lovelace \u202e €".encode()),
    ("brackets", b"[::1]"),
    ("10k", b"k" * 10_000),
    ("100k", b"k" * 100_000),
)
_HEADERS = (
    b"X-Request-ID",
    b"Idempotency-Key",
    b"Authorization",
    b"If-Match",
    b"Content-Type",
    b"Accept",
    b"X-Forwarded-For",
)


def test_control_bytes_in_headers_are_always_answered(
    live_server: LiveServer, organization: tuple[str, str, str]
) -> None:
    token, client_id, contact_id = organization
    probe = Probe(live_server)
    values = _HEADER_VALUES
    for header in _HEADERS:
        for name, value in values:
            headers = [(header, value)]
            auth = None if header == b"Authorization" else token
            probe.send(
                f"POST contacts, {header.decode()}: {name}",
                "POST",
                f"{API}/clients/{client_id}/contacts",
                body=b'{"full_name":"Header Probe","linkedin_url":"linkedin.com/in/x"}',
                token=auth,
                headers=headers,
                content_type=None if header == b"Content-Type" else b"application/json",
            )
            probe.send(
                f"PATCH contact, {header.decode()}: {name}",
                "PATCH",
                f"{API}/contacts/{contact_id}",
                body=b'{"title":"Header Probe"}',
                token=auth,
                headers=headers,
                content_type=None if header == b"Content-Type" else b"application/json",
            )
    _judge(probe)


def test_odd_request_lines_and_bodies_are_always_answered(
    live_server: LiveServer, organization: tuple[str, str, str]
) -> None:
    token, client_id, _ = organization
    probe = Probe(live_server)
    contacts = f"{API}/clients/{client_id}/contacts"
    targets: list[tuple[str, bytes]] = [
        ("percent-encoded nul in path", f"{API}/contacts/%00".encode()),
        ("percent-encoded nul in query", f"{contacts}?q=%00".encode()),
        ("percent-encoded invalid utf-8", f"{contacts}?q=%FF%FE&tag=%ED%A0%80".encode()),
        ("raw nul in target", f"{API}/contacts/\x00".encode()),
        ("raw control in query", f"{contacts}?q=a\x01b".encode()),
        ("raw utf-8 in target", f"{contacts}?q=Ada€".encode()),
        ("raw invalid utf-8 in target", f"{API}/contacts/".encode() + b"\xff"),
        ("brackets in query", f"{contacts}?q=[]&tag=[x".encode()),
        ("absolute-form target", f"http://[::1{contacts}".encode()),
        ("10k path", f"{API}/contacts/".encode() + b"a" * 10_000),
        ("100k path", f"{API}/contacts/".encode() + b"a" * 100_000),
        ("100k query", f"{contacts}?q=".encode() + b"q" * 100_000),
        ("1m target", f"{contacts}?q=".encode() + b"q" * 1_000_000),
        ("many slashes", b"/" * 5_000),
        ("dot segments", f"{API}/../../etc/passwd".encode()),
    ]
    for name, target in targets:
        probe.send(f"GET {name}", "GET", target, token=token)
    # A long header line, and a great many headers.
    long_header = [(b"X-Long", b"l" * 1_000_000)]
    probe.send("GET one 1m header", "GET", contacts, token=token, headers=long_header)
    probe.send(
        "GET 2000 headers",
        "GET",
        contacts,
        token=token,
        headers=[(f"X-Many-{i}".encode(), b"v") for i in range(2_000)],
    )
    # Bodies that are not UTF-8, not JSON, or over the limit.
    bodies: list[tuple[str, bytes]] = [
        ("invalid utf-8 in json", b'{"full_name":"\xff\xfe"}'),
        ("utf-8 surrogate form in json", b'{"full_name":"\xed\xa0\x80"}'),
        ("overlong nul in json", b'{"full_name":"\xc0\x80"}'),
        ("raw nul in json", b'{"full_name":"a\x00b"}'),
        ("bom before json", b'\xef\xbb\xbf{"full_name":"Bom"}'),
        ("utf-16 json", '{"full_name":"Utf16"}'.encode("utf-16")),
        ("unterminated json", b'{"full_name":"'),
        ("deep nesting", b'{"full_name":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("1m linkedin_url", b'{"full_name":"Big","linkedin_url":"' + b"a" * 1_000_000 + b'"}'),
        ("over the body limit", b'{"full_name":"' + b"a" * 1_100_000 + b'"}'),
    ]
    for name, body in bodies:
        probe.send(f"POST contacts, {name}", "POST", contacts, token=token, body=body)
    # Chunked: hostile bytes in chunk extensions and in the chunks.
    chunked = b'{"full_name":"Chunked","linkedin_url":"http://[::1\x01"}'
    for name, framing in [
        ("chunked body", hex(len(chunked))[2:].encode() + b"\r\n" + chunked + b"\r\n0\r\n\r\n"),
        ("chunk extension with control", b'5;ext=\x01\r\n{"ful\r\n0\r\n\r\n'),
        ("bad chunk size", b"zz\r\nabc\r\n0\r\n\r\n"),
    ]:
        head = (
            f"POST {contacts} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        probe.send_raw(f"POST contacts, {name}", head.encode() + framing)
    _judge(probe)


def test_what_the_probes_stored_reads_back(
    live_server: LiveServer, organization: tuple[str, str, str]
) -> None:
    """Last: every list, report and export of the client whose contacts the probes above
    wrote, so what the app sends back carries the odd text it stored."""
    token, client_id, contact_id = organization
    probe = Probe(live_server)
    contacts = f"{API}/clients/{client_id}/contacts"
    targets = [contacts, f"{contacts}?limit=200", f"{API}/contacts/{contact_id}"]
    targets += [
        f"{API}/clients/{client_id}/{path}"
        for path in (
            "export",
            "export?format=zip",
            "activity-report?format=csv",
            "activity-report?format=html",
            "contact-tree",
            "contact-tree/yield",
            "companies",
            "traction",
            "traction/chart.svg",
            "next-actions",
            "pipeline",
        )
    ]
    targets += [f"{API}/clients", f"{API}/agenda", f"{API}/events", f"{API}/audit-log"]
    targets += [f"{API}/reports/caseload?format=csv", f"{API}/reports/organization?format=csv"]
    for target in targets:
        probe.send(f"GET {target}", "GET", target, token=token)
    _judge(probe)


def _judge(probe: Probe) -> None:
    log = probe.server.new_log()
    errors = [
        line
        for line in log.splitlines()
        if '"level": "error"' in line or "Exception in ASGI application" in line
    ]
    problems = probe.problems()
    statuses: dict[str, int] = {}
    for _, _, answer in probe.outcomes:
        key = str(answer.status) if answer.status is not None else "none"
        statuses[key] = statuses.get(key, 0) + 1
    summary = f"{probe.server.name}: {len(probe.outcomes)} requests, statuses {statuses}"
    _write_report(
        probe.server.name,
        "one request a connection",
        len(probe.outcomes),
        statuses,
        len(problems),
        len(errors),
    )
    assert not problems, "\n".join([summary, *problems[:40]])
    assert not errors, "\n".join([summary, "server log errors:", *(e[:3000] for e in errors[:10])])


def _write_report(
    server: str, mode: str, requests: int, statuses: dict[str, int], problems: int, errors: int
) -> None:
    report = os.environ.get("COACH_FUZZ_REPORT")
    if not report:
        return
    entry = {
        "module": "live server",
        "server": server,
        "mode": mode,
        "requests": requests,
        "statuses": statuses,
        "problems": problems,
        "logged_errors": errors,
    }
    with open(report, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")
