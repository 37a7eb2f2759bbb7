"""After an erasure, no table holds the client's data: markers planted in every field of
the client's world, through every door that keeps a copy (stored `Idempotency-Key`
responses, the event outbox, webhook attempt logs that echo what they were sent), are
searched for in every row of every table."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base
from app.db.tenancy import unscoped
from tests.factories.identity import Actor, signup
from tests.factories.webhooks import create_endpoint
from tests.webhooks.conftest import WorkerPass
from tests.webhooks.receiver import run_receiver

pytestmark = pytest.mark.usefixtures("allow_private_urls")


@dataclass
class Keyed:
    """Every keyed POST sent, to send again after the erasure."""

    http: httpx.AsyncClient
    actor: Actor
    sent: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        key = f"marker-{uuid.uuid4()}"
        response = await self.http.post(
            path, json=body, headers={**self.actor.headers, "Idempotency-Key": key}
        )
        assert response.status_code in (200, 201), response.text
        self.sent.append((path, body, key))
        return dict(response.json())


def _marker(name: str) -> str:
    return f"zq{name}{uuid.uuid4().hex[:8]}"


async def _every_row_as_text(db: AsyncSession) -> dict[str, str]:
    """Each table's rows, every column rendered as text (bytes decoded), one string."""
    dump: dict[str, str] = {}
    for table in Base.metadata.sorted_tables:
        rows = (await db.execute(select(table).execution_options(**unscoped()))).all()
        dump[table.name] = "\n".join(
            " ".join(
                value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                for value in row
            )
            for row in rows
        )
    await db.rollback()  # SQLite: release the lock before the API writes again
    return dump


async def test_no_table_keeps_an_erased_clients_data(
    client: httpx.AsyncClient, db: AsyncSession, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    keyed = Keyed(client, owner)
    m = {name: _marker(name) for name in ("client", "contact", "referral", "login", "free")}
    markers = [*m.values()]

    with run_receiver(echo=True) as receiver:
        await create_endpoint(client, owner, receiver.url)
        grace = await keyed.post(
            "/api/v1/clients",
            {
                "full_name": f"Grace {m['client']}",
                "email": f"{m['client']}@example.com",
                "headline": f"headline {m['free']}",
                "notes": f"coach note {m['free']}",
                "target_roles": [f"role {m['free']}"],
                "locations": [f"city {m['free']}"],
            },
        )
        base = f"/api/v1/clients/{grace['id']}"
        ada = await keyed.post(
            f"{base}/contacts",
            {
                "full_name": f"Ada {m['contact']}",
                "email": f"{m['contact']}@example.com",
                "phone": "+44 20 7946 0731",
                "linkedin_url": f"https://www.linkedin.com/in/{m['contact']}",
                "company_name": f"employer {m['free']}",
                "title": f"title {m['free']}",
                "notes": f"met {m['free']}",
                "tags": [f"tag{m['free']}"],
            },
        )
        await keyed.post(
            f"/api/v1/contacts/{ada['id']}/interactions",
            {"kind": "call", "summary": f"talked {m['free']}"},
        )
        company = await keyed.post(
            f"{base}/companies",
            {"name": "Acme", "why_interested": f"why {m['free']}", "research_notes": m["free"]},
        )
        await keyed.post(
            f"{base}/outreach",
            {
                "contact_id": ada["id"],
                "company_id": company["id"],
                "channel": "email",
                "purpose": "informational_interview",
                "subject": f"coffee {m['free']}",
                "message": f"dear {m['free']}",
                "questions": [f"how {m['free']}"],
            },
        )
        interview = await keyed.post(
            f"{base}/interviews",
            {
                "kind": "informational",
                "contact_id": ada["id"],
                "company_id": company["id"],
                "location": f"at {m['free']}",
                "agenda": f"agenda {m['free']}",
                "notes": f"notes {m['free']}",
                "advice": f"advice {m['free']}",
                "coach_notes": f"coach {m['free']}",
                "questions": [f"ask {m['free']}"],
            },
        )
        for stage in ("scheduled", "held"):
            await keyed.post(
                f"/api/v1/interviews/{interview['id']}/transitions",
                {"to_stage": stage, "note": f"went {m['free']}"},
            )
        await keyed.post(
            f"/api/v1/interviews/{interview['id']}/referrals",
            {"contacts": [{"full_name": f"Charles {m['referral']}"}]},
        )
        invitation = await keyed.post(
            "/api/v1/invitations",
            {"email": f"{m['login']}@example.com", "role": "client", "client_id": grace["id"]},
        )
        accepted = await client.post(
            f"/api/v1/invitations/{invitation['token']}/accept",
            json={"full_name": f"Login {m['login']}", "password": "a login passphrase, long"},
        )
        assert accepted.status_code == 200, accepted.text
        # Every event is delivered; the receiver answers with what it got.
        assert await run_worker_once(owner.organization_id) > 0
        assert receiver.requests

    before = await _every_row_as_text(db)
    for marker in markers:
        assert any(marker in text for text in before.values()), f"{marker} was never stored"
    assert any(marker in before["idempotency_records"] for marker in markers)

    erased = await client.post(
        f"{base}/erase", json={"confirm_name": f"Grace {m['client']}"}, headers=owner.headers
    )
    assert erased.status_code == 200, erased.text

    after = await _every_row_as_text(db)
    for table, text in after.items():
        for marker in markers:
            assert marker not in text, f"{marker} survived the erasure in {table}"

    # A retry of any of those requests neither replays the erased data nor runs again.
    clients_before = (await client.get("/api/v1/clients", headers=owner.headers)).json()["data"]
    for path, body, key in keyed.sent:
        retry = await client.post(
            path, json=body, headers={**owner.headers, "Idempotency-Key": key}
        )
        assert retry.status_code == 409, (path, retry.text)
        assert retry.json()["type"].endswith("idempotency-not-replayable")
        assert not any(marker in retry.text for marker in markers)
    clients_after = (await client.get("/api/v1/clients", headers=owner.headers)).json()["data"]
    assert len(clients_after) == len(clients_before)
