"""Two API processes and two workers on one PostgreSQL database under a steady mixed load.

Creates its own database (migrated as the owner; the API connects as a role Row-Level
Security applies to), starts two `coach-api serve` processes (one uvicorn worker each,
rate limits shared through Redis under a key prefix of their own, raised for the load),
two `coach-api worker` processes and a webhook receiver on loopback subscribed to every
event. A separate client process (asyncio + httpx, a fixed number of concurrent
requests, round robin over the two API processes) then runs for `--duration` seconds:
reads (contacts, contact tree, pipeline board, traction, caseload and organization
reports) and writes (contacts in referral chains, interactions, outreach sent and
answered, interviews moved through their stages, referrals from held interviews).

Then it checks that no response was a 5xx (nor any other non-2xx), that every object
created reads back by id with the fields it was created with, and that every event
recorded during the run reached the receiver, and prints throughput, latency
percentiles per operation and the delivery figures. Exits 1 if a check fails. The
processes, the database, its role and the Redis keys are removed at the end, also on
failure or Ctrl-C.

    python -m benchmarks.load_test --duration 120 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import math
import os
import random
import secrets
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.logging import configure_logging
from app.db.session import create_engine, create_sessionmaker
from app.db.tenancy import bind_organization
from app.main import API_PREFIX
from app.models import WebhookEndpoint
from app.webhooks.signing import new_webhook_secret
from benchmarks.common import (
    COMPANIES,
    DEFAULT_POSTGRES_URL,
    FIRST_NAMES,
    LAST_NAMES,
    LOOPBACK_HOSTS,
    PROJECT_ROOT,
    TITLES,
    WorkerConfig,
    api_command,
    api_environment,
    check_bounds,
    check_loopback,
    cpu_seconds,
    create_migrated_database,
    database_urls,
    drop_database_and_role,
    dump_log_tail,
    free_port,
    load_average,
    loopback_server,
    start_worker,
    stop_worker,
)
from benchmarks.loadgen import percentile
from benchmarks.webhook_crash import Receiver, run_receiver, webhook_settings

API_PROCESSES = 2
WORKERS = 2
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "load-test-password-2026"  # noqa: S105 - logins of a throwaway database
UNLIMITED = 1_000_000_000
CLIENT_START_SECONDS = 60.0  # the load client's imports and connections, beyond --duration
POLL_SECONDS = 0.5
PROBLEM_SAMPLES = 3  # response bodies kept per (operation, status) for the report

# The operations timed, in the order of the report.
READS = (
    "list contacts",
    "contact tree",
    "pipeline board",
    "traction",
    "caseload report",
    "organization report",
)
WRITES = (
    "create contact",
    "log interaction",
    "create outreach",
    "outreach: mark sent",
    "outreach: mark answered",
    "create interview",
    "interview: transition",
    "interview: add referrals",
)
# What one step of the load does, chosen with these weights (closed loop: each of the
# concurrent tasks starts its next step when the previous one is answered). Advancing
# picks an outreach or interview created earlier and moves it one step on.
STEP_WEIGHTS = {
    "list contacts": 14,
    "contact tree": 8,
    "pipeline board": 8,
    "traction": 5,
    "caseload report": 3,
    "organization report": 1,
    "create contact": 10,
    "log interaction": 12,
    "create outreach": 6,
    "advance outreach": 10,
    "create interview": 6,
    "advance interview": 17,
}
INTERACTION_KINDS = ("email", "call", "linkedin_message", "note", "intro_request")
RELATIONSHIPS = ("work", "social", "family", "alumni", "professional_association", "other")

CREATES = ("/contacts", "/interactions", "/outreach", "/interviews")  # POSTs that take keys
Record = dict[str, Any]  # a created object: kind, id, GET path, expected fields


# --- the load client (its own process) ---------------------------------------------------


@dataclass
class Tally:
    """What the load client saw: every response's status and latency, per operation."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    per_api: Counter[str] = field(default_factory=Counter)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def record(self, op: str, status: str, ms: float, body: str | None) -> None:
        self.latencies_ms[op].append(ms)
        self.statuses[op][status] += 1
        if body is not None and self.statuses[op][status] <= PROBLEM_SAMPLES:
            self.problems.append({"op": op, "status": status, "body": body[:500]})


@dataclass
class ClientState:
    """One job seeker, as the load client knows it: its coach's token and what exists."""

    id: str
    headers: dict[str, str]
    contacts: list[str]
    companies: list[str]


class LoadClient:
    def __init__(self, spec: dict[str, Any], https: list[httpx.AsyncClient]) -> None:
        self.rng = random.Random(spec["seed"])
        self.https = https
        self.turn = itertools.count()
        self.owner = bearer(spec["owner_token"])
        self.clients = [
            ClientState(c["id"], bearer(c["token"]), c["contacts"], c["companies"])
            for c in spec["clients"]
        ]
        self.tally = Tally()
        self.created: list[Record] = []
        # Outreach and interviews waiting for their next step; taken off the list while
        # a task works on one, so no two tasks move the same object.
        self.outreach: list[Record] = []
        self.interviews: list[Record] = []

    async def call(
        self, op: str, method: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> httpx.Response | None:
        """One request to the next API process in turn; the response if it was a 2xx."""
        http = self.https[next(self.turn) % len(self.https)]
        self.tally.per_api[str(http.base_url)] += 1
        if method == "POST" and path.endswith(CREATES):
            # As a careful SPA sends them: a retried create returns the first result.
            headers = headers | {"Idempotency-Key": uuid.uuid4().hex}
        sent = time.perf_counter()
        try:
            response = await http.request(method, f"{API_PREFIX}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            ms = (time.perf_counter() - sent) * 1000
            self.tally.record(op, f"transport error ({type(exc).__name__})", ms, repr(exc))
            return None
        ms = (time.perf_counter() - sent) * 1000
        ok = 200 <= response.status_code < 300
        self.tally.record(op, str(response.status_code), ms, None if ok else response.text)
        return response if ok else None

    def client(self) -> ClientState:
        return self.rng.choice(self.clients)

    # -- reads

    async def read(self, op: str) -> None:
        c = self.client()
        paths = {
            "list contacts": f"/clients/{c.id}/contacts?limit=50",
            "contact tree": f"/clients/{c.id}/contact-tree",
            "pipeline board": f"/clients/{c.id}/pipeline",
            "traction": f"/clients/{c.id}/traction",
            "caseload report": "/reports/caseload",
        }
        if op == "organization report":
            await self.call(op, "GET", "/reports/organization", self.owner)
        else:
            await self.call(op, "GET", paths[op], c.headers)

    # -- writes

    def person(self) -> dict[str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return {
            "full_name": f"{first} {last}",
            "email": f"{first}.{last}.{uuid.uuid4().hex[:12]}@example.com".lower(),
        }

    async def create_contact(self) -> None:
        c = self.client()
        # Most new people were introduced by someone already in the network.
        parent = self.rng.choice(c.contacts) if self.rng.random() < 0.7 else None
        body = self.person() | {
            "company_name": self.rng.choice(COMPANIES),
            "title": self.rng.choice(TITLES),
            "relationship": self.rng.choice(RELATIONSHIPS),
            "referred_by_id": parent,
        }
        response = await self.call(
            "create contact", "POST", f"/clients/{c.id}/contacts", c.headers, json=body
        )
        if response is not None:
            contact_id = response.json()["id"]
            c.contacts.append(contact_id)
            expect = {k: body[k] for k in ("full_name", "email", "relationship", "referred_by_id")}
            self.created.append(contact_record(contact_id, expect | {"client_id": c.id}))

    async def log_interaction(self) -> None:
        c = self.client()
        contact_id = self.rng.choice(c.contacts)
        body = {
            "kind": self.rng.choice(INTERACTION_KINDS),
            "direction": self.rng.choice(("outbound", "inbound")),
            "summary": f"load test touch {uuid.uuid4().hex[:8]}",
        }
        path = f"/contacts/{contact_id}/interactions"
        response = await self.call("log interaction", "POST", path, c.headers, json=body)
        if response is not None:
            expect = body | {"contact_id": contact_id, "client_id": c.id}
            self.created.append(
                {"kind": "interaction", "id": response.json()["id"], "path": None, "expect": expect}
            )

    async def create_outreach(self) -> None:
        c = self.client()
        body = {
            "contact_id": self.rng.choice(c.contacts),
            "company_id": self.rng.choice(c.companies),
            "channel": self.rng.choice(("email", "linkedin", "phone")),
            "purpose": "informational_interview",
            "subject": f"20 minutes of your time? {uuid.uuid4().hex[:6]}",
            "message": "I am exploring platform teams and would value your advice.",
            "questions": ["What does a good first year look like on your team?"],
        }
        response = await self.call(
            "create outreach", "POST", f"/clients/{c.id}/outreach", c.headers, json=body
        )
        if response is not None:
            outreach_id = response.json()["id"]
            expect = {k: body[k] for k in ("contact_id", "company_id", "channel", "subject")}
            record = {
                "kind": "outreach",
                "id": outreach_id,
                "path": f"/outreach/{outreach_id}",
                "expect": expect | {"client_id": c.id, "status": "draft"},
                "etag": response.headers.get("etag"),
                "headers": c.headers,
            }
            self.created.append(record)
            self.outreach.append(record)

    async def advance_outreach(self) -> None:
        if not self.outreach:
            await self.create_outreach()
            return
        record = self.outreach.pop(self.rng.randrange(len(self.outreach)))
        if record["expect"]["status"] == "draft":
            op, status = "outreach: mark sent", "sent"
        else:
            op, status = "outreach: mark answered", self.rng.choice(("responded", "declined"))
        response = await self.call(
            op, "PATCH", record["path"], if_match(record), json={"status": status}
        )
        if response is None:
            return  # counted; the object keeps its last known state
        record["expect"]["status"] = status
        record["etag"] = response.headers.get("etag")
        if status == "sent":
            self.outreach.append(record)

    async def create_interview(self) -> None:
        c = self.client()
        job = self.rng.random() < 0.25
        body: dict[str, Any] = {
            "kind": "job" if job else "informational",
            "contact_id": self.rng.choice(c.contacts),
            "company_id": self.rng.choice(c.companies),
            "agenda": "Their team, their path, who else to talk to.",
        }
        path = f"/clients/{c.id}/interviews"
        response = await self.call("create interview", "POST", path, c.headers, json=body)
        if response is not None:
            interview = response.json()
            expect = {k: body[k] for k in ("kind", "contact_id", "company_id")}
            record = {
                "kind": "interview",
                "id": interview["id"],
                "path": f"/interviews/{interview['id']}",
                "expect": expect | {"client_id": c.id, "stage": interview["stage"]},
                "etag": response.headers.get("etag"),
                "headers": c.headers,
                "client": c.id,
                "referred": False,
            }
            self.created.append(record)
            self.interviews.append(record)

    def next_stage(self, record: Record) -> str | None:
        """The interview's next move, or None for asking for referrals (once, when held)."""
        stage, informational = (
            record["expect"]["stage"],
            record["expect"]["kind"] == "informational",
        )
        roll = self.rng.random()
        if stage == "requested":
            return "scheduled" if roll < 0.9 else "cancelled"
        if stage == "scheduled":
            return "held" if roll < 0.9 or not informational else "no_show"
        if stage == "held" and informational:
            return "followed_up" if record["referred"] else None
        return self.rng.choice(("offer", "rejected", "withdrawn"))  # a held job interview

    async def advance_interview(self) -> None:
        if not self.interviews:
            await self.create_interview()
            return
        record = self.interviews.pop(self.rng.randrange(len(self.interviews)))
        to_stage = self.next_stage(record)
        if to_stage is None:
            await self.add_referrals(record)
            self.interviews.append(record)
            return
        response = await self.call(
            "interview: transition",
            "POST",
            f"{record['path']}/transitions",
            if_match(record),
            json={"to_stage": to_stage},
        )
        if response is None:
            return
        body = response.json()
        record["expect"]["stage"] = to_stage
        record["etag"] = response.headers.get("etag")
        if body["allowed_next_stages"]:
            self.interviews.append(record)

    async def add_referrals(self, record: Record) -> None:
        """People the interviewee suggested: new contacts under them in the tree."""
        people = [self.person() for _ in range(self.rng.randint(1, 2))]
        response = await self.call(
            "interview: add referrals",
            "POST",
            f"{record['path']}/referrals",
            record["headers"],
            json={"contacts": people},
        )
        record["referred"] = True  # asked once, whatever the answer
        if response is None:
            return
        answer = response.json()
        client = next(c for c in self.clients if c.id == record["client"])
        for person, outcome in zip(people, answer["referrals"], strict=True):
            client.contacts.append(outcome["contact_id"])
            expect = person | {
                "client_id": record["client"],
                "referred_by_id": answer["referred_by_id"],
                "referred_in_interview_id": record["id"],
            }
            self.created.append(contact_record(outcome["contact_id"], expect))

    def steps(self) -> dict[str, Callable[[], Awaitable[None]]]:
        steps: dict[str, Callable[[], Awaitable[None]]] = {
            op: functools.partial(self.read, op) for op in READS
        }
        return steps | {
            "create contact": self.create_contact,
            "log interaction": self.log_interaction,
            "create outreach": self.create_outreach,
            "advance outreach": self.advance_outreach,
            "create interview": self.create_interview,
            "advance interview": self.advance_interview,
        }

    async def run(self, duration: float, concurrency: int) -> float:
        steps = self.steps()
        names, weights = list(STEP_WEIGHTS), list(STEP_WEIGHTS.values())
        started = time.perf_counter()
        deadline = started + duration

        async def task() -> None:
            while time.perf_counter() < deadline:
                await steps[self.rng.choices(names, weights)[0]]()

        await asyncio.gather(*(task() for _ in range(concurrency)))
        return time.perf_counter() - started


def contact_record(contact_id: str, expect: dict[str, Any]) -> Record:
    return {
        "kind": "contact",
        "id": contact_id,
        "path": f"/contacts/{contact_id}",
        "expect": expect,
    }


def if_match(record: Record) -> dict[str, str]:
    headers: dict[str, str] = record["headers"]
    return headers | {"If-Match": record["etag"]} if record.get("etag") else headers


async def client_process(spec: dict[str, Any]) -> dict[str, Any]:
    """The load client's side: run the mix; what it saw, for the orchestrator."""
    concurrency: int = spec["concurrency"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with contextlib.AsyncExitStack() as stack:
        https = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=url, limits=limits, timeout=spec["request_timeout"], trust_env=False
                )
            )
            for url in spec["base_urls"]
        ]
        load = LoadClient(spec, https)
        cpu = time.process_time()
        elapsed = await load.run(spec["duration"], concurrency)
        cpu = time.process_time() - cpu
    for record in load.created:
        for private in ("etag", "headers", "client", "referred"):
            record.pop(private, None)
    return {
        "elapsed": elapsed,
        "cpu_seconds": cpu,
        "latencies_ms": load.tally.latencies_ms,
        "statuses": load.tally.statuses,
        "per_api": load.tally.per_api,
        "problems": load.tally.problems,
        "created": load.created,
        "pending": {"outreach": len(load.outreach), "interviews": len(load.interviews)},
    }


# --- set-up, through the API -------------------------------------------------------------


@dataclass
class Setup:
    owner_token: str
    clients: list[dict[str, Any]]  # id, coach token, contact ids, company ids
    created: list[Record]
    baseline_events: set[str]  # recorded before the endpoint existed: not owed to it
    requests: int


class Api:
    """Set-up and read-back requests, round robin over the API processes."""

    def __init__(self, https: list[httpx.AsyncClient]) -> None:
        self.https = https
        self.turn = itertools.count()
        self.requests = 0
        self.statuses: Counter[int] = Counter()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        http = self.https[next(self.turn) % len(self.https)]
        response = await http.request(method, f"{API_PREFIX}{path}", **kwargs)
        self.statuses[response.status_code] += 1
        return response

    async def expect(self, status: int, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        if response.status_code != status:
            raise RuntimeError(
                f"set-up {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response.json()


async def register_endpoint(
    engine: AsyncEngine, organization_id: uuid.UUID, receiver: Receiver
) -> None:
    """The receiver, subscribed to every event. Written as the table owner (as
    `webhook_crash` does), not through the API: in production the API takes https URLs
    only, and the receiver is plain http on loopback."""
    async with create_sessionmaker(engine)() as session:
        await bind_organization(session, organization_id)
        session.add(
            WebhookEndpoint(
                organization_id=organization_id,
                url=receiver.url,
                secret=receiver.secret,
                description="load test receiver",
                event_types=[],
            )
        )
        await session.commit()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def set_up(
    api: Api,
    engine: AsyncEngine,
    receiver: Receiver,
    *,
    clients: int,
    coaches: int,
    contacts: int,
    companies: int,
    rng: random.Random,
) -> Setup:
    """An organization as a practice would build it: the owner signs up, a webhook endpoint
    for every event is registered, the owner invites the coaches and adds the clients,
    the coaches give each a first network and target companies."""
    suffix = uuid.uuid4().hex[:8]
    signup = await api.expect(
        201,
        "POST",
        "/auth/signup",
        json={
            "organization_name": f"Load test practice {suffix}",
            "full_name": "Olive Owner",
            "email": f"owner-{suffix}@example.com",
            "password": PASSWORD,
        },
    )
    owner = bearer(signup["access_token"])
    await register_endpoint(engine, uuid.UUID(signup["organization_id"]), receiver)
    async with engine.connect() as connection:
        baseline = {
            str(i) for i in (await connection.execute(text("SELECT id FROM events"))).scalars()
        }

    coach_tokens: list[str] = []
    coach_ids: list[str] = []
    for n in range(coaches):
        invitation = await api.expect(
            201,
            "POST",
            "/invitations",
            headers=owner,
            json={"email": f"coach{n}-{suffix}@example.com", "role": "coach"},
        )
        tokens = await api.expect(
            200,
            "POST",
            f"/invitations/{invitation['token']}/accept",
            json={"full_name": f"Coach {n + 1}", "password": PASSWORD},
        )
        me = await api.expect(200, "GET", "/me", headers=bearer(tokens["access_token"]))
        coach_tokens.append(tokens["access_token"])
        coach_ids.append(me["user"]["id"])

    created: list[Record] = []
    specs: list[dict[str, Any]] = []
    for n in range(clients):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        client = await api.expect(
            201,
            "POST",
            "/clients",
            headers=owner,
            json={"full_name": name, "weekly_outreach_goal": 10, "weekly_informational_goal": 2},
        )
        created.append(
            {
                "kind": "client",
                "id": client["id"],
                "path": f"/clients/{client['id']}",
                "expect": {"full_name": name},
            }
        )
        coach = n % coaches
        await api.expect(
            200, "PUT", f"/clients/{client['id']}/coaches/{coach_ids[coach]}", headers=owner
        )
        headers = bearer(coach_tokens[coach])
        company_ids = []
        for _ in range(companies):
            company_name = f"{rng.choice(COMPANIES)} {uuid.uuid4().hex[:6]}"
            company = await api.expect(
                201,
                "POST",
                f"/clients/{client['id']}/companies",
                headers=headers,
                json={"name": company_name, "priority": rng.randint(1, 5)},
            )
            company_ids.append(company["id"])
            created.append(
                {
                    "kind": "company",
                    "id": company["id"],
                    "path": f"/companies/{company['id']}",
                    "expect": {"name": company_name, "client_id": client["id"]},
                }
            )
        contact_ids: list[str] = []
        for _ in range(contacts):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            body = {
                "full_name": f"{first} {last}",
                "relationship": rng.choice(RELATIONSHIPS),
                "referred_by_id": rng.choice(contact_ids)
                if contact_ids and rng.random() < 0.5
                else None,
            }
            contact = await api.expect(
                201, "POST", f"/clients/{client['id']}/contacts", headers=headers, json=body
            )
            contact_ids.append(contact["id"])
            created.append(contact_record(contact["id"], body | {"client_id": client["id"]}))
        specs.append(
            {
                "id": client["id"],
                "token": coach_tokens[coach],
                "contacts": contact_ids,
                "companies": company_ids,
            }
        )
    return Setup(
        owner_token=signup["access_token"],
        clients=specs,
        created=created,
        baseline_events=baseline,
        requests=api.requests,
    )


# --- checks -------------------------------------------------------------------------------


@dataclass
class Verification:
    """Created objects read back: per kind, how many were created, read back equal, missing
    (not 200) or different, with a few examples of what went wrong."""

    created: Counter[str] = field(default_factory=Counter)
    verified: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    mismatched: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return sum(self.verified.values()) == sum(self.created.values())

    def check(self, record: Record, found: dict[str, Any] | None, status: int) -> None:
        kind = record["kind"]
        if found is None:
            self.missing[kind] += 1
            self.example(f"{kind} {record['id']}: answered {status}")
            return
        wrong = {k: (v, found.get(k)) for k, v in record["expect"].items() if found.get(k) != v}
        if wrong:
            self.mismatched[kind] += 1
            self.example(f"{kind} {record['id']}: (expected, read) {wrong}")
        else:
            self.verified[kind] += 1

    def example(self, line: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(line)


async def verify_created(
    api: Api, owner: dict[str, str], records: list[Record], concurrency: int
) -> Verification:
    """GET every created object by id (interactions, which have no single read, from
    their contact's list), as the owner, who sees them all."""
    result = Verification()
    gate = asyncio.Semaphore(concurrency)
    interactions: dict[str, list[Record]] = defaultdict(list)

    async def one(record: Record) -> None:
        async with gate:
            response = await api.request("GET", record["path"], headers=owner)
        result.check(
            record, response.json() if response.status_code == 200 else None, response.status_code
        )

    async def listed(contact_id: str, expected: list[Record]) -> None:
        seen: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        status = 200
        while True:
            params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            async with gate:
                response = await api.request(
                    "GET", f"/contacts/{contact_id}/interactions", headers=owner, params=params
                )
            status = response.status_code
            if status != 200:
                break
            page = response.json()
            seen |= {item["id"]: item for item in page["data"]}
            if not (cursor := page["next_cursor"]):
                break
        for record in expected:
            result.check(record, seen.get(record["id"]), status if status != 200 else 404)

    jobs: list[Awaitable[None]] = []
    for record in records:
        result.created[record["kind"]] += 1
        if record["kind"] == "interaction":
            interactions[record["expect"]["contact_id"]].append(record)
        else:
            jobs.append(one(record))
    jobs += [listed(contact_id, expected) for contact_id, expected in interactions.items()]
    await asyncio.gather(*jobs)
    return result


@dataclass
class Delivery:
    owed: int  # events recorded once the endpoint existed
    delivered: int  # of those, distinct webhook-ids the receiver got, correctly signed
    received: int  # POSTs received (complete, signature valid)
    distinct: int  # distinct webhook-ids among them
    unexpected: int  # webhook-ids that match no owed event
    bad_signatures: int
    truncated: int
    backlog_at_stop: int  # deliveries not yet succeeded when the load stopped
    # Seconds after the load stopped until the receiver had every event / the database
    # recorded every delivery as succeeded; None: not within the deadline.
    received_after: float | None
    recorded_after: float | None
    by_status: dict[str, int]
    attempts: int  # recorded in the database
    failed_attempts: dict[str, int]  # by error or status code
    by_type: Counter[str]
    lag_seconds: tuple[float, float, float, float] | None  # p50, p95, p99, max

    @property
    def missing(self) -> int:
        return self.owed - self.delivered

    @property
    def duplicates(self) -> int:
        return self.received - self.distinct

    @property
    def ok(self) -> bool:
        return self.owed > 0 and self.missing == 0 and self.bad_signatures == 0

    @property
    def recorded(self) -> bool:
        return self.by_status.get("succeeded", 0) == sum(self.by_status.values()) == self.owed


def message_id(event_id: str) -> str:
    # The `webhook-id` the worker sends for an event (app.events.service.message_id_for).
    return f"msg_{uuid.UUID(event_id).hex}"


async def owed_events(engine: AsyncEngine, baseline: set[str]) -> dict[str, str]:
    """webhook-id → event type, for every event the endpoint is owed."""
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, type FROM events"))
        return {message_id(str(i)): t for i, t in rows if str(i) not in baseline}


async def pending_deliveries(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'")
        )
    return int(count or 0)


FAILED_ATTEMPTS_SQL = """
SELECT coalesce(error, 'HTTP ' || status_code) AS why, count(*)
FROM webhook_attempts
WHERE error IS NOT NULL OR status_code IS NULL OR status_code NOT BETWEEN 200 AND 299
GROUP BY 1 ORDER BY 2 DESC
"""
LAG_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY lag),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY lag),
       max(lag)
FROM (
    SELECT extract(epoch FROM d.last_attempt_at - e.occurred_at) AS lag
    FROM webhook_deliveries AS d JOIN events AS e ON e.id = d.event_id
    WHERE d.status = 'succeeded'
) AS lags
"""


async def wait_for_delivery(
    engine: AsyncEngine,
    receiver: Receiver,
    baseline: set[str],
    *,
    backlog_at_stop: int,
    stopped_at: float,
    deadline_seconds: float,
) -> Delivery:
    """Poll until the receiver has every owed event's webhook-id and the database records
    every delivery as succeeded (or the deadline, counted from `stopped_at`, passes)."""
    received_after = recorded_after = None
    while True:
        owed = await owed_events(engine, baseline)
        with receiver.lock:
            received = list(receiver.ids)
        waited = time.monotonic() - stopped_at
        if received_after is None and owed.keys() <= set(received):
            received_after = waited
        if recorded_after is None and await pending_deliveries(engine) == 0:
            recorded_after = waited
        if (received_after is not None and recorded_after is not None) or (
            waited > deadline_seconds
        ):
            break
        await asyncio.sleep(POLL_SECONDS)
    async with engine.connect() as connection:
        statuses = await connection.execute(
            text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
        )
        by_status = {str(s): int(n) for s, n in statuses}
        lag = (await connection.execute(text(LAG_SQL))).one()
        attempts = int(await connection.scalar(text("SELECT count(*) FROM webhook_attempts")) or 0)
        failed = await connection.execute(text(FAILED_ATTEMPTS_SQL))
        failed_attempts = {str(why): int(n) for why, n in failed}
    distinct = set(received)
    with receiver.lock:
        bad_signatures, truncated = receiver.bad_signatures, receiver.truncated
    return Delivery(
        owed=len(owed),
        delivered=len(distinct & owed.keys()),
        received=len(received),
        distinct=len(distinct),
        unexpected=len(distinct - owed.keys()),
        bad_signatures=bad_signatures,
        truncated=truncated,
        backlog_at_stop=backlog_at_stop,
        received_after=received_after,
        recorded_after=recorded_after,
        by_status=by_status,
        attempts=attempts,
        failed_attempts=failed_attempts,
        by_type=Counter(owed.values()),
        lag_seconds=None
        if lag[0] is None
        else (float(lag[0]), float(lag[1]), float(lag[2]), float(lag[3])),
    )


# --- the report ---------------------------------------------------------------------------


def load_table(result: dict[str, Any]) -> list[str]:
    """Throughput and latency per operation, then for reads, writes and everything."""
    elapsed: float = result["elapsed"]
    latencies: dict[str, list[float]] = result["latencies_ms"]
    statuses: dict[str, dict[str, int]] = result["statuses"]
    header = (
        f"{'operation':<26}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'max ms':>9}{'non-2xx':>9}"
    )
    lines = [header, "-" * len(header)]

    def row(label: str, ops: Sequence[str]) -> str:
        ordered = sorted(ms for op in ops for ms in latencies.get(op, []))
        bad = sum(
            n
            for op in ops
            for status, n in statuses.get(op, {}).items()
            if not status.startswith("2")
        )
        figures = [percentile(ordered, share) for share in (0.50, 0.95, 0.99)]
        return (
            f"{label:<26}{len(ordered):>9,}{len(ordered) / elapsed:>8.1f}"
            + "".join(f"{ms:>9.1f}" for ms in figures)
            + f"{(ordered[-1] if ordered else 0.0):>9.1f}{bad:>9,}"
        )

    lines += [row(op, [op]) for op in (*READS, *WRITES) if op in latencies]
    lines.append("-" * len(header))
    lines += [row("reads", READS), row("writes", WRITES), row("all", (*READS, *WRITES))]
    return lines


def status_lines(result: dict[str, Any]) -> list[str]:
    total: Counter[str] = Counter()
    for counts in result["statuses"].values():
        total.update(counts)
    lines = ["responses by status: " + ", ".join(f"{s} {n:,}" for s, n in sorted(total.items()))]
    for op, counts in result["statuses"].items():
        if bad := {s: n for s, n in counts.items() if not s.startswith("2")}:
            lines.append(f"  {op}: " + ", ".join(f"{s} {n:,}" for s, n in sorted(bad.items())))
    for problem in result["problems"]:
        lines.append(f"  e.g. {problem['op']} -> {problem['status']}: {problem['body'][:300]}")
    per_api = ", ".join(f"{url} {n:,}" for url, n in sorted(result["per_api"].items()))
    lines.append(f"requests per API process: {per_api}")
    return lines


def verification_lines(result: Verification) -> list[str]:
    header = f"{'object':<14}{'created':>9}{'read back':>11}{'missing':>9}{'different':>11}"
    lines = [header, "-" * len(header)]
    for kind in ("client", "company", "contact", "interaction", "outreach", "interview"):
        lines.append(
            f"{kind:<14}{result.created[kind]:>9,}{result.verified[kind]:>11,}"
            f"{result.missing[kind]:>9,}{result.mismatched[kind]:>11,}"
        )
    lines.append(
        f"{'all':<14}{sum(result.created.values()):>9,}{sum(result.verified.values()):>11,}"
        f"{sum(result.missing.values()):>9,}{sum(result.mismatched.values()):>11,}"
    )
    return lines + [f"  {example}" for example in result.examples]


def delivery_lines(delivery: Delivery, baseline: int) -> list[str]:
    rows = [
        ("events recorded (owed to the endpoint)", f"{delivery.owed:,}"),
        ("delivered (distinct webhook-ids, signature valid)", f"{delivery.delivered:,}"),
        ("missing", f"{delivery.missing:,}"),
        ("POSTs received", f"{delivery.received:,}"),
        ("duplicates (extra POSTs)", f"{delivery.duplicates:,}"),
        ("webhook-ids matching no event", f"{delivery.unexpected:,}"),
        ("invalid signatures", f"{delivery.bad_signatures:,}"),
        ("requests cut short", f"{delivery.truncated:,}"),
        ("deliveries not yet succeeded when the load stopped", f"{delivery.backlog_at_stop:,}"),
        ("receiver had every event, after the load stopped", seconds(delivery.received_after)),
        ("database: all deliveries succeeded, after the stop", seconds(delivery.recorded_after)),
        (
            "deliveries in the database",
            ", ".join(f"{s} {n:,}" for s, n in sorted(delivery.by_status.items())),
        ),
        ("attempts recorded in the database", f"{delivery.attempts:,}"),
        ("failed attempts", f"{sum(delivery.failed_attempts.values()):,}"),
    ]
    rows += [(f"  {why[:48]}", f"{n:,}") for why, n in delivery.failed_attempts.items()]
    if delivery.lag_seconds is not None:
        p50, p95, p99, most = delivery.lag_seconds
        rows.append(
            (
                "event to delivery p50 / p95 / p99 / max",
                f"{p50:.2f} / {p95:.2f} / {p99:.2f} / {most:.2f} s",
            )
        )
    rows.append(("events before the endpoint existed (not owed)", f"{baseline:,}"))
    lines = [
        f"{label:<52}{value:>14}" if len(value) <= 14 else f"{label:<52}{value}"
        for label, value in rows
    ]
    by_type = ", ".join(f"{t} {n:,}" for t, n in delivery.by_type.most_common())
    return [*lines, f"events by type: {by_type}"]


def seconds(value: float | None) -> str:
    return "not in time" if value is None else f"{value:.1f}s"


def logged_errors(logs: dict[str, IO[str]]) -> list[str]:
    """Per process: how many errors it logged, by exception, and the first traceback's end
    (the log files are temporary, so this is all that remains of them)."""
    lines = []
    for name, log in logs.items():
        log.seek(0)
        errors = []
        for line in log.read().splitlines():
            if '"level": "error"' in line:
                with contextlib.suppress(ValueError):
                    errors.append(json.loads(line))
        if not errors:
            continue
        kinds = Counter(
            (e.get("exception") or e.get("message", "")).strip().splitlines()[-1][:200]
            for e in errors
        )
        lines.append(f"{name}: {len(errors)} errors logged: {errors[0].get('message', '')}")
        lines += [f"  {n} x {kind}" for kind, n in kinds.most_common(5)]
        if trace := errors[0].get("exception"):
            lines += [f"    {line}" for line in trace.splitlines()[-14:]]
    return lines


# --- the run ------------------------------------------------------------------------------


async def backend_cpu(engine: AsyncEngine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend on this database (the server runs on
    this machine: read from /proc)."""
    async with engine.connect() as connection:
        pids = await connection.scalars(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        return {pid: seconds for pid in pids if (seconds := cpu_seconds(pid)) is not None}


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def watch_load(
    client: asyncio.subprocess.Process,
    pids: dict[str, int],
    logs: dict[str, IO[str]],
    *,
    deadline: float,
) -> None:
    """Wait for the load client; stop early, saying which, if a server or worker dies."""
    while client.returncode is None:
        if dead := [name for name, pid in pids.items() if not running(pid)]:
            for name in dead:
                dump_log_tail(logs[name], name)
            raise RuntimeError(f"{', '.join(dead)} stopped during the load")
        if time.monotonic() > deadline:
            raise RuntimeError("the load client did not finish in time")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.wait(), 1.0)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5.0)
        except TimeoutError:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def redis_keys(url: str, prefix: str) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """Checks Redis answers; yields a counter of the keys under `prefix`, deleted on exit."""
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        await redis.ping()

        async def count() -> int:
            return len([key async for key in redis.scan_iter(match=f"{prefix}*")])

        yield count
    finally:
        with contextlib.suppress(Exception):
            keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
        await redis.aclose()


def api_env(args: argparse.Namespace, app_url: str, key_prefix: str) -> dict[str, str]:
    # Tokens must outlive set-up, the load and the read-back.
    token_minutes = min(24 * 60, max(15, math.ceil((args.duration + args.drain_timeout) / 60) + 15))
    return api_environment(app_url, secrets.token_urlsafe(48)) | {
        "COACH_REDIS_URL": args.redis_url,
        "COACH_RATE_LIMIT_KEY_PREFIX": key_prefix,
        # A few users send thousands of requests a minute here: the limiter counts every
        # one in Redis, shared by both processes, but never answers 429.
        "COACH_RATE_LIMIT_PER_USER": str(UNLIMITED),
        "COACH_RATE_LIMIT_PER_API_KEY": str(UNLIMITED),
        "COACH_RATE_LIMIT_AUTH_PER_IP": str(UNLIMITED),
        "COACH_ACCESS_TOKEN_MINUTES": str(token_minutes),
    }


async def run(args: argparse.Namespace) -> int:
    print(f"{os.cpu_count()} CPUs, {load_average()}")
    suffix = uuid.uuid4().hex[:12]
    db_name, role = f"coach_load_{suffix}", f"coach_load_app_{suffix}"
    owner_url, app_url = database_urls(args.postgres_url, db_name, role)
    key_prefix = f"coach:load-test:{suffix}:"
    names = [f"api{n + 1}" for n in range(API_PROCESSES)] + [
        f"worker{n + 1}" for n in range(WORKERS)
    ]
    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coach-load-")))
        logs: dict[str, IO[str]] = {
            name: stack.enter_context((folder / f"{name}.log").open("w+")) for name in names
        }
        count_keys = await stack.enter_async_context(redis_keys(args.redis_url, key_prefix))
        stack.push_async_callback(drop_database_and_role, args.postgres_url, db_name, role)
        started = time.monotonic()
        await create_migrated_database(args.postgres_url, db_name, role)
        engine = create_engine(Settings(database_url=owner_url), owner_url)
        stack.push_async_callback(engine.dispose)
        receiver = stack.enter_context(run_receiver(new_webhook_secret(), 0.0))

        env = api_env(args, app_url, key_prefix)
        apis: list[tuple[str, int]] = []
        for name in names[:API_PROCESSES]:
            port = free_port()
            apis.append(
                await stack.enter_async_context(
                    loopback_server(api_command(port), env, port, logs[name])
                )
            )
        # The workers connect as the owner, past Row-Level Security, as in production.
        config = WorkerConfig(owner_url, app_url, webhook_settings(15.0, 60.0))
        workers: list[asyncio.subprocess.Process] = []
        for name in names[API_PROCESSES:]:
            workers.append(await start_worker(config, logs[name]))
            stack.push_async_callback(stop_worker, workers[-1])
        print(
            f"database {db_name} migrated; API processes at "
            + ", ".join(url for url, _ in apis)
            + f" (pids {', '.join(str(pid) for _, pid in apis)}); {WORKERS} workers (pids "
            + ", ".join(str(w.pid) for w in workers)
            + f"); receiver at {receiver.url}; ready in {time.monotonic() - started:.1f} s"
        )

        https = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, timeout=args.request_timeout, trust_env=False)
            )
            for url, _ in apis
        ]
        api = Api(https)
        started = time.monotonic()
        setup = await set_up(
            api,
            engine,
            receiver,
            clients=args.clients,
            coaches=args.coaches,
            contacts=args.contacts,
            companies=args.companies,
            rng=random.Random(args.seed),
        )
        print(
            f"set-up through the API: 1 owner, {args.coaches} coaches, {args.clients} clients, "
            f"{args.clients * args.contacts} contacts, {args.clients * args.companies} companies, "
            f"a webhook endpoint for every event: {setup.requests} requests in "
            f"{time.monotonic() - started:.1f} s"
        )
        for worker, name in zip(workers, names[API_PROCESSES:], strict=True):
            if worker.returncode is not None:
                dump_log_tail(logs[name], name)
                raise RuntimeError(f"{name} exited with status {worker.returncode}")

        spec_path, result_path = folder / "spec.json", folder / "result.json"
        spec_path.write_text(
            json.dumps(
                {
                    "base_urls": [url for url, _ in apis],
                    "duration": args.duration,
                    "concurrency": args.concurrency,
                    "seed": args.seed,
                    "request_timeout": args.request_timeout,
                    "owner_token": setup.owner_token,
                    "clients": setup.clients,
                }
            )
        )
        pids = {name: pid for name, (_, pid) in zip(names, apis, strict=False)}
        pids |= {name: w.pid for name, w in zip(names[API_PROCESSES:], workers, strict=True)}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        db_cpu_before = await backend_cpu(engine)
        print(
            f"load: {args.duration:.0f} s, {args.concurrency} concurrent requests from one "
            f"client process, round robin over {API_PROCESSES} API processes ..."
        )
        client = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.load_test",
            "--client-spec",
            str(spec_path),
            "--client-result",
            str(result_path),
            cwd=PROJECT_ROOT,
        )
        stack.push_async_callback(stop_process, client)
        await watch_load(
            client,
            pids,
            logs,
            deadline=time.monotonic() + args.duration + CLIENT_START_SECONDS + args.request_timeout,
        )
        cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        db_cpu = sum(
            seconds - db_cpu_before.get(pid, 0.0)
            for pid, seconds in (await backend_cpu(engine)).items()
        )
        stopped_at = time.monotonic()
        if client.returncode != 0:
            raise RuntimeError(f"the load client exited with status {client.returncode}")
        backlog = await pending_deliveries(engine)
        result = json.loads(result_path.read_text())

        delivery = await wait_for_delivery(
            engine,
            receiver,
            setup.baseline_events,
            backlog_at_stop=backlog,
            stopped_at=stopped_at,
            deadline_seconds=args.drain_timeout,
        )
        owner = bearer(setup.owner_token)
        verification = await verify_created(
            api, owner, setup.created + result["created"], args.concurrency
        )
        rate_limit_keys = await count_keys()
        errors = logged_errors(logs)

        print()
        print(f"Load: {result['elapsed']:.1f} s, {args.concurrency} concurrent requests")
        print("\n".join(load_table(result)))
        print("\n".join(status_lines(result)))
        pending = result["pending"]
        print(
            f"left mid-way when the load stopped: {pending['outreach']} outreach, "
            f"{pending['interviews']} interviews"
        )
        print(
            f"rate-limit counters in Redis under {key_prefix}*: {rate_limit_keys} "
            "(shared by both API processes)"
        )
        cpu = ", ".join(
            f"{name} {after - before:.1f}"
            for name in names
            if (before := cpu_before[name]) is not None and (after := cpu_after[name]) is not None
        )
        print(
            f"CPU seconds during the load: {cpu}, load client {result['cpu_seconds']:.1f}, "
            f"PostgreSQL backends of this database {db_cpu:.1f}"
        )
        print()
        print("Created objects, read back by id as the owner (GET -> 200, same fields)")
        print("\n".join(verification_lines(verification)))
        read_back = dict(sorted(api.statuses.items()))
        print(f"set-up and read-back responses by status: {read_back}")
        print()
        print("Events and webhooks")
        print("\n".join(delivery_lines(delivery, len(setup.baseline_events))))
        for line in errors:
            print(line)

        server_errors = sum(
            n
            for counts in result["statuses"].values()
            for status, n in counts.items()
            if not status.startswith(("2", "4"))
        ) + sum(n for status, n in api.statuses.items() if status >= 500)
        client_errors = sum(
            n
            for counts in result["statuses"].values()
            for status, n in counts.items()
            if status.startswith("4")
        )
        checks = [
            (server_errors == 0, f"no 5xx and no transport errors ({server_errors})"),
            (
                client_errors == 0,
                f"no 4xx either: every request of the mix is valid ({client_errors})",
            ),
            (
                verification.ok,
                "every created object readable with its fields "
                f"({sum(verification.verified.values()):,} of "
                f"{sum(verification.created.values()):,})",
            ),
            (
                delivery.ok,
                f"every event delivered ({delivery.delivered:,} of {delivery.owed:,}, "
                f"{delivery.bad_signatures} invalid signatures)",
            ),
            (
                delivery.recorded,
                "every delivery recorded as succeeded in the database "
                f"({delivery.by_status.get('succeeded', 0):,} of {delivery.owed:,})",
            ),
        ]
        print()
        print("Checks")
        for ok, label in checks:
            print(f"  [{'ok' if ok else 'FAILED'}] {label}")
        print(load_average())
        failed = not all(ok for ok, _ in checks)
        if failed:
            for name in names:
                dump_log_tail(logs[name], name)
        return 1 if failed else 0
    raise AssertionError("unreachable")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load_test",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (120)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (8)")
    parser.add_argument("--clients", type=int, default=8, help="job seekers (8)")
    parser.add_argument("--coaches", type=int, default=2, help="clients are shared out (2)")
    parser.add_argument("--contacts", type=int, default=12, help="per client at set-up (12)")
    parser.add_argument("--companies", type=int, default=3, help="per client at set-up (3)")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=120.0,
        help="seconds to wait after the load for every event to be delivered (120)",
    )
    parser.add_argument("--request-timeout", type=float, default=30.0, help="seconds (30)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a superuser on a loopback server (creates and drops a database and a role)",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="a loopback Redis for the shared rate limits (its keys are removed at the end)",
    )
    # The load client: this module run again in its own process by the orchestrator.
    parser.add_argument("--client-spec", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client-result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client_spec is not None:
        return args
    check_bounds(
        parser,
        args,
        {
            "concurrency": (1, 128),
            "clients": (1, 200),
            "coaches": (1, 20),
            "contacts": (1, 500),
            "companies": (1, 50),
        },
    )
    if not 5 <= args.duration <= 3600:
        parser.error("--duration must be between 5 and 3600 seconds")
    if not 1 <= args.drain_timeout <= 3600 or not 1 <= args.request_timeout <= 300:
        parser.error("--drain-timeout and --request-timeout are out of range")
    check_loopback(parser, args.postgres_url)
    if make_url(args.redis_url.replace("redis://", "redis+x://", 1)).host not in LOOPBACK_HOSTS:
        parser.error("--redis-url must point at a loopback server")
    return args


async def run_until_signalled(args: argparse.Namespace) -> int:
    """`run`, cancelled by SIGTERM as by Ctrl-C, so that everything is cleaned up."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run(args)
    except asyncio.CancelledError:
        # Ctrl-C lands here too (asyncio.run cancels the task); the exit stack has
        # stopped the processes and dropped the database by now.
        print("interrupted: processes stopped, database and Redis keys removed", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")  # importing the app set up logging at INFO
    if args.client_spec is not None:
        try:
            result = asyncio.run(client_process(json.loads(args.client_spec.read_text())))
        except KeyboardInterrupt:  # Ctrl-C reaches the whole process group
            return 130
        args.client_result.write_text(json.dumps(result))
        return 0
    return asyncio.run(run_until_signalled(args))


if __name__ == "__main__":
    raise SystemExit(main())
