"""String fuzzing: hostile text in every string of every operation keeps the contract.

For every operation of the app's live OpenAPI document, every string place in it
(each body field, nested ones, array items and dict keys; each form field; each
column and the file name of a CSV upload; each query and path parameter; cursors,
as sent and shaped like `encode_cursor`'s; the Authorization, X-Request-ID, Accept,
X-Forwarded-For, Idempotency-Key, If-Match and Content-Type headers) gets the values
of `hostile.CATALOGUE` (controls, NUL, DEL, lone surrogates, brackets and URL syntax,
overlong and odd Unicode text, bytes that are not UTF-8) in an otherwise valid
request, as an owner, a coach and a client login (`world.py`). Then every read is
sent again over what the writes stored, and its next page followed.

The contract: no response is a server error, every 4xx is an RFC 9457 problem
(`application/problem+json` with its `type`, `title` and `status`), no exception
escapes the app and it always completes its response (`asgi.py` calls the app the way
uvicorn does and lets both surface), and nothing is logged at ERROR (the 500 the
database handler renders for an unknown driver error raises nothing). A 2xx taking
text the character rule (`app/core/text.py`) refuses is noted in the report.

`make test`: each operation once per database (an owner and a client login taking
turns), one place of each family (body, parameter, header) with a value of
`hostile.SHORT`. `make fuzz` (`COACH_FUZZ_FULL=1`): the whole catalogue where it can
mean something (free text; a UUID, date, number, enum or pattern gets the short list),
JSON both escaped and as raw UTF-8, cursors in every sort order; the owner everywhere,
the coach and the client in what the caller's rules read (bodies, forms, uploads),
less what the owner's run showed validation refuses; headers in full on one
operation of each class (`_header_class`). `COACH_FUZZ_REPORT=<file>` appends each
module run's counts to `<file>` as a JSON line, and the failures to `<file>.failures.txt`.
"""

import asyncio
import itertools
import json
import logging
import os
import socket
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Environment, Settings
from app.core.text import control_character_problem
from app.db.session import create_sessionmaker
from app.main import API_PREFIX, create_app
from app.webhooks import ssrf
from tests.factories.clients import create_client
from tests.factories.identity import Actor
from tests.fuzz import asgi
from tests.fuzz.asgi import AsgiResponse
from tests.fuzz.hostile import CATALOGUE, SHORT, Hostile
from tests.fuzz.string_targets import (
    CURSOR_CONFUSIONS,
    Context,
    Operation,
    Request,
    Target,
    applies,
    build_request,
    confusion_cursor,
    encodings,
    operations,
    requires_login,
    resolve,
    targets,
)
from tests.fuzz.transport import BASE_URL
from tests.fuzz.world import Caller, World, build_world

FULL = os.environ.get("COACH_FUZZ_FULL", "") not in ("", "0")
REPORT = os.environ.get("COACH_FUZZ_REPORT")
CALLERS: tuple[Caller, ...] = ("owner", "coach", "client")
# The short run: an owner and a client login taking turns (each world costs a few
# password hashes to build).
SHORT_CALLERS: tuple[Caller, ...] = ("owner", "client")
REQUEST_TIMEOUT_SECONDS = 120
# Access tokens last 15 minutes; a long run signs in again before they run out.
TOKEN_REFRESH_SECONDS = 10 * 60
PROBLEM = "application/problem+json"

DOCUMENT = create_app(
    Settings(
        env=Environment.test,
        jwt_secret=SecretStr("fuzz-collection-only-" + "x" * 40),
        log_level="WARNING",
    )
).openapi()
OPERATIONS = operations(DOCUMENT)


def _runs() -> list[Any]:
    runs: list[Any] = []
    for index, operation in enumerate(OPERATIONS):
        for caller in CALLERS if FULL else [SHORT_CALLERS[index % len(SHORT_CALLERS)]]:
            runs.append(
                pytest.param(caller, index, id=f"{caller}-{operation.method} {operation.path}")
            )
    return runs


# --- the caller's world -------------------------------------------------------------


@dataclass
class StringWorld:
    caller: Caller
    world: World
    signed_in_at: float = field(default_factory=time.monotonic)

    @property
    def actor(self) -> Actor:
        return self.world.actor

    def context(self, operation: Operation) -> Context:
        parameters = {
            **self.world.parameters,
            **self.world.operation_parameters.get(operation.operation_id, {}),
        }
        return Context(authorization=f"Bearer {self.actor.token}", parameters=parameters)


class Worlds:
    """Each caller's organization (tests/fuzz/world.py), built on first use."""

    def __init__(self, app: FastAPI, owner_engine: AsyncEngine) -> None:
        self._app, self._owner_engine = app, owner_engine
        self._worlds: dict[Caller, StringWorld] = {}

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self._app), base_url=BASE_URL)

    async def get(self, caller: Caller) -> StringWorld:
        if caller not in self._worlds:
            async with self.http() as http, create_sessionmaker(self._owner_engine)() as db:
                world = await build_world(http, db, caller)
                # A client of its own for the erasure (never confirmed, but never the one
                # every other operation reads either).
                owner = world.owner
                assert owner is not None
                erasable = (await create_client(http, owner, full_name="Eve Erasable"))["id"]
                coach_id = world.operation_parameters["clients_assign_coach"]["user_id"]
                response = await http.put(
                    f"{API_PREFIX}/clients/{erasable}/coaches/{coach_id}", headers=owner.headers
                )
                assert response.status_code == 200, response.text
                world.operation_parameters["clients_erase"] = {"client_id": erasable}
                # A real agenda item of the caller's (its id is `<kind>.<subject id>`), and
                # the owner's login for the sign-in form.
                agenda = await http.get(f"{API_PREFIX}/agenda?limit=1", headers=owner.headers)
                items = agenda.json().get("data", []) if agenda.status_code == 200 else []
                if items:
                    world.parameters["item_id"] = items[0]["id"]
                world.parameters["username"] = str(owner.email)
            self._worlds[caller] = StringWorld(caller, world)
        found = self._worlds[caller]
        if time.monotonic() - found.signed_in_at > TOKEN_REFRESH_SECONDS:
            await self._refresh(found)
        return found

    def built(self) -> list[StringWorld]:
        return list(self._worlds.values())

    async def _refresh(self, found: StringWorld) -> None:
        async with self.http() as http:
            response = await http.post(
                f"{API_PREFIX}/auth/refresh",
                json={"refresh_token": found.actor.refresh_token},
            )
        assert response.status_code == 200, response.text
        body = response.json()
        found.actor.token, found.actor.refresh_token = body["access_token"], body["refresh_token"]
        found.signed_in_at = time.monotonic()


# --- sending and judging ------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Every ERROR record logged while the fuzzer runs (the app's "unhandled error")."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Failure:
    what: str
    caller: str
    operation: str
    target: str
    value: str
    request: Request
    detail: str

    def describe(self, secrets: dict[str, str]) -> str:
        return (
            f"{self.what}: {self.caller} {self.operation} at {self.target} with {self.value}\n"
            f"{self.request.describe(secrets)}\n{self.detail}"
        )


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    seconds_by_operation: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)


TALLY = Tally()


_CLIENT_ADDRESSES = itertools.count()


def _next_client_address() -> tuple[str, int]:
    """A new peer address for every request (198.18.0.0/15, the benchmarking range): the
    fuzzer's failed sign-ins never reach the per-address limit, nor spend the budget of
    127.0.0.1, from which the worlds and the other tests sign in."""
    n = next(_CLIENT_ADDRESSES) % (2**17)
    return (f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}", 50000)


class Fuzzer:
    def __init__(self, app: FastAPI, errors: ErrorLog) -> None:
        self.app, self.errors = app, errors
        self.failures: list[Failure] = []

    async def send(
        self,
        request: Request,
        *,
        caller: str,
        operation: str,
        target: str,
        value: str,
        refused: Hostile | None = None,
    ) -> AsgiResponse | None:
        """Send `request`, judge the answer; `refused`: the value in a JSON or form body
        field or a query, noted when a 2xx accepts text the character rule refuses."""

        def fail(what: str, detail: str) -> None:
            TALLY.failures[what] += 1
            self.failures.append(Failure(what, caller, operation, target, value, request, detail))

        logged = len(self.errors.records)
        started = time.perf_counter()
        TALLY.requests += 1
        try:
            response = await asyncio.wait_for(
                asgi.call(
                    self.app,
                    request.method,
                    request.target,
                    request.headers,
                    request.body,
                    client=_next_client_address(),
                ),
                REQUEST_TIMEOUT_SECONDS,
            )
        except TimeoutError:
            fail("no answer", f"no response within {REQUEST_TIMEOUT_SECONDS} s")
            return None
        except asgi.NoResponse as exc:
            fail("no response", str(exc))
            return None
        except Exception:
            fail("exception escaped the app", traceback.format_exc(limit=-12))
            return None
        finally:
            took = time.perf_counter() - started
            TALLY.seconds += took
            TALLY.seconds_by_operation[operation] += took
            for record in self.errors.records[logged:]:
                formatted = record.getMessage()
                if record.exc_info:
                    formatted += "\n" + "".join(traceback.format_exception(*record.exc_info))
                fail("error logged", f"{record.name}: {formatted}")
        TALLY.statuses[response.status_code] += 1
        if response.status_code >= 500:
            fail(f"server error {response.status_code}", response.text[:2000])
        elif response.status_code >= 400:
            problem = _problem_issue(response)
            if problem is not None:
                fail("not a problem", problem)
        elif (
            response.status_code < 300
            and refused is not None
            and refused.text is not None
            and control_character_problem(refused.text) is not None
            # In a query, a surrogate's octets are not UTF-8: they arrive as U+FFFD.
            and not (target.startswith("query") and _has_surrogate(refused.text))
        ):
            # Not a failure of this contract, but of the text rule: noted in the report.
            TALLY.accepted[f"{operation} {target} {refused.name}"] += 1
        return response


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _problem_issue(response: AsgiResponse) -> str | None:
    """Why a 4xx is not an RFC 9457 problem, or None."""
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if media != PROBLEM:
        return f"{response.status_code} with Content-Type {media!r}: {response.text[:300]!r}"
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} problem that is not JSON: {response.text[:300]!r}"
    if not isinstance(body, dict):
        return f"{response.status_code} problem that is not an object: {body!r}"[:400]
    if body.get("status") != response.status_code:
        return f"{response.status_code} problem with status {body.get('status')!r}"
    if not isinstance(body.get("type"), str) or not isinstance(body.get("title"), str):
        return f"{response.status_code} problem without type/title: {body!r}"[:400]
    return None


def _header_class(operation: Operation) -> tuple[Any, ...]:
    """Operations whose headers the app reads the same way: the middleware and the
    authentication dependency do not look at the route beyond these."""
    return (
        operation.method,
        operation.body_media,
        "{" in operation.path,
        requires_login(DOCUMENT, operation),
    )


# Operations that hash a password on every request that passes validation (argon2):
# never the one of their class that gets every header the whole catalogue.
_HASHING = frozenset({"auth_signup", "auth_token", "invitations_accept"})
# The first other operation of each class gets every header the whole catalogue.
_HEADER_REPRESENTATIVES = {
    _header_class(operation): index
    for index, operation in reversed(list(enumerate(OPERATIONS)))
    if operation.operation_id not in _HASHING
}
# Read and checked by the caller's own rules (roles, coach-only fields): whole catalogue
# for every caller. The rest (query, path, dict keys, cursors, headers) is parsed before
# the caller matters: whole catalogue for the owner, the short list for the others.
_CALLER_SENSITIVE = frozenset({"body", "form", "csv", "filename"})
# Where the character rule of app/core/text.py applies and a 2xx means the text was taken.
_TEXT_RULED = frozenset({"body", "form", "query"})


@dataclass(frozen=True, slots=True)
class Step:
    target: Target
    values: list[Hostile]
    # Every encoding (JSON as raw UTF-8 too, the four cursor shapes), else the first.
    every_encoding: bool
    confusions: list[int]  # CURSOR_CONFUSIONS to send


# The short run's families of places: one of each per operation.
_FAMILIES = (
    frozenset({"body", "body-key", "form", "csv", "filename"}),
    frozenset({"query", "cursor", "path"}),
    frozenset({"header"}),
)
# (operation index, target, value name) the owner's request got a 400 or 422 for, and the
# operations the owner's run is complete for.
_OWNER_REFUSED: set[tuple[int, Target, str]] = set()
_OWNER_RAN: set[int] = set()


def _plan(caller: Caller, operation_index: int, operation: Operation) -> list[Step]:
    """What one run sends: `make fuzz` the whole catalogue (headers in full on one
    operation of each `_header_class`, the short list on the others; the owner every
    place, the other callers the whole catalogue where the caller matters); `make test`
    every string place once with a value of the short list, and one header."""
    found = targets(DOCUMENT, operation)
    steps: list[Step] = []
    if not FULL:
        # One place of each family, taking turns across operations and runs.
        for family in _FAMILIES:
            members = [target for target in found if target.kind in family]
            if not members:
                continue
            target = members[operation_index % len(members)]
            applicable = [value for value in SHORT if applies(target, value)]
            value = applicable[(operation_index + len(members)) % len(applicable)]
            confusions = (
                [operation_index % len(CURSOR_CONFUSIONS)] if target.kind == "cursor" else []
            )
            steps.append(Step(target, [value], False, confusions))
        return steps
    representative = _HEADER_REPRESENTATIVES.get(_header_class(operation)) == operation_index
    # Without authentication, who the caller is does not matter: the owner's run covers it.
    authenticated = requires_login(DOCUMENT, operation)
    headers = [target for target in found if target.kind == "header"]
    for target in found:
        if target.kind == "header":
            if caller != "owner" and target != headers[operation_index % len(headers)]:
                continue  # the others: one header an operation, taking turns
            # A hashing operation's own media type is its class's only one (the form):
            # an odd Content-Type is refused before any password is hashed.
            content_type = target.name == "Content-Type" and operation.operation_id in _HASHING
            whole = (representative or content_type) and caller == "owner"
        elif target.kind == "body-key" and target.name == "<unknown field>":
            whole = False  # refused by name (`extra="forbid"`) whatever the name holds
        else:
            whole = caller == "owner" or (target.kind in _CALLER_SENSITIVE and authenticated)
        # A UUID, date, number, enum or pattern refuses every value of the catalogue the
        # same way: the short list says all there is to say there.
        pool = CATALOGUE if whole and target.free_text else SHORT
        values = [value for value in pool if applies(target, value)]
        if caller != "owner" and whole and operation_index in _OWNER_RAN:
            # What the owner's request had refused as invalid is invalid for anyone
            # (validation comes before the caller's rules): the rest, and the short list.
            values = [
                value
                for value in values
                if value.short or (operation_index, target, value.name) not in _OWNER_REFUSED
            ]
        confusions = list(range(len(CURSOR_CONFUSIONS))) if target.kind == "cursor" else []
        # How JSON is decoded does not depend on the caller: the raw encodings once.
        steps.append(Step(target, values, whole and caller == "owner", confusions))
    return steps


def _report(failures: list[Failure], secrets: dict[str, str], limit: int = 25) -> str:
    kinds = Counter(failure.what for failure in failures)
    places = Counter((f.operation, f.target) for f in failures)
    lines = [
        f"{len(failures)} failures: {dict(kinds)}",
        "by place: "
        + "; ".join(f"{op} {target} x{count}" for (op, target), count in places.most_common(20)),
        "",
    ]
    seen: set[tuple[str, str, str]] = set()
    shown = 0
    for failure in failures:
        key = (failure.what, failure.operation, failure.target)
        if key in seen:
            continue
        seen.add(key)
        lines.append(failure.describe(secrets))
        lines.append("")
        shown += 1
        if shown >= limit:
            break
    return "\n".join(lines)


def _assert_no_failures(fuzzer: Fuzzer, found: StringWorld) -> None:
    if not fuzzer.failures:
        return
    report = _report(fuzzer.failures, {found.actor.token: f"<{found.caller} token>"})
    if REPORT:
        with open(REPORT + ".failures.txt", "a", encoding="utf-8") as file:
            file.write(report + "\n" + "=" * 80 + "\n")
    raise AssertionError(report)


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="module")
async def worlds(app: FastAPI, owner_engine: AsyncEngine) -> Worlds:
    return Worlds(app, owner_engine)


@pytest.fixture(scope="module")
def error_log(backend_name: str) -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    started = time.perf_counter()
    yield handler
    root.removeHandler(handler)
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as report:
            entry = {
                "module": "string fuzz",
                "backend": backend_name,
                "full": FULL,
                "requests": TALLY.requests,
                "server_errors": sum(n for s, n in TALLY.statuses.items() if s >= 500),
                "failures": dict(TALLY.failures),
                "statuses": {str(k): v for k, v in sorted(TALLY.statuses.items())},
                "seconds_in_requests": round(TALLY.seconds, 1),
                "seconds": round(time.perf_counter() - started, 1),
                "accepted_refused_text": dict(TALLY.accepted.most_common(40)),
                "slowest_operations": {
                    op: round(seconds, 1)
                    for op, seconds in TALLY.seconds_by_operation.most_common(12)
                },
            }
            report.write(json.dumps(entry) + "\n")
    TALLY.__init__()  # type: ignore[misc]


@pytest.fixture(scope="module")
def backend_name(database: Any) -> str:
    return str(database.backend)


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook URLs are resolved at registration; fuzzed host names must not reach DNS
    (as in test_contract_fuzz.py: address literals still resolve, names never do)."""
    real = socket.getaddrinfo

    def numeric_only(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", numeric_only)


# --- the tests ----------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "operation_index"), _runs())
async def test_hostile_strings_keep_the_contract(
    caller: Caller,
    operation_index: int,
    worlds: Worlds,
    app: FastAPI,
    error_log: ErrorLog,
) -> None:
    operation = OPERATIONS[operation_index]
    found = await worlds.get(caller)
    ctx = found.context(operation)
    fuzzer = Fuzzer(app, error_log)
    label = f"{operation.method} {operation.path}"

    # The valid request first: what every hostile one differs from by one value.
    await fuzzer.send(
        build_request(DOCUMENT, operation, ctx),
        caller=caller,
        operation=label,
        target="(none)",
        value="(baseline)",
    )
    keeper = Keeper(fuzzer, found, label)
    for step in _plan(caller, operation_index, operation):
        target = step.target
        for value in step.values:
            sent = encodings(target, value, full=True)
            for encoding, octets in sent if step.every_encoding else sent[:1]:
                response = await fuzzer.send(
                    build_request(DOCUMENT, operation, ctx, target, octets),
                    caller=caller,
                    operation=label,
                    target=target.label(),
                    value=f"{value.describe()} [{encoding}]",
                    refused=value if target.kind in _TEXT_RULED else None,
                )
                refused = response is not None and response.status_code in (400, 422)
                if caller == "owner" and refused and encoding == sent[0][0]:
                    _OWNER_REFUSED.add((operation_index, target, value.name))
                await keeper.created(response, value)
        # A cursor's values are compared with the sort key's columns: every order.
        sorts = _sort_orders(operation) if FULL else [None]
        for index in step.confusions:
            for sort in sorts:
                query = {} if sort is None else {"sort": sort}
                cursor = confusion_cursor(index)
                await fuzzer.send(
                    build_request(DOCUMENT, operation, ctx, target, cursor, query=query),
                    caller=caller,
                    operation=label,
                    target=f"{target.label()} {query or ''}",
                    value=f"cursor {CURSOR_CONFUSIONS[index]!r}"[:200],
                )
    if caller == "owner":
        _OWNER_RAN.add(operation_index)
    _assert_no_failures(fuzzer, found)


class Keeper:
    """Keeps one object created with each hostile value, deletes the others (as the owner,
    through their `Location`): the lists and reports read later stay a realistic size, and
    still hold every kind of odd text that was accepted."""

    def __init__(self, fuzzer: Fuzzer, found: StringWorld, label: str) -> None:
        self.fuzzer, self.found, self.label = fuzzer, found, label
        self.kept: set[str] = set()

    async def created(self, response: AsgiResponse | None, value: Hostile) -> None:
        if response is None or response.status_code != 201:
            return
        location = response.headers.get("location")
        if not location or not location.startswith(API_PREFIX):
            return
        if value.name not in self.kept:
            self.kept.add(value.name)
            return
        owner = self.found.world.owner
        assert owner is not None
        await self.fuzzer.send(
            Request("DELETE", location, [(b"authorization", f"Bearer {owner.token}".encode())]),
            caller="owner",
            operation=f"DELETE {location.rsplit('/', 1)[0]}/{{id}}",
            target=f"clean-up after {self.label}",
            value=value.describe(),
        )


def _sort_orders(operation: Operation) -> list[str | None]:
    """The default order and every value of the operation's `sort` parameter."""
    orders: list[str | None] = [None]
    for parameter in operation.parameters:
        if parameter["in"] == "query" and parameter["name"] == "sort":
            schema = resolve(DOCUMENT, parameter["schema"])
            for option in schema.get("anyOf", [schema]):
                orders += resolve(DOCUMENT, option).get("enum", [])
    return orders


def _reads() -> list[Operation]:
    return [op for op in OPERATIONS if op.method == "GET"]


@pytest.mark.parametrize("caller", CALLERS if FULL else SHORT_CALLERS[:1])
async def test_what_was_stored_reads_back(
    caller: Caller, worlds: Worlds, app: FastAPI, error_log: ErrorLog
) -> None:
    """Every read (each enum query value in turn, and CSV, HTML and other Accept
    values) over the hostile text the writes above stored."""
    found = await worlds.get(caller)
    fuzzer = Fuzzer(app, error_log)
    accepts = ["*/*", "application/json", "text/csv", "text/html", "image/svg+xml"]
    for operation in _reads():
        ctx = found.context(operation)
        label = f"{operation.method} {operation.path}"
        variants: list[dict[str, str]] = [{}]
        for parameter in operation.parameters if FULL else []:
            if parameter["in"] != "query":
                continue
            schema = resolve(DOCUMENT, parameter["schema"])
            for option in schema.get("anyOf", [schema]):
                for choice in resolve(DOCUMENT, option).get("enum", []):
                    variants.append({parameter["name"]: str(choice)})
            if parameter["name"] == "limit":
                variants.append({"limit": "200"})
        for query in variants:
            # Every Accept for the plain read (it picks the format where `format` is not
            # given); the query variants once.
            for accept in accepts if query == {} else ["*/*"]:
                request = build_request(DOCUMENT, operation, ctx, query=query)
                request.headers.append((b"accept", accept.encode()))
                response = await fuzzer.send(
                    request,
                    caller=caller,
                    operation=label,
                    target="read back",
                    value=f"{query} Accept: {accept}",
                )
                await _follow_cursor(fuzzer, response, request, caller, label)
    _assert_no_failures(fuzzer, found)


async def _follow_cursor(
    fuzzer: Fuzzer, response: AsgiResponse | None, request: Request, caller: str, label: str
) -> None:
    """The next page too: its cursor was written from the hostile rows."""
    if response is None or response.status_code != 200:
        return
    if not response.headers.get("content-type", "").startswith("application/json"):
        return
    body = response.json()
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    if not isinstance(cursor, str):
        return
    separator = "&" if "?" in request.target else "?"
    following = Request(
        request.method, f"{request.target}{separator}cursor={cursor}", request.headers, b""
    )
    await fuzzer.send(
        following, caller=caller, operation=label, target="next page", value=cursor[:60]
    )


def test_every_operation_of_the_live_app_is_string_fuzzed(app: FastAPI) -> None:
    fuzzed = {
        (OPERATIONS[index].method, OPERATIONS[index].path)
        for _, index in (run.values for run in _runs())
    }
    live = {(op.method, op.path) for op in operations(app.openapi())}
    assert fuzzed == live
