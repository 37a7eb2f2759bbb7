"""Contract fuzzing: every operation, as an owner, a coach and a client, keeps the contract.

Schemathesis generates requests from the app's live OpenAPI document (that the
committed `openapi/openapi.json` equals it is `tests/test_contract.py`'s job):
valid ones and deliberately invalid ones, with path ids naming real objects of
the caller's organization (see `world.py`). Every response must be no server
error, have a documented status and media type and match its documented schema,
and invalid input must be refused.

`make test` runs a short, deterministic pass: every operation once per database,
the callers taking turns. `make fuzz` runs every operation for every caller with
many more examples and schemathesis' coverage phase (boundary values, missing and
malformed parameters): `COACH_FUZZ_FULL=1`, `COACH_FUZZ_EXAMPLES=<n>`.
"""

import asyncio
import copy
import os
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from pydantic import SecretStr

# What `schema.parametrize()` builds for one operation, used directly: the schema (and
# the ids in it) exists only once the test database does, and schemathesis' fixture-based
# loader does not run on this pytest.
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Environment, Settings
from app.db.session import create_sessionmaker
from app.main import create_app
from app.webhooks import ssrf
from tests.fuzz.transport import BASE_URL, in_process_session
from tests.fuzz.world import Caller, World, build_world

FULL = os.environ.get("COACH_FUZZ_FULL", "") not in ("", "0")
EXAMPLES = int(os.environ.get("COACH_FUZZ_EXAMPLES", "2"))

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]

# (METHOD, path) of every operation in the app's document.
_DOCUMENT = create_app(
    Settings(
        env=Environment.test,
        jwt_secret=SecretStr("fuzz-collection-only-" + "x" * 40),
        log_level="WARNING",
    )
).openapi()
OPERATIONS = [
    (method.upper(), path)
    for path, item in _DOCUMENT["paths"].items()
    for method in item
    if method in {"get", "put", "post", "patch", "delete"}
]


def _callers(path: str) -> list[Caller]:
    # Random path ids only tell something where the path has ids.
    callers: list[Caller] = ["owner", "coach", "client"]
    return [*callers, "stranger ids"] if "{" in path else callers


def _runs() -> list[Any]:
    runs: dict[Caller, list[Any]] = {}
    for index, (method, path) in enumerate(OPERATIONS):
        callers = _callers(path)
        for caller in callers if FULL else [callers[index % len(callers)]]:
            run = pytest.param(caller, (method, path), id=f"{caller}-{method} {path}")
            runs.setdefault(caller, []).append(run)
    return [run for caller_runs in runs.values() for run in caller_runs]


@pytest.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


class Callers:
    """Each caller's organization and schemathesis schema, built on first use.

    Runs are plain parameters (not a parametrized fixture), so they keep their order
    and every caller's organization is built once per database."""

    def __init__(
        self, app: FastAPI, owner_engine: AsyncEngine, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._app, self._owner_engine, self._loop = app, owner_engine, loop
        self._schemas: dict[Caller, Any] = {}

    def schema(self, caller: Caller) -> Any:
        if caller not in self._schemas:
            world = self._loop.run_until_complete(self._build(caller))
            self._schemas[caller] = _schema(self._app, world)
        return self._schemas[caller]

    async def _build(self, caller: Caller) -> World:
        transport = httpx.ASGITransport(app=self._app)
        async with (
            httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http,
            create_sessionmaker(self._owner_engine)() as db,
        ):
            return await build_world(http, db, caller)


def _schema(app: FastAPI, world: World) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "base-url": BASE_URL,
            "generation": {
                "max-examples": EXAMPLES,
                # The same cases on every run: CI stays deterministic.
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {"coverage": {"enabled": FULL}, "stateful": {"enabled": False}},
            **world.schemathesis_config(),
        }
    )
    return schemathesis.openapi.from_dict(copy.deepcopy(app.openapi()), config=config)


@pytest.fixture(scope="module")
def callers(
    app: FastAPI, owner_engine: AsyncEngine, session_loop: asyncio.AbstractEventLoop
) -> Callers:
    return Callers(app, owner_engine, session_loop)


@pytest.fixture(scope="module")
def fuzz_http(app: FastAPI, session_loop: asyncio.AbstractEventLoop) -> Iterator[requests.Session]:
    session = in_process_session(app, session_loop)
    yield session
    session.close()


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook URLs are resolved at registration; fuzzed host names must not reach DNS.

    getaddrinfo still parses every host as it would (address literals resolve, odd
    input raises the same errors), it just never asks a name server."""
    real = socket.getaddrinfo

    def numeric_only(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", numeric_only)


@pytest.mark.parametrize(("caller", "operation"), _runs())
def test_operation_keeps_its_contract(
    caller: Caller, operation: tuple[str, str], callers: Callers, fuzz_http: requests.Session
) -> None:
    method, path = operation
    fuzz_schema = callers.schema(caller)

    def call_and_validate(case: schemathesis.Case) -> None:
        case.call_and_validate(session=fuzz_http)

    # Explicit examples, the coverage phase (when on), then generated cases.
    run = build_operation_test(
        config=fuzz_schema.config,
        operation=fuzz_schema[path][method],
        test_func=call_and_validate,
        given_kwargs={},
        feedback=FeedbackSources(),
    )
    run()


def test_every_operation_of_the_live_app_is_fuzzed(app: FastAPI) -> None:
    fuzzed = {operation for _, operation in (run.values for run in _runs())}
    live = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert fuzzed == live
